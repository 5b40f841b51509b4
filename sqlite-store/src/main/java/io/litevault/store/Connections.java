package io.litevault.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteOpenMode;

/** Opens the writer connection and configures the readers' data source of one database. */
final class Connections {
  private Connections() {}

  static String url(Path file) {
    return "jdbc:sqlite:" + file.toAbsolutePath();
  }

  /** The one read-write connection: WAL mode, our synchronous level, no automatic checkpoints. */
  static Connection openWriter(Path file, DatabaseOptions o) throws SQLException {
    SQLiteConfig config = common(o);
    config.setPageSize(o.pageSize()); // before journal_mode: only a new database takes it
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(o.synchronous() == Synchronous.FULL
        ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
    config.enforceForeignKeys(o.foreignKeys());
    Connection c = config.createConnection(url(file));
    try (Statement s = c.createStatement()) {
      // The store owns checkpoints: only after replication has the frames (CheckpointGate).
      s.execute("PRAGMA wal_autocheckpoint = 0");
      String mode = null;
      try (var rs = s.executeQuery("PRAGMA journal_mode")) {
        if (rs.next()) {
          mode = rs.getString(1);
        }
      }
      if (!"wal".equalsIgnoreCase(mode)) {
        throw new SQLException("could not switch " + file + " to WAL mode (journal_mode=" + mode + ")");
      }
      // Make sure the WAL and wal-index exist, so the WalIndex can read them from the start.
      s.executeQuery("SELECT count(*) FROM sqlite_schema").close();
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /**
   * The background checkpointer's connection: read-write (a checkpoint writes the main file), never
   * used for transactions, no automatic checkpoints. Closed before the writer's at close.
   */
  static Connection openCheckpointer(Path file, DatabaseOptions o) throws SQLException {
    Connection c = common(o).createConnection(url(file));
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA wal_autocheckpoint = 0");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /**
   * A connection for read pins ({@link ReadPin}): read-only and {@code query_only}, with no memory map
   * (it reads one state for a while, and the store reads the files itself).
   */
  static Connection openPin(Path file, DatabaseOptions o) throws SQLException {
    SQLiteConfig config = common(o);
    config.setReadOnly(true);
    config.setOpenMode(SQLiteOpenMode.READONLY);
    config.setPragma(SQLiteConfig.Pragma.MMAP_SIZE, "0");
    Connection c = config.createConnection(url(file));
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA query_only = 1");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** The pooled readers: opened read-only and {@code query_only}, so they can neither write nor checkpoint. */
  static SQLiteDataSource readers(Path file, DatabaseOptions o) {
    SQLiteConfig config = common(o);
    config.setReadOnly(true);
    config.setOpenMode(SQLiteOpenMode.READONLY);
    SQLiteDataSource ds = new SQLiteDataSource(config);
    ds.setUrl(url(file));
    return ds;
  }

  /**
   * The readers of a {@link ReplicaDatabase}: as {@link #readers}, with no memory map, because the file is
   * rewritten (and may shrink) between their transactions: a map past a truncated end faults (SIGBUS).
   * The replica sets {@code query_only} as it opens each (not the pool afterwards, outside its guard).
   */
  static SQLiteDataSource replicaReaders(Path file, DatabaseOptions o) {
    SQLiteConfig config = common(o);
    config.setReadOnly(true);
    config.setOpenMode(SQLiteOpenMode.READONLY);
    config.setPragma(SQLiteConfig.Pragma.MMAP_SIZE, "0");
    // "In EXCLUSIVE locking mode ... the database connection never releases file-locks", and with its lock
    // held the pager never re-reads the header to validate its cache (https://www.sqlite.org/pragma.html
    // #pragma_locking_mode): no file-lock or header syscalls per read. Safe here only because the replica
    // shuts reads out itself while it rewrites the file and never reuses a connection opened before an
    // update (ReplicaDatabase stamps and retires them), so no connection's cache outlives the bytes it read.
    config.setLockingMode(SQLiteConfig.LockingMode.EXCLUSIVE);
    SQLiteDataSource ds = new SQLiteDataSource(config);
    ds.setUrl(url(file));
    return ds;
  }

  private static SQLiteConfig common(DatabaseOptions o) {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, o.busyTimeout().toMillis()));
    config.setCacheSize(-o.cacheSizeKib()); // negative: KiB rather than pages
    config.setPragma(SQLiteConfig.Pragma.MMAP_SIZE, Long.toString(o.mmapSize()));
    return config;
  }
}
