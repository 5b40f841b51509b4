package io.litevault.replication;

import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The database checksum at every commit boundary of the WAL up to a position, newest last: the main file
 * alone, then each commit of the WAL applied in order, as {@link PageReader#at} would read the files at
 * that boundary (a page's last WAL image before it, else its image in the main file, zeros past the
 * main file's end). One pass over the main file and one over the WAL, updating the checksum page by page.
 *
 * <p>A WAL frame "is considered valid if and only if ... the salt-1 and salt-2 values in the frame-header
 * match salt values in the wal-header" (<a href="https://www.sqlite.org/fileformat2.html#wal_file_format">
 * file format, 4.1</a>); a frame with other salts means the WAL was restarted since {@code end} was taken:
 * {@link WalFormatException}. A frame "is a commit frame" when its "size of the database file in pages"
 * (frame header offset 4) is nonzero.
 */
final class WalStates {
  private WalStates() {}

  /**
   * A commit boundary: the WAL position (salts, offset of the end of its commit frame; 32 for the main file
   * alone) and the database's checksum there. The position ties the state to this WAL's history: equal
   * content reached again later (a row set back to what it was) is another boundary, at another position.
   */
  record Boundary(long salt1, long salt2, long offset, long checksum, int pages) {
    DatabaseChecksum state() {
      return DatabaseChecksum.summary(checksum, pages);
    }

    /** Whether {@code tip} was taken at this very boundary: same WAL, same offset, same content. */
    boolean is(io.litevault.replication.format.LineageCatalog.Tip tip) {
      WalPosition at = tip.walEnd();
      return checksum == tip.checksumAfter() && pages == tip.dbSizePages() && salt1 == at.salt1()
          && salt2 == at.salt2() && Math.max(offset, WalHeader.BYTES) == Math.max(at.offset(), WalHeader.BYTES);
    }
  }

  /** The states of {@link #boundaries}, consecutive duplicates removed. */
  static List<DatabaseChecksum> upTo(DatabaseFiles files, WalPosition end, int max) throws IOException {
    List<DatabaseChecksum> states = new ArrayList<>();
    for (Boundary b : boundaries(files, end, max)) {
      DatabaseChecksum last = states.isEmpty() ? null : states.get(states.size() - 1);
      if (last == null || last.value() != b.checksum() || last.pages() != b.pages()) {
        states.add(b.state());
      }
    }
    return states;
  }

  /**
   * The boundaries at the main file alone (at offset 32 of {@code end}'s WAL) and at each commit up to
   * {@code end}, the newest {@code max} of them, oldest first.
   */
  static List<Boundary> boundaries(DatabaseFiles files, WalPosition end, int max) throws IOException {
    PageReader main = PageReader.at(files, Shipper.NOTHING);
    DatabaseChecksum c = main.checksum();
    int size = main.dbSizePages(); // the size at the last commit boundary
    ArrayDeque<Boundary> out = new ArrayDeque<>();
    add(out, new Boundary(end.salt1(), end.salt2(), WalHeader.BYTES, c.value(), c.pages()), max);
    if (end.offset() <= WalHeader.BYTES) {
      return new ArrayList<>(out);
    }
    WalReader wal = WalReader.open((pos, dst) -> files.read(DatabaseFiles.Kind.WAL, pos, dst), end.salt1(), end.salt2());
    int pageSize = wal.header().pageSize();
    Map<Integer, Long> walHashes = new HashMap<>(); // each page's last WAL image so far
    ByteBuffer frame = ByteBuffer.allocate(WalHeader.FRAME_HEADER_BYTES + pageSize);
    byte[] page = new byte[pageSize];
    for (long pos = WalHeader.BYTES; pos < end.offset(); pos += frame.capacity()) {
      frame.clear();
      if (files.read(DatabaseFiles.Kind.WAL, pos, frame) < frame.capacity()) {
        throw new WalFormatException("WAL frame at " + pos + " is missing (expected frames up to " + end.offset() + ")");
      }
      if (Integer.toUnsignedLong(frame.getInt(8)) != end.salt1() || Integer.toUnsignedLong(frame.getInt(12)) != end.salt2()) {
        throw new WalFormatException("the WAL frame at " + pos + " has other salts: the WAL restarted");
      }
      int pgno = frame.getInt(0);
      frame.get(WalHeader.FRAME_HEADER_BYTES, page);
      long h = DatabaseChecksum.pageHash(pgno, page);
      walHashes.put(pgno, h);
      c.setHash(pgno, h);
      int dbSize = frame.getInt(4);
      if (dbSize != 0) {
        grow(c, size, dbSize, walHashes, main);
        c.resize(dbSize);
        size = dbSize;
        add(out, new Boundary(end.salt1(), end.salt2(), pos + frame.capacity(), c.value(), c.pages()), max);
      }
    }
    return new ArrayList<>(out);
  }

  /**
   * The pages a commit adds past the last size: each its last WAL image, else the main file's (a resize
   * to a smaller size dropped the hashes of the pages past it).
   */
  private static void grow(DatabaseChecksum c, int size, int dbSize, Map<Integer, Long> walHashes, PageReader main)
      throws IOException {
    for (int p = size + 1; p <= dbSize; p++) {
      Long h = walHashes.get(p);
      c.setHash(p, h != null ? h : DatabaseChecksum.pageHash(p, main.page(p)));
    }
  }

  private static void add(ArrayDeque<Boundary> out, Boundary b, int max) {
    out.addLast(b);
    if (out.size() > max) {
      out.removeFirst();
    }
  }
}
