package io.litevault.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** The HikariCP pool of read-only connections of one database. */
final class ReaderPool implements AutoCloseable {
  private final String database;
  private final HikariDataSource pool;

  ReaderPool(String database, Path file, DatabaseOptions options) {
    this(database, Connections.readers(file, options), options, false);
  }

  /**
   * The readers of a {@link ReplicaDatabase}: connections opened only through {@code connections}, which the
   * replica stamps (an opening connection reads the schema), and never checked, retired or timed out by the
   * pool in the background, since such a check would read the file outside that guard.
   */
  static ReaderPool forReplica(String database, DataSource connections, DatabaseOptions options) {
    return new ReaderPool(database, connections, options, true);
  }

  private ReaderPool(String database, DataSource connections, DatabaseOptions options, boolean replica) {
    this.database = database;
    HikariConfig config = new HikariConfig();
    config.setPoolName("litevault-" + database + (replica ? "-replica" : "") + "-readers");
    config.setDataSource(connections);
    config.setMaximumPoolSize(options.readers());
    config.setMinimumIdle(options.readers());
    if (replica) {
      config.setKeepaliveTime(0);
      config.setMaxLifetime(0);
      config.setIdleTimeout(0);
    } else {
      config.setConnectionInitSql("PRAGMA query_only = 1");
    }
    config.setAutoCommit(true);
    // sqlite-jdbc refuses to flip the read-only flag of an open connection: tell Hikari it already is.
    config.setReadOnly(true);
    // Opening a SQLite connection is a local file open: fail fast rather than Hikari's 30 s default.
    config.setInitializationFailTimeout(1);
    config.setConnectionTimeout(Math.max(250, options.busyTimeout().toMillis()));
    this.pool = new HikariDataSource(config);
  }

  <T> T read(ReadTask<T> task) {
    try (Connection c = pool.getConnection()) {
      return task.execute(c);
    } catch (StoreException e) {
      throw e;
    } catch (Exception e) {
      throw new ReadFailedException(database, e);
    }
  }

  /** A test of a borrowed connection; false means it must not be used. */
  @FunctionalInterface
  interface Check {
    boolean test(Connection c) throws SQLException;
  }

  /**
   * Runs {@code task} on a connection that passes {@code usable}; one that fails is evicted and another
   * borrowed. Gives up after more failures than the pool holds connections (each failed one is gone).
   */
  <T> T read(Check usable, ReadTask<T> task) {
    for (int refused = 0; ; refused++) {
      try (Connection c = pool.getConnection()) {
        if (usable.test(c)) {
          return task.execute(c);
        }
        pool.evictConnection(c);
        if (refused > pool.getMaximumPoolSize()) {
          throw new ReadFailedException(database, new SQLException("no usable reader connection after "
              + refused + " tries: each opened while the file was being rewritten"));
        }
      } catch (StoreException e) {
        throw e;
      } catch (Exception e) {
        throw new ReadFailedException(database, e);
      }
    }
  }

  /**
   * Retires every connection: idle ones close now, busy ones when returned; new ones open as needed. What a
   * replica does after an update, so no connection keeps a parsed schema or a read transaction (a statement
   * a task left open) from before it.
   */
  void retireAll() {
    if (pool.getHikariPoolMXBean() != null) {
      pool.getHikariPoolMXBean().softEvictConnections();
    }
  }

  int active() {
    return pool.getHikariPoolMXBean() == null ? 0 : pool.getHikariPoolMXBean().getActiveConnections();
  }

  @Override
  public void close() {
    pool.close();
  }
}
