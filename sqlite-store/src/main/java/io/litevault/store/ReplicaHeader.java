package io.litevault.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The bytes of a replica file's header (https://www.sqlite.org/fileformat2.html, "1.3. The Database
 * Header") that a {@link ReplicaDatabase} rewrites after each update, so that its readers (other
 * connections of this process) see the new content:
 * <ul>
 * <li>offsets 18 and 19, the write and read versions: "both of these values are 1 for rollback journalling
 *     modes and 2 for WAL journalling mode". A replica's file is kept in rollback mode: its readers then
 *     need no {@code -wal} or {@code -shm} file (they are read-only) and look for changes in the header
 *     at the start of each read transaction;
 * <li>offset 24, the file change counter: "When two or more processes are reading the same database file,
 *     each process can detect database changes by monitoring the change counter. A process will normally
 *     want to flush its database page cache when another process modifies the database". The pages written
 *     come from a WAL-mode primary, whose counter "might not be incremented on each transaction in WAL
 *     mode", so the replica keeps its own: one more than before the update, whatever the pages say;
 * <li>offset 28, the in-header database size, and offset 92, the version-valid-for number: "The in-header
 *     database size is only considered to be valid if it is nonzero and if the 4-byte change counter at
 *     offset 24 exactly matches the 4-byte version-valid-for number at offset 92." Both are set, the size
 *     from the file's length.
 * </ul>
 * Package-private; called by the replica with every reader shut out.
 */
final class ReplicaHeader {
  static final int WRITE_VERSION = 18;
  static final int CHANGE_COUNTER = 24;
  static final int DATABASE_SIZE = 28;
  static final int VERSION_VALID_FOR = 92;
  /** Bytes 0..99 are the header; the page size is at 16 ("1 ... represents a page size of 65536"). */
  static final int LENGTH = 100;
  private static final int PAGE_SIZE = 16;
  /** "SQLite format 3\000". */
  private static final byte[] MAGIC = "SQLite format 3\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private ReplicaHeader() {}

  /** The header of {@code file}, checked to be a SQLite database's. */
  static ByteBuffer read(FileChannel file, Object name) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(LENGTH);
    while (h.hasRemaining() && file.read(h, h.position()) >= 0) {
      // a short read at the end of a short file stops at -1
    }
    h.flip();
    if (h.remaining() < LENGTH || !h.slice(0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
      throw new IOException(name + " is not a SQLite database (its first 100 bytes are not a SQLite header)");
    }
    return h;
  }

  static int pageSize(ByteBuffer header) {
    int v = header.getShort(PAGE_SIZE) & 0xffff;
    return v == 1 ? 65536 : v;
  }

  static int changeCounter(ByteBuffer header) {
    return header.getInt(CHANGE_COUNTER);
  }

  /**
   * Rewrites the header of {@code file} after an update: rollback mode, change counter {@code counter},
   * valid for the database size the file's length gives.
   *
   * @return the header as the update left it, and as it is rewritten
   */
  static Rewrite write(FileChannel file, int counter, Object name) throws IOException {
    ByteBuffer h = read(file, name);
    ByteBuffer found = ByteBuffer.allocate(LENGTH).put(h.duplicate()).flip();
    int pageSize = pageSize(h);
    long pages = file.size() / pageSize;
    h.put(WRITE_VERSION, (byte) 1).put(WRITE_VERSION + 1, (byte) 1);
    h.putInt(CHANGE_COUNTER, counter);
    h.putInt(DATABASE_SIZE, (int) pages);
    h.putInt(VERSION_VALID_FOR, counter);
    put(file, h);
    return new Rewrite(found, h.rewind());
  }

  /**
   * A header as found after an update, and as rewritten. When {@code found} equals the previous rewrite, the
   * update left page 1 alone: the primary's header is still the one found before.
   */
  record Rewrite(ByteBuffer found, ByteBuffer rewritten) {}

  /** Writes {@code header} (100 bytes) at the start of {@code file}. */
  static void put(FileChannel file, ByteBuffer header) throws IOException {
    ByteBuffer h = header.duplicate().rewind();
    while (h.hasRemaining()) {
      file.write(h, h.position());
    }
  }
}
