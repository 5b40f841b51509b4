package io.litevault.bench;

import io.litevault.store.Database;
import io.litevault.store.DatabaseHealth;
import io.litevault.store.SqliteStore;
import io.litevault.store.Synchronous;
import io.litevault.store.TaskIsolation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Acknowledged-write latency of the store at a fixed fraction (default 50%) of its peak, open loop.
 *
 * <p>For each {@code synchronous} level, on a fresh store:
 *
 * <ol>
 *   <li>peak: {@code --callers} (32) threads call {@code writeAndWait} back to back, as
 *       {@code WriteBenchmark.queue} does, for {@code --peak-seconds}; peak = acknowledged rows/s
 *       (or give {@code --peak=N} to use a figure measured by JMH);
 *   <li>load: ONE generator thread submits {@code db.write(...)} on a fixed schedule of
 *       {@code fraction x peak} writes/s, never waiting for acknowledgements (open loop: a slow
 *       commit cannot slow the arrivals, so there is no coordinated omission); when it wakes late it
 *       submits every write that is due. A write's latency runs from its SCHEDULED time to the
 *       completion of its future (after COMMIT), so the generator's own lateness counts against the
 *       store. {@code --warmup-seconds} of this load are discarded, then {@code --seconds} are
 *       recorded (one long per write) and sorted for exact percentiles.
 * </ol>
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.litevault.bench.WriteLatencyHarness
 * [--sync=NORMAL,FULL] [--isolation=SAVEPOINT] [--fraction=0.5] [--seconds=30] [--warmup-seconds=5]
 * [--peak-seconds=10] [--callers=32] [--peak=rows/s]}
 */
public final class WriteLatencyHarness {
  private WriteLatencyHarness() {}

