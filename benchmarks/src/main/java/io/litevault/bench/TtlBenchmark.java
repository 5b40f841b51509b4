package io.litevault.bench;

import io.litevault.store.CheckpointMode;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.ttl.PurgeReport;
import io.litevault.ttl.TtlCleaner;
import io.litevault.ttl.TtlOptions;
import io.litevault.ttl.TtlTable;
import io.litevault.ttl.TtlTableSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * TTL purge (issue 7): purge rate, and the p99 write latency of concurrent writers during a purge vs
 * idle, in the same run.
 *
 * <p>For each mode ({@code default}: the default options, batches of at most 1,000 rows sized to
 * {@link TtlOptions#DEFAULT_TARGET_BATCH_TIME}, the purge taking at most
 * {@link TtlOptions#DEFAULT_WRITER_SHARE} of the writer's time, a small checkpoint after each batch;
 * {@code nocheckpoint}: the same without the checkpoints; {@code unpaced}: adaptive batches back to
 * back, no checkpoints; {@code fixed}: batches of 1,000 rows back to back, the naive loop), on a fresh store:
 * fill the {@code session} table of the {@code ttl} database with {@code --rows} expired rows; start
 * {@code --writers} threads that each put live sessions OPEN LOOP on a fixed schedule (together
 * {@code --rate} writes/s; a write's latency runs from its scheduled time to its commit, so a stalled
 * writer queue cannot hide by slowing the arrivals); after {@code --warmup-seconds}, record
 * {@code --idle-seconds} without a purge, then purge everything expired with
 * {@link TtlCleaner#purgeNow()} and record the writes scheduled while it ran. Writes that fail are
 * counted (and must be 0). Target: p99 during the purge at most 3x idle p99.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.litevault.bench.TtlBenchmark [--rows=1000000]
 * [--rate=2000] [--writers=8] [--idle-seconds=10] [--warmup-seconds=2] [--modes=default,nocheckpoint,unpaced,fixed]
 * [--rounds=3] [--dir=/tmp]}
 */
public final class TtlBenchmark {
  private static final TtlTableSpec SESSIONS = TtlTableSpec.builder("session").build();

  private TtlBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rows = 1_000_000;
    double rate = 2_000;
    int writers = 8;
    double idleSeconds = 10;
    double warmupSeconds = 2;
    int rounds = 3;
    List<String> modes = List.of("default", "nocheckpoint", "fixed");
    Path base = Path.of(System.getProperty("java.io.tmpdir"));
    for (String a : args) {
      String[] kv = a.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("expected --name=value, got '" + a + "'");
      }
      switch (kv[0]) {
        case "--rows" -> rows = Integer.parseInt(kv[1]);
        case "--rate" -> rate = Double.parseDouble(kv[1]);
        case "--writers" -> writers = Integer.parseInt(kv[1]);
        case "--idle-seconds" -> idleSeconds = Double.parseDouble(kv[1]);
        case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(kv[1]);
        case "--rounds" -> rounds = Integer.parseInt(kv[1]);
        case "--modes" -> modes = List.of(kv[1].split(","));
        case "--dir" -> base = Path.of(kv[1]);
        default -> throw new IllegalArgumentException("unknown option " + kv[0]);
      }
    }
    System.out.printf(Locale.ROOT, "TtlBenchmark rows=%d rate=%.0f/s writers=%d idle=%.1fs warmup=%.1fs rounds=%d modes=%s cores=%d%n",
        rows, rate, writers, idleSeconds, warmupSeconds, rounds, modes, Runtime.getRuntime().availableProcessors());
    List<String> summary = new ArrayList<>();
    for (String mode : modes) {
      List<Double> ratios = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        Path dir = Files.createTempDirectory(base, "ttl-bench");
        try {
          Result r = round(dir, mode, rows, rate, writers, idleSeconds, warmupSeconds);
          System.out.println(mode + " round " + round + ": " + r);
          ratios.add(r.ratio());
        } finally {
          deleteTree(dir);
        }
      }
      ratios.sort(null);
      summary.add(String.format(Locale.ROOT, "%s: p99 ratio (purge/idle) per round %s, median %.2f", mode,
          ratios.stream().map(d -> String.format(Locale.ROOT, "%.2f", d)).toList(), ratios.get(ratios.size() / 2)));
    }
    summary.forEach(System.out::println);
  }

  record Result(long purged, int batches, double purgeSeconds, long slowestBatchMs, Latencies idle, Latencies purge,
      long failed, long idleCheckpoints, long purgeCheckpoints) {
    double ratio() {
      return purge.p99Ms / idle.p99Ms;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "purged %,d rows in %d batches, %.2f s = %,.0f rows/s (slowest batch %d ms);"
              + " idle %s (%d checkpoints); during purge %s (%d checkpoints); p99 ratio %.2f; failed writes %d",
          purged, batches, purgeSeconds, purged / purgeSeconds, slowestBatchMs, idle, idleCheckpoints, purge,
          purgeCheckpoints, ratio(), failed);
    }
  }

  record Latencies(int writes, double p50Ms, double p99Ms, double maxMs) {
    static Latencies of(long[] nanos) {
      Arrays.sort(nanos);
      if (nanos.length == 0) {
        return new Latencies(0, Double.NaN, Double.NaN, Double.NaN);
      }
      return new Latencies(nanos.length, pct(nanos, 0.50), pct(nanos, 0.99), nanos[nanos.length - 1] / 1e6);
    }

    private static double pct(long[] sorted, double p) {
      return sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] / 1e6;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%,d writes p50 %.2f ms p99 %.2f ms max %.1f ms", writes, p50Ms, p99Ms, maxMs);
    }
  }

  private static Result round(Path dir, String mode, int rows, double rate, int writers, double idleSeconds,
      double warmupSeconds) throws Exception {
    TtlOptions.Builder options = TtlOptions.builder().clock(Clock.systemUTC()).cron(null);
    switch (mode) {
      case "default" -> { }
      case "nocheckpoint" -> options.checkpointBetweenBatches(false);
      case "unpaced" -> options.writerShare(1).checkpointBetweenBatches(false);
      case "fixed" -> options.writerShare(1).targetBatchTime(Duration.ZERO).checkpointBetweenBatches(false);
      default -> throw new IllegalArgumentException("unknown mode " + mode + " (default, nocheckpoint, unpaced, fixed)");
    }
    try (SqliteStore store = SqliteStore.builder(dir)
            .database("ttl", DatabaseOptions.builder().migration(1, "sessions", SESSIONS.createTableSql()).build()).open();
         TtlCleaner cleaner = TtlCleaner.create(options.build())) {
      Database db = store.database("ttl");
      TtlTable<String> sessions = cleaner.table(db, SESSIONS);
      fill(db, rows);
      // Start both windows from an empty WAL: otherwise the first checkpoint of the fill lands in "idle".
      db.checkpoint(CheckpointMode.TRUNCATE).join();
      double seconds = warmupSeconds + idleSeconds + 600; // upper bound: the generator stops when told
      OpenLoop load = new OpenLoop(sessions, rate, writers, seconds);
      load.start();
      sleepNanos((long) ((warmupSeconds) * 1e9));
      long idleFrom = System.nanoTime();
      long cp0 = db.health().checkpoints();
      sleepNanos((long) (idleSeconds * 1e9));
      long purgeFrom = System.nanoTime();
      long cp1 = db.health().checkpoints();
      PurgeReport report = cleaner.purgeNow();
      long purgeTo = System.nanoTime();
      long cp2 = db.health().checkpoints();
      load.stopAndDrain();
      PurgeReport.TableReport t = report.tables().get(0);
      if (t.rowsPurged() != rows || !t.complete()) {
        throw new IllegalStateException("purge did not remove the " + rows + " expired rows: " + report);
      }
      return new Result(t.rowsPurged(), t.batches(), (purgeTo - purgeFrom) / 1e9, t.slowestBatch().toMillis(),
          Latencies.of(load.latencies(idleFrom, purgeFrom)), Latencies.of(load.latencies(purgeFrom, purgeTo)), load.failed.get(),
          cp1 - cp0, cp2 - cp1);
    }
  }

  /** Expired rows, 50,000 per write task, expiries spread over the last day. */
  private static void fill(Database db, int rows) {
    long now = System.currentTimeMillis();
    for (int from = 0; from < rows; from += 50_000) {
      int start = from;
      int end = Math.min(rows, from + 50_000);
      db.writeAndWait(c -> {
        try (var ps = c.prepareStatement("INSERT INTO session(id, value, expires_at) VALUES (?, ?, ?)")) {
          for (int i = start; i < end; i++) {
            ps.setString(1, "expired-" + i);
            ps.setString(2, "{\"user\":" + i + ",\"agent\":\"Mozilla/5.0 (X11; Linux x86_64)\",\"ip\":\"10.0.0.1\"}");
            ps.setLong(3, now - 1 - (i * 7919L) % 86_400_000L);
            ps.executeUpdate();
          }
        }
        return null;
      });
    }
  }

  /** {@code writers} threads, each putting on a fixed schedule; latency = commit time - scheduled time. */
  static final class OpenLoop {
    private final TtlTable<String> table;
    private final int writers;
    private final long periodNanos;
    private final int perWriter;
    private final long[][] scheduled;
    private final long[][] done;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private volatile boolean stop;

    OpenLoop(TtlTable<String> table, double rate, int writers, double maxSeconds) {
      this.table = table;
      this.writers = writers;
      this.periodNanos = (long) (1e9 * writers / rate);
      this.perWriter = (int) Math.min(Integer.MAX_VALUE - 8, (long) (maxSeconds * rate / writers) + 1);
      this.scheduled = new long[writers][];
      this.done = new long[writers][];
    }

    void start() {
      long t0 = System.nanoTime();
      for (int w = 0; w < writers; w++) {
        int id = w;
        scheduled[w] = new long[Math.min(perWriter, 1 << 20)];
        done[w] = new long[scheduled[w].length];
        Thread t = new Thread(() -> run(id, t0 + id * periodNanos / writers), "ttl-bench-writer-" + w);
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
    }

    private void run(int id, long first) {
      long[] sch = scheduled[id];
      long[] dn = done[id];
      String payload = "{\"user\":42,\"agent\":\"Mozilla/5.0 (X11; Linux x86_64)\",\"ip\":\"10.0.0.2\"}";
      for (int i = 0; i < sch.length && !stop; i++) {
        long due = first + i * periodNanos;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        sch[i] = due;
        int n = i;
        inFlight.incrementAndGet();
        try {
          table.putAsync("live-" + id + "-" + i, payload, Duration.ofHours(1)).whenComplete((v, e) -> {
            dn[n] = System.nanoTime();
            if (e != null) {
              failed.incrementAndGet();
            }
            inFlight.decrementAndGet();
          });
        } catch (RuntimeException e) {
          failed.incrementAndGet();
          inFlight.decrementAndGet();
        }
      }
    }

    void stopAndDrain() throws InterruptedException {
      stop = true;
      for (Thread t : threads) {
        t.join();
      }
      while (inFlight.get() > 0) {
        Thread.sleep(5);
      }
    }

    /** Latencies of the writes scheduled in [from, to). */
    long[] latencies(long from, long to) {
      List<Long> out = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        for (int i = 0; i < scheduled[w].length && scheduled[w][i] != 0; i++) {
          long s = scheduled[w][i];
          if (s >= from && s < to && done[w][i] != 0) {
            out.add(done[w][i] - s);
          }
        }
      }
      return out.stream().mapToLong(Long::longValue).toArray();
    }
  }

  private static void sleepNanos(long nanos) throws InterruptedException {
    Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
  }

  private static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
