package io.litevault.replication;

import io.litevault.store.DatabaseFiles;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the database's pages as of a commit boundary {@code at}: a page's last image in the WAL frames
 * before {@code at}, else its image in the main file. Valid only while the replicator's checkpoint gate
 * holds the WAL (no checkpoint can then change the main file or restart the WAL).
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

  private PageReader(DatabaseFiles files, int pageSize, int dbSizePages) {
    this.files = files;
    this.pageSize = pageSize;
    this.dbSizePages = dbSizePages;
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
    if (at.offset() <= WalPosition.WAL_HEADER_BYTES) {
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
    for (long pos = WalPosition.WAL_HEADER_BYTES; pos < at.offset(); pos += frame) {
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
    return r;
  }

  int pageSize() {
    return pageSize;
  }

  int dbSizePages() {
    return dbSizePages;
  }

  byte[] page(int pgno) throws IOException {
    byte[] page = new byte[pageSize];
    ByteBuffer b = ByteBuffer.wrap(page);
    Long walOffset = walFrames.get(pgno);
    int n = walOffset != null
        ? files.read(DatabaseFiles.Kind.WAL, walOffset, b)
        : files.read(DatabaseFiles.Kind.DATABASE, (long) (pgno - 1) * pageSize, b);
    if (n < pageSize && walOffset != null) {
      throw new WalFormatException("WAL frame of page " + pgno + " is torn");
    }
    return page; // a page past the end of the main file reads as zeros, as SQLite would see it
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
