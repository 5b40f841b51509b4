package io.litevault.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.DatabaseHealth;
import io.litevault.store.SqliteStore;
import io.litevault.store.Synchronous;
import io.litevault.store.TaskIsolation;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Acknowledged single-row inserts of the same ~100-byte row, in rows per second, three ways:
 *
 * <ul>
 *   <li>{@code queue}: the store. 32 caller threads each call {@link Database#writeAndWait}; an op is
 *       one row whose COMMIT has completed its future. Params {@code synchronous},
 *       {@code isolation} (SAVEPOINT per task, or an optimistic batch REPLAYed without a failing task)
 *       and {@code failPercent} (0 or 1: share of tasks that throw after their INSERT, to price the
 *       isolation); with failures, read the {@code rows} counter (acknowledged rows/s), not the score.
 *   <li>{@code pool}: what a user would do without the store: a HikariCP pool of 8 read-write
 *       sqlite-jdbc connections in autocommit with {@code busy_timeout} 5 s, the same 32 callers, one
 *       autocommitted INSERT per op. A write that still fails (SQLITE_BUSY after 5 s, pool timeout) is
 *       counted in the {@code failed} counter (and not in {@code rows}) and the run goes on.
 *   <li>{@code raw}: the ceiling: one connection, one thread, 1,000 inserts per transaction with one
 *       reused prepared statement; {@link OperationsPerInvocation} makes its score rows per second.
 * </ul>
 *
 * <p>Plus {@code queueBulk}, a diagnostic (see its doc), not one of the compared modes, and the
 * per-write cost pair of issue 14: {@code single} (one caller thread, {@link Database#writeAndWait} of
 * one INSERT, so every batch holds one write and every write is its own transaction) against
 * {@code plain} (one thread, one sqlite-jdbc connection in autocommit, WAL, the same synchronous level,
 * one reused prepared statement): their ratio is what the store adds to each transaction.
 *
 * <p>{@link Threads} is per method and a {@link Param} cannot vary it, so the three modes are three
 * methods, each with its own state class carrying only the params that apply to it: {@code queue} runs
 * 2 synchronous x 2 isolation x 2 failPercent x 2 statementCache trials, {@code queueBulk}, {@code pool} and {@code raw} 2 each. Every trial gets a fresh
 * database in a new temp directory (under {@code -Dlitevault.bench.dir} if set), deleted afterwards.
 * The queue and pool tasks prepare their statement per write, as a write task or a pooled caller
 * does; raw reuses one, as a hand-written batch loop does.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 10)
public class WriteBenchmark {

  /** Rows per transaction of {@code raw}. */
  public static final int RAW_BATCH = 1_000;
  /** Writes in flight per thread of {@code queueBulk}. */
  public static final int BULK = 1_000;

  /**
   * Per-thread outcome counters, which JMH sums over threads and reports per second next to the score:
   * {@code rows} = acknowledged (committed) rows, {@code failed} = writes whose future or call failed.
   * With {@code failPercent=0} nothing should fail and {@code rows} equals the score. Only calls
   * inside JMH's measured window count ({@link #measured}): JMH also runs the method while it
   * synchronizes the threads at the start and end of an iteration, and with slow calls (the pool under
   * FULL) counting those doubled {@code rows} against the score.
   */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Outcomes {
    public long rows;
    public long failed;

    @Setup(Level.Iteration)
    public void reset() {
      rows = 0;
      failed = 0;
    }
  }

  /** Whether a call that just finished falls in the measured part of the iteration. */
  static boolean measured(Control control) {
    return control.startMeasurement && !control.stopMeasurement;
  }

  /** Thrown by the tasks that {@code failPercent} makes fail, after their INSERT ran. */
  static final class InjectedFailure extends Exception {
    private static final long serialVersionUID = 1L;

    InjectedFailure() {
      super("injected failure", null, false, false);
    }
  }

  /** A fresh store per trial, and what its writer thread did during the measurement iterations. */
  abstract static class StoreTrial {
    Path dir;
    SqliteStore store;
    Database db;
    final AtomicLong keys = new AtomicLong();
    private long[] schedAtStart;
    private long iterationStart;
    private final long[] measuredSched = new long[2];
    private long measuredWall;

    void open(Synchronous synchronous, TaskIsolation isolation) {
      open(synchronous, isolation, DatabaseOptions.DEFAULT_STATEMENT_CACHE_SIZE);
    }

    void open(Synchronous synchronous, TaskIsolation isolation, int statementCacheSize) {
      dir = BenchSupport.newDirectory("litevault-bench-queue-");
      store = BenchSupport.openStore(dir, synchronous, isolation, statementCacheSize);
      db = store.database(BenchSupport.DB);
    }

    /** Inherited by every trial state (JMH runs fixture methods of a state's superclasses). */
    @Setup(Level.Iteration)
    public void iterationStarts() {
      schedAtStart = BenchSupport.writerSchedstat();
      iterationStart = System.nanoTime();
    }

    @TearDown(Level.Iteration)
    public void iterationEnds(IterationParams params) {
      long[] now = BenchSupport.writerSchedstat();
      if (params.getType() == IterationType.MEASUREMENT && now != null && schedAtStart != null) {
        measuredSched[0] += now[0] - schedAtStart[0];
        measuredSched[1] += now[1] - schedAtStart[1];
        measuredWall += System.nanoTime() - iterationStart;
      }
    }

    void close(String label) {
      // The mean batch size is the whole point of group commit, and the writer's CPU share tells
      // whether the writer or the callers (and the machine) were the bottleneck: print both.
      DatabaseHealth h = db.health();
      System.out.printf("%n[%s] %,d writes committed in %,d transactions (mean batch %.1f), %,d failed; "
          + "during measurement %s%n", label, h.writesCommitted(), h.txid(),
          h.txid() == 0 ? 0.0 : (double) h.writesCommitted() / h.txid(), h.writesFailed(),
          BenchSupport.describeWriter(new long[2], measuredSched, measuredWall));
      store.close();
      BenchSupport.deleteRecursively(dir);
    }
  }

  @State(Scope.Benchmark)
  public static class QueueState extends StoreTrial {
    @Param({"NORMAL", "FULL"})
    public Synchronous synchronous;

    @Param({"SAVEPOINT", "REPLAY"})
    public TaskIsolation isolation;

    /**
     * Percent of writes whose task throws after its INSERT (0 to 100): what isolating a failing task
     * costs each mode. REPLAY re-runs the batch without it; SAVEPOINT rolls back one savepoint.
     */
    @Param({"0", "1"})
    public int failPercent;

    /**
     * The writer's statement cache ({@link DatabaseOptions#statementCacheSize}): the default, or 0 (off:
     * every task's {@code prepareStatement} compiles the INSERT again, as before the cache existed).
     */
    @Param({"64", "0"})
    public int statementCache;

    /** Every {@code failEvery}-th key fails; 0 for none. */
    long failEvery;

    @Setup(Level.Trial)
    public void setUp() {
      if (failPercent < 0 || failPercent > 100) {
        throw new IllegalArgumentException("failPercent must be 0 to 100, got " + failPercent);
      }
      failEvery = failPercent == 0 ? 0 : Math.max(1, Math.round(100.0 / failPercent));
      open(synchronous, isolation, statementCache);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      close("queue " + synchronous + " " + isolation + " failPercent=" + failPercent + " statementCache=" + statementCache);
    }
  }

  /** {@code queueBulk}: the default isolation (SAVEPOINT) only. */
  @State(Scope.Benchmark)
  public static class BulkState extends StoreTrial {
    @Param({"NORMAL", "FULL"})
    public Synchronous synchronous;

    @Setup(Level.Trial)
    public void setUp() {
      open(synchronous, TaskIsolation.SAVEPOINT);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      close("queueBulk " + synchronous + " SAVEPOINT");
    }
  }

  /** {@code single}: one caller, default options (SAVEPOINT isolation, statement cache on). */
  @State(Scope.Benchmark)
  public static class SingleState extends StoreTrial {
    @Param({"NORMAL", "FULL"})
    public Synchronous synchronous;

    @Setup(Level.Trial)
    public void setUp() {
      open(synchronous, TaskIsolation.SAVEPOINT);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      close("single " + synchronous + " SAVEPOINT");
    }
  }

  /** {@code plain}: one sqlite-jdbc connection in autocommit with one reused prepared statement. */
  @State(Scope.Benchmark)
  public static class PlainState {
    @Param({"NORMAL", "FULL"})
    public Synchronous synchronous;

    Path dir;
    Connection connection;
    PreparedStatement insert;
    long nextKey;

    @Setup(Level.Trial)
    public void open() throws SQLException {
      dir = BenchSupport.newDirectory("litevault-bench-plain-");
      connection = BenchSupport.openPlain(dir, synchronous); // autocommit, WAL, SQLite's autocheckpoint
      insert = connection.prepareStatement(BenchSupport.INSERT);
    }

    @TearDown(Level.Trial)
    public void close() throws SQLException {
      insert.close();
      connection.close();
      BenchSupport.deleteRecursively(dir);
    }
  }

  @State(Scope.Benchmark)
  public static class PoolState {
    /** Writer connections of the pool. */
    public static final int POOL_SIZE = 8;

    @Param({"NORMAL", "FULL"})
    public Synchronous synchronous;

    Path dir;
    HikariDataSource pool;
    final AtomicLong keys = new AtomicLong();
    /** Every failed write of the trial, and the first one's exception, printed at tear-down. */
    final AtomicLong failures = new AtomicLong();
    final AtomicReference<Throwable> firstFailure = new AtomicReference<>();

    @Setup(Level.Trial)
    public void open() throws SQLException {
      dir = BenchSupport.newDirectory("litevault-bench-pool-");
      try (Connection c = BenchSupport.openPlain(dir, synchronous)) {
        // creates the file, WAL mode (persistent) and the table
      }
      HikariConfig config = new HikariConfig();
      config.setPoolName("bench-writers");
      org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource(BenchSupport.plainConfig(synchronous));
      ds.setUrl(BenchSupport.url(BenchSupport.plainFile(dir)));
      config.setDataSource(ds);
      config.setMaximumPoolSize(POOL_SIZE);
      config.setMinimumIdle(POOL_SIZE);
      config.setAutoCommit(true);
      config.setConnectionTimeout(30_000);
      pool = new HikariDataSource(config);
    }

    @TearDown(Level.Trial)
    public void close() {
      System.out.printf("%n[pool %s] %,d failed writes in the trial%s%n", synchronous, failures.get(),
          firstFailure.get() == null ? "" : "; the first: " + firstFailure.get());
      pool.close();
      BenchSupport.deleteRecursively(dir);
    }
  }

  @State(Scope.Benchmark)
  public static class RawState {
    @Param({"NORMAL", "FULL"})
    public Synchronous synchronous;

    Path dir;
    Connection connection;
    PreparedStatement insert;
    long nextKey;

    @Setup(Level.Trial)
    public void open() throws SQLException {
      dir = BenchSupport.newDirectory("litevault-bench-raw-");
      connection = BenchSupport.openPlain(dir, synchronous);
      connection.setAutoCommit(false);
      insert = connection.prepareStatement(BenchSupport.INSERT);
    }

    @TearDown(Level.Trial)
    public void close() throws SQLException {
      insert.close();
      connection.close();
      BenchSupport.deleteRecursively(dir);
    }
  }

  @Benchmark
  @Threads(32)
  public void queue(QueueState s, Outcomes o, Control control) {
    long key = s.keys.incrementAndGet();
    boolean fail = s.failEvery > 0 && key % s.failEvery == 0;
    try {
      s.db.writeAndWait(c -> {
        int n = BenchSupport.insertOnce(c, key);
        if (fail) {
          throw new InjectedFailure();
        }
        return n;
      });
      if (measured(control)) {
        o.rows++;
      }
    } catch (RuntimeException e) {
      if (measured(control)) {
        o.failed++;
      }
    }
  }

  /**
   * Not one of the modes, a diagnostic: the same store fed by 2 threads that each submit
   * {@value #BULK} writes with {@link Database#write} and then wait for all their acknowledgements. The
   * batches fill up (up to maxBatchSize 1,000) and no caller thread has to wake per row, so this is the
   * writer's own ceiling; the gap to {@code queue} is the cost of 32 callers parking and waking.
   */
  @Benchmark
  @Threads(2)
  @OperationsPerInvocation(BULK)
  public void queueBulk(BulkState s, Outcomes o, Control control) {
    int rows = 0;
    int failed = 0;
    @SuppressWarnings("unchecked")
    CompletableFuture<Integer>[] pending = new CompletableFuture[BULK];
    for (int i = 0; i < BULK; i++) {
      long key = s.keys.incrementAndGet();
      try {
        pending[i] = s.db.write(c -> BenchSupport.insertOnce(c, key));
      } catch (RuntimeException e) {
        failed++;
      }
    }
    for (CompletableFuture<Integer> p : pending) {
      if (p != null) {
        try {
          p.join();
          rows++;
        } catch (RuntimeException e) {
          failed++;
        }
      }
    }
    if (measured(control)) {
      o.rows += rows;
      o.failed += failed;
    }
  }

  @Benchmark
  @Threads(32)
  public void pool(PoolState s, Outcomes o, Control control) {
    long key = s.keys.incrementAndGet();
    try (Connection c = s.pool.getConnection()) {
      BenchSupport.insertOnce(c, key);
      if (measured(control)) {
        o.rows++;
      }
    } catch (SQLException | RuntimeException e) {
      s.failures.incrementAndGet();
      s.firstFailure.compareAndSet(null, e);
      if (measured(control)) {
        o.failed++;
      }
    }
  }

  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(RAW_BATCH)
  public void raw(RawState s) throws SQLException {
    PreparedStatement ps = s.insert;
    for (int i = 0; i < RAW_BATCH; i++) {
      ps.setLong(1, ++s.nextKey);
      ps.setString(2, BenchSupport.VALUE);
      ps.executeUpdate();
    }
    s.connection.commit();
  }

  /**
   * Issue 14's per-transaction cost: one caller thread, one {@link Database#writeAndWait} of one INSERT
   * per op, so each batch is a single write in its own transaction. Compare with {@code plain}.
   */
  @Benchmark
  @Threads(1)
  public int single(SingleState s) {
    long key = s.keys.incrementAndGet();
    return s.db.writeAndWait(c -> BenchSupport.insertOnce(c, key));
  }

  /** What {@code single} is compared with: one autocommitted INSERT on a plain connection per op. */
  @Benchmark
  @Threads(1)
  public int plain(PlainState s) throws SQLException {
    PreparedStatement ps = s.insert;
    ps.setLong(1, ++s.nextKey);
    ps.setString(2, BenchSupport.VALUE);
    return ps.executeUpdate();
  }
}
