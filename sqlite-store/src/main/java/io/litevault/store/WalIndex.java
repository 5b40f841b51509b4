package io.litevault.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads the header of a database's wal-index ({@code -shm} file) to learn, after each commit, how many
 * frames the WAL holds and which salts identify it, without scanning the WAL.
 *
 * <p>Layout (<a href="https://www.sqlite.org/walformat.html#the_wal_index_file_format">walformat.html,
 * "The WAL-Index File Format"</a>): two identical 48-byte copies of WalIndexHdr, then WalCkptInfo.
 * Integers are in the host's native byte order, except {@code aSalt}, which SQLite copies byte for byte
 * from the WAL header, where it is big-endian. We use plain positional reads, never mmap: SQLite may
 * truncate the file, and a mapped page beyond the end would kill the JVM with SIGBUS.
 */
final class WalIndex implements AutoCloseable {
  private static final int HEADER_BYTES = 136;
  private static final int COPY_BYTES = 48;
  private static final int OFF_IS_INIT = 12;
  private static final int OFF_PAGE_SIZE = 14;
  private static final int OFF_MX_FRAME = 16;
  private static final int OFF_SALT = 32;
  private static final int OFF_BACKFILL = 96; // WalCkptInfo.nBackfill

  /** The interesting fields of one consistent read. */
  record Snapshot(long salt1, long salt2, int frames, int backfilled, int pageSize) {
    static final Snapshot EMPTY = new Snapshot(0, 0, 0, 0, 0);

    WalPosition end() {
      return new WalPosition(salt1, salt2, offsetOfFrame(frames));
    }

    long offsetOfFrame(int frame) {
      return frame == 0 ? 0 : WalPosition.WAL_HEADER_BYTES
          + (long) frame * (WalPosition.FRAME_HEADER_BYTES + pageSize);
    }

    /** Frames not yet copied into the database file. */
    int pendingFrames() {
      return frames - backfilled;
    }
  }

  private final Path shm;
  private final ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.nativeOrder());
  private FileChannel channel;

  WalIndex(Path databaseFile) {
    this.shm = databaseFile.resolveSibling(databaseFile.getFileName() + "-shm");
  }

  /**
   * Reads the header. Only the writer thread changes the header (commits, restarts); the background
   * checkpointer changes only nBackfill. The two copies are compared, and reads are serialized.
   */
  /** Reads of a torn header before giving up (see {@link #read}). */
  private static final int MAX_READS = 500;

  synchronized Snapshot read() throws IOException {
    for (int attempt = 0; ; attempt++) {
      if (channel == null) {
        try {
          channel = FileChannel.open(shm, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
          return Snapshot.EMPTY;
        }
      }
      buf.clear();
      int n = 0;
      while (buf.hasRemaining()) {
        int r = channel.read(buf, n);
        if (r < 0) {
          break;
        }
        n += r;
      }
      if (n < HEADER_BYTES || buf.get(OFF_IS_INIT) == 0) {
        return Snapshot.EMPTY;
      }
      if (!copiesMatch()) {
        // The writer is between its two header copies (the background checkpointer reads while the
        // writer commits; seen once in 3 hours of benchmarks with 4 quick retries): read again, and
        // past a few tries sleep a little between reads, some tens of ms in all before calling it broken.
        if (attempt < MAX_READS) {
          if (attempt >= 4) {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000);
          }
          continue;
        }
        throw new IOException("wal-index header copies differ in " + shm + " after " + MAX_READS + " reads");
      }
      int page = Short.toUnsignedInt(buf.getShort(OFF_PAGE_SIZE));
      ByteBuffer be = buf.duplicate().order(ByteOrder.BIG_ENDIAN);
      return new Snapshot(
          Integer.toUnsignedLong(be.getInt(OFF_SALT)),
          Integer.toUnsignedLong(be.getInt(OFF_SALT + 4)),
          buf.getInt(OFF_MX_FRAME),
          buf.getInt(OFF_BACKFILL),
          page == 1 ? 65536 : page);
    }
  }

  private boolean copiesMatch() {
    for (int i = 0; i < COPY_BYTES; i++) {
      if (buf.get(i) != buf.get(COPY_BYTES + i)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public synchronized void close() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }
}
