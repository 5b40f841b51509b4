package io.litevault.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Read-only access to a database's main file and {@code -wal} file, for replication, owned by the store.
 *
 * <p>Why the store owns these file descriptors: SQLite locks with POSIX advisory locks, and closing ANY
 * descriptor of a file drops every lock the process holds on it
 * (<a href="https://www.sqlite.org/howtocorrupt.html#_posix_advisory_locks_canceled_by_a_separate_thread_doing_close_">
 * how to corrupt</a>, 2.2). So each file is opened once and closed only after every SQLite connection of
 * the database is closed. Never open and close these files yourself while the store is open.
 *
 * <p>Consistency: in WAL mode only checkpoints write the main file, and WAL frames are overwritten only
 * after a checkpoint let the WAL restart. A caller holding a {@link CheckpointGate} closed can therefore
 * read the main file plus the WAL frames up to a commit and get exactly the database as of that commit.
 */
public final class DatabaseFiles {
  /** The two files. */
  public enum Kind { DATABASE, WAL }

  private final Path database;
  private final Path wal;
  private FileChannel databaseChannel;
  private FileChannel walChannel;
  private boolean closed;

  DatabaseFiles(Path database) {
    this.database = database;
    this.wal = database.resolveSibling(database.getFileName() + "-wal");
  }

  public Path databaseFile() {
    return database;
  }

  public Path walFile() {
    return wal;
  }

  /**
   * Reads into {@code dst} from {@code position} until it is full or the file ends.
   *
   * @return bytes read; fewer than requested only at the end of the file (0 if the file is missing)
   */
  public synchronized int read(Kind kind, long position, ByteBuffer dst) throws IOException {
    FileChannel ch = channel(kind);
    if (ch == null) {
      return 0;
    }
    int total = 0;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, position + total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  /** The file's size in bytes (0 when it does not exist yet). */
  public synchronized long size(Kind kind) throws IOException {
    FileChannel ch = channel(kind);
    return ch == null ? 0 : ch.size();
  }

  /**
   * Forces the file's content to the disk (fsync; a no-op when the file does not exist). Replication
   * calls it before it records that the files held a state: with {@code synchronous=NORMAL}, "a
   * transaction committed in WAL mode ... might roll back following a power loss"
   * (<a href="https://www.sqlite.org/pragma.html#pragma_synchronous">pragma synchronous</a>) until the
   * WAL is synced, which SQLite does only before a checkpoint.
   */
  public synchronized void sync(Kind kind) throws IOException {
    FileChannel ch = channel(kind);
    if (ch != null) {
      ch.force(true);
    }
  }

  private FileChannel channel(Kind kind) throws IOException {
    if (closed) {
      throw new IOException("the files of " + database + " are closed: the store was closed");
    }
    try {
      if (kind == Kind.DATABASE) {
        if (databaseChannel == null) {
          databaseChannel = FileChannel.open(database, StandardOpenOption.READ);
        }
        return databaseChannel;
      }
      if (walChannel == null) {
        walChannel = FileChannel.open(wal, StandardOpenOption.READ);
      }
      return walChannel;
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Called by the store after every connection of the database is closed; package-private because a
   * close while SQLite holds its locks would drop them (see above).
   */
  synchronized void close() throws IOException {
    closed = true;
    try {
      if (databaseChannel != null) {
        databaseChannel.close();
      }
    } finally {
      if (walChannel != null) {
        walChannel.close();
      }
    }
  }
}
