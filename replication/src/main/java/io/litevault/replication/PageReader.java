package io.litevault.replication;

import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.ReadPin;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the database's pages as of a commit boundary {@code at}: a page's last image in the WAL frames
 * before {@code at}, else its image in the main file. Valid only while a {@link ReadPin} at or after
 * {@code at} is open: the checkpoint gate alone does not freeze the files, since SQLite restarts a
 * fully copied WAL at the next write with no checkpoint call. Every WAL frame read is checked against
 * the salts of {@code at} as a second line of defence.
 *
 * <p>The main file's header gives the page size (offset 16, big-endian u16, 1 means 65536) and the size in
 * pages (offset 28), trusted only when the change counter (24) equals version-valid-for (92), as the
 * <a href="https://www.sqlite.org/fileformat2.html#database_header">file format</a> says.
 */
final class PageReader {
  private final DatabaseFiles files;
  private final int pageSize;
  private final int dbSizePages;
  private final Map<Integer, Long> walFrames = new HashMap<>();
  /** The salts every WAL frame read must carry (those of the position read at). */
  private long salt1;
  private long salt2;

  private PageReader(DatabaseFiles files, int pageSize, int dbSizePages) {
    this.files = files;
    this.pageSize = pageSize;
    this.dbSizePages = dbSizePages;
  }

  /**
   * The database as held by {@code pin}, for as long as it is open. A pin whose frames were all copied
   * into the main file reads the main file alone: SQLite may restart the WAL under such a pin (see
   * {@link ReadPin}).
   */
  static PageReader pinned(DatabaseFiles files, ReadPin pin) throws IOException {
    return at(files, pin.mainFileComplete() ? Shipper.NOTHING : pin.position());
  }

  static PageReader at(DatabaseFiles files, WalPosition at) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(100);
    int n = files.read(DatabaseFiles.Kind.DATABASE, 0, header);
    int filePageSize = 0;
    int fileSize = 0;
    if (n >= 100) {
      int ps = Short.toUnsignedInt(header.getShort(16));
      filePageSize = ps == 1 ? 65536 : ps;
      fileSize = header.getInt(24) == header.getInt(92) ? header.getInt(28) : 0;
    }
    if (at.offset() <= WalHeader.BYTES) {
      if (filePageSize == 0) {
        throw new WalFormatException("the database file is empty and its WAL holds nothing: nothing to read");
      }
      long bytes = files.size(DatabaseFiles.Kind.DATABASE);
      int size = fileSize > 0 ? fileSize : (int) (bytes / filePageSize);
      return new PageReader(files, filePageSize, size);
    }
    WalReader wal = WalReader.open((pos, dst) -> files.read(DatabaseFiles.Kind.WAL, pos, dst), at.salt1(), at.salt2());
    int pageSize = wal.header().pageSize();
    int frame = 24 + pageSize;
    ByteBuffer fh = ByteBuffer.allocate(24);
    int size = -1;
    Map<Integer, Long> frames = new HashMap<>();
    for (long pos = WalHeader.BYTES; pos < at.offset(); pos += frame) {
      fh.clear();
      if (files.read(DatabaseFiles.Kind.WAL, pos, fh) < 24) {
        throw new WalFormatException("WAL frame at " + pos + " is missing (expected frames up to " + at.offset() + ")");
      }
      frames.put(fh.getInt(0), pos + 24);
      if (fh.getInt(4) != 0) {
        size = fh.getInt(4);
      }
    }
    if (size < 0) {
      throw new WalFormatException("no commit frame before WAL offset " + at.offset());
    }
    PageReader r = new PageReader(files, pageSize, size);
    r.walFrames.putAll(frames);
    r.salt1 = at.salt1();
    r.salt2 = at.salt2();
    return r;
  }

  int pageSize() {
    return pageSize;
  }

  int dbSizePages() {
    return dbSizePages;
  }

  byte[] page(int pgno) throws IOException {
    Long walOffset = walFrames.get(pgno);
    if (walOffset != null) {
      return walPage(pgno, walOffset);
    }
    byte[] page = new byte[pageSize];
    files.read(DatabaseFiles.Kind.DATABASE, (long) (pgno - 1) * pageSize, ByteBuffer.wrap(page));
    return page; // a page past the end of the main file reads as zeros, as SQLite would see it
  }

  /**
   * A page from its WAL frame, read with the frame's header: a frame whose page number or salts are not
   * the ones mapped means the WAL moved under the reader (the bug a read pin prevents), and is an
   * error, never a page. "A frame is considered valid if and only if ... the salt-1 and salt-2 values
   * in the frame-header match salt values in the wal-header"
   * (<a href="https://www.sqlite.org/fileformat2.html#wal_file_format">file format, 4.1</a>).
   */
  private byte[] walPage(int pgno, long pageOffset) throws IOException {
    ByteBuffer frame = ByteBuffer.allocate(WalHeader.FRAME_HEADER_BYTES + pageSize);
    int n = files.read(DatabaseFiles.Kind.WAL, pageOffset - WalHeader.FRAME_HEADER_BYTES, frame);
    if (n < frame.capacity()) {
      throw new WalFormatException("WAL frame of page " + pgno + " is torn");
    }
    if (frame.getInt(0) != pgno || Integer.toUnsignedLong(frame.getInt(8)) != salt1
        || Integer.toUnsignedLong(frame.getInt(12)) != salt2) {
      throw new WalFormatException("the WAL frame of page " + pgno + " at offset " + pageOffset
          + " was overwritten while it was read (the WAL restarted)");
    }
    byte[] page = new byte[pageSize];
    frame.get(WalHeader.FRAME_HEADER_BYTES, page);
    return page;
  }

  /** The whole database's checksum state, reading every page once. */
  DatabaseChecksum checksum() throws IOException {
    DatabaseChecksum c = new DatabaseChecksum();
    for (int p = 1; p <= dbSizePages; p++) {
      c.set(p, page(p));
    }
    c.resize(dbSizePages);
    return c;
  }
}