  public static void main(String[] args) throws Exception {
    List<Synchronous> levels = new ArrayList<>(List.of(Synchronous.NORMAL, Synchronous.FULL));
    TaskIsolation isolation = TaskIsolation.SAVEPOINT;
    double fraction = 0.5;
    double seconds = 30;
    double warmupSeconds = 5;
    double peakSeconds = 10;
    int callers = 32;
    double fixedPeak = 0;
    for (String a : args) {
      String[] kv = a.split("=", 2);
      if (kv.length != 2) {
        usage("expected --name=value, got '" + a + "'");
      }
      switch (kv[0]) {
        case "--sync" -> {
          levels.clear();
          for (String v : kv[1].split(",")) {
            levels.add(Synchronous.valueOf(v.trim().toUpperCase(Locale.ROOT)));
          }
        }
        case "--isolation" -> isolation = TaskIsolation.valueOf(kv[1].trim().toUpperCase(Locale.ROOT));
        case "--fraction" -> fraction = Double.parseDouble(kv[1]);
        case "--seconds" -> seconds = Double.parseDouble(kv[1]);
        case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(kv[1]);
        case "--peak-seconds" -> peakSeconds = Double.parseDouble(kv[1]);
        case "--callers" -> callers = Integer.parseInt(kv[1]);
        case "--peak" -> fixedPeak = Double.parseDouble(kv[1]);
        default -> usage("unknown option " + kv[0]);
      }
    }
    if (!(fraction > 0 && fraction <= 1) || seconds <= 0 || callers < 1) {
      usage("need 0 < fraction <= 1, seconds > 0, callers >= 1");
    }
    System.out.printf(Locale.ROOT, "%-8s %-9s %12s %12s %12s %9s %9s %9s %9s %9s %8s%n", "sync", "isolation",
        "peak/s", "target/s", "achieved/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "failed");
    for (Synchronous sync : levels) {
      Path dir = BenchSupport.newDirectory("litevault-latency-");
      try (SqliteStore store = BenchSupport.openStore(dir, sync, isolation)) {
        Database db = store.database(BenchSupport.DB);
        AtomicLong keys = new AtomicLong();
        closedLoop(db, keys, callers, Math.min(2, peakSeconds)); // JIT warm-up
        double peak = fixedPeak > 0 ? fixedPeak : closedLoop(db, keys, callers, peakSeconds);
        double rate = fraction * peak;
        openLoop(db, keys, rate, warmupSeconds);
        DatabaseHealth h0 = db.health();
        long[] schedBefore = BenchSupport.writerSchedstat();
        long wallBefore = System.nanoTime();
        Result r = openLoop(db, keys, rate, seconds);
        long wall = System.nanoTime() - wallBefore;
        long[] schedAfter = BenchSupport.writerSchedstat();
        DatabaseHealth h1 = db.health();
        long txns = h1.txid() - h0.txid();
        System.out.printf(Locale.ROOT, "%-8s %-9s %12.0f %12.0f %12.0f %9.3f %9.3f %9.3f %9.3f %9.3f %8d"
                + "  mean batch %.1f, %d checkpoints; %s%n",
            sync, isolation, peak, rate, r.achievedRate, ms(r.percentile(0.50)), ms(r.percentile(0.90)),
            ms(r.percentile(0.99)), ms(r.percentile(0.999)), ms(r.max()), r.failed,
            txns == 0 ? 0.0 : (double) (h1.writesCommitted() - h0.writesCommitted()) / txns,
            h1.checkpoints() - h0.checkpoints(), BenchSupport.describeWriter(schedBefore, schedAfter, wall));
      } finally {
        BenchSupport.deleteRecursively(dir);
      }
    }
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println("usage: WriteLatencyHarness [--sync=NORMAL,FULL] [--isolation=SAVEPOINT|REPLAY] "
        + "[--fraction=0.5] [--seconds=30] [--warmup-seconds=5] [--peak-seconds=10] [--callers=32] [--peak=rows/s]");
    System.exit(2);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** {@code callers} threads writing back to back for {@code seconds}; returns acknowledged rows/s. */
  static double closedLoop(Database db, AtomicLong keys, int callers, double seconds) throws InterruptedException {
    LongAdder acked = new LongAdder();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    Thread[] threads = new Thread[callers];
    long start = System.nanoTime();
    for (int t = 0; t < callers; t++) {
      threads[t] = new Thread(() -> {
        while (System.nanoTime() < end) {
          long key = keys.incrementAndGet();
          try {
            db.writeAndWait(c -> BenchSupport.insertOnce(c, key));
            acked.increment();
          } catch (RuntimeException e) {
            // not acknowledged: not counted
          }
        }
      }, "peak-caller-" + t);
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    return acked.sum() / ((System.nanoTime() - start) / 1e9);
  }

  record Result(long[] sortedLatencies, long failed, double achievedRate) {
    long percentile(double p) {
      if (sortedLatencies.length == 0) {
        return 0;
      }
      int i = (int) Math.ceil(p * sortedLatencies.length) - 1;
      return sortedLatencies[Math.max(0, Math.min(sortedLatencies.length - 1, i))];
    }

    long max() {
      return sortedLatencies.length == 0 ? 0 : sortedLatencies[sortedLatencies.length - 1];
    }
  }

  /** Submits {@code rate x seconds} writes on a fixed schedule from this thread; see the class doc. */
  static Result openLoop(Database db, AtomicLong keys, double rate, double seconds) throws InterruptedException {
    int n = (int) Math.max(1, Math.round(rate * seconds));
    double periodNanos = 1e9 / rate;
    long[] latency = new long[n];
    boolean[] ok = new boolean[n];
    CountDownLatch done = new CountDownLatch(n);
    LongAdder failed = new LongAdder();
    long start = System.nanoTime() + 1_000_000;
    for (int i = 0; i < n; i++) {
      long scheduled = start + (long) (i * periodNanos);
      long now;
      while ((now = System.nanoTime()) < scheduled) {
        LockSupport.parkNanos(scheduled - now); // no spinning: on 2 cores it would steal the writer's CPU
      }
      final int index = i;
      long key = keys.incrementAndGet();
      try {
        // Completion runs on the writer thread: only a subtraction and two array stores.
        db.write(c -> BenchSupport.insertOnce(c, key)).whenComplete((v, e) -> {
          if (e == null) {
            latency[index] = System.nanoTime() - scheduled;
            ok[index] = true;
          } else {
            failed.increment();
          }
          done.countDown();
        });
      } catch (RuntimeException e) { // queue full, store closed
        failed.increment();
        done.countDown();
      }
    }
    long submitted = System.nanoTime();
    if (!done.await(2 + (long) seconds, TimeUnit.MINUTES)) {
      throw new IllegalStateException("writes still unacknowledged after the load ended");
    }
    // Offered rate actually achieved: equals {@code rate} when the generator kept its schedule.
    double elapsed = (submitted - start + periodNanos) / 1e9;
    long[] acked = new long[n];
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (ok[i]) {
        acked[m++] = latency[i];
      }
    }
    long[] sorted = Arrays.copyOf(acked, m);
    Arrays.sort(sorted);
    return new Result(sorted, failed.sum(), n / elapsed);
  }
}
