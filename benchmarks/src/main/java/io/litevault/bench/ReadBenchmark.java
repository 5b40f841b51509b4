package io.litevault.bench;

import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import io.litevault.store.Synchronous;
import io.litevault.store.TaskIsolation;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Point reads of a ~100-byte row by primary key from a 10,000-row table, in reads per second:
 *
 * <ul>
 *   <li>{@code cached}: {@link Database#cached} with keys drawn from a hot set of {@value #HOT_KEYS}
 *       (all hits once warm; the loader is a pooled point select), 2 threads;
 *   <li>{@code pooled}: {@link Database#read}, a point select on a pooled read-only connection with a
 *       statement prepared per read, keys drawn from all rows, 2 threads;
 *   <li>{@code plain}: one plain sqlite-jdbc connection and one reused prepared statement, 1 thread
 *       (the ceiling of one connection).
 * </ul>
 *
 * <p>Each method gets its own trial and so its own fresh, populated store.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 10)
public class ReadBenchmark {
  public static final int ROWS = 10_000;
  public static final int HOT_KEYS = 1_000;

  @State(Scope.Benchmark)
  public static class Env {
    Path dir;
    SqliteStore store;
    Database db;
    Connection plain;
    PreparedStatement plainSelect;

    @Setup(Level.Trial)
    public void open() throws SQLException {
      dir = BenchSupport.newDirectory("litevault-bench-read-");
      store = BenchSupport.openStore(dir, Synchronous.NORMAL, TaskIsolation.SAVEPOINT);
      db = store.database(BenchSupport.DB);
      db.writeAndWait(c -> {
        try (PreparedStatement ps = c.prepareStatement(BenchSupport.INSERT)) {
          for (int k = 1; k <= ROWS; k++) {
            ps.setLong(1, k);
            ps.setString(2, BenchSupport.VALUE);
            ps.executeUpdate();
          }
        }
        return null;
      });
      // A plain read-only connection on the same file: sqlite-jdbc defaults, nothing else.
      org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
      config.setReadOnly(true);
      plain = config.createConnection(BenchSupport.url(db.path()));
      plainSelect = plain.prepareStatement(BenchSupport.SELECT);
    }

    @TearDown(Level.Trial)
    public void close() throws SQLException {
      plainSelect.close();
      plain.close();
      store.close();
      BenchSupport.deleteRecursively(dir);
    }
  }

  static String select(Connection c, long key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(BenchSupport.SELECT)) {
      ps.setLong(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  @Benchmark
  @Threads(2)
  public String cached(Env env) {
    long key = 1 + ThreadLocalRandom.current().nextInt(HOT_KEYS);
    return env.db.cached(BenchSupport.TABLE, key, c -> select(c, key));
  }

  @Benchmark
  @Threads(2)
  public String pooled(Env env) {
    long key = 1 + ThreadLocalRandom.current().nextInt(ROWS);
    return env.db.read(c -> select(c, key));
  }

  @Benchmark
  @Threads(1)
  public String plain(Env env) throws SQLException {
    PreparedStatement ps = env.plainSelect;
    ps.setLong(1, 1 + ThreadLocalRandom.current().nextInt(ROWS));
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
