package io.litevault.bench;

import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * The child JVM of {@link PeerHarness}: one application writing single-row transactions (the table and
 * row of {@link LossWriterMain}, each row holding its sequence number and the millisecond it was
 * written), measured for a window, then writing on until the parent kills it with kill -9.
 *
 * <p>{@code <system> <dir or db> <rate> <warmup seconds> <seconds> <callers> [endpoint bucket prefix accessKey
 * secretKey client]}:
 * <ul>
 *   <li>system {@code sqlite}: the application Litestream replicates from its own process, one plain
 *       sqlite-jdbc connection ({@link LossWriterMain#openSqlite}); a write is acknowledged when
 *       {@code executeUpdate} returns (autocommit).</li>
 *   <li>{@code litevault-local}, {@code litevault-replicated}: {@link LossWriterMain#startLitevault} (store and
 *       replicator at their defaults); acknowledged when the write's future completes, at COMMIT or once
 *       the write is in the bucket.</li>
 * </ul>
 * With {@code rate > 0} the writes are due on a fixed schedule ({@code rate} a second) and submitted at
 * their due time whatever is still in flight (open loop; the plain connection is synchronous, so a slow
 * write delays the next ones, which the latency then shows); latency runs from the due time to the
 * acknowledgement, so it is free of coordinated omission. With {@code rate == 0} ({@code --max})
 * {@code callers} threads each write, wait for the acknowledgement and write again; latency runs from the
 * call.
 *
 * <p>The first {@code warmup seconds} are written the same way but not measured (the JIT's work, the
 * lineage's first compacted range). Prints {@code writing <epoch ms>} when the window opens; once every
 * write of the window ({@code rate × seconds} of them, or all those begun in its {@code seconds}) is
 * acknowledged,
 * {@code threads <name>:<cpu ms> ...} (this JVM's threads' CPU time in the window, by name, the busiest
 * first) and {@code summary k=v ...}; after the window, {@code ack <seq> <ts>} for every acknowledged write.
 */
public final class PeerWriterMain {
  private PeerWriterMain() {}

  private final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
  private final Histogram latencies = new Histogram(3_600_000_000_000L, 3);
  private final AtomicLong seqs = new AtomicLong();
  private final AtomicLong measuredAcked = new AtomicLong();
  private final AtomicLong lastMeasuredAck = new AtomicLong();
  private final AtomicBoolean summarized = new AtomicBoolean();
  /** The first write of the window; {@code Long.MAX_VALUE} until it is known. */
  private volatile long firstMeasured = Long.MAX_VALUE;
  /** The first write after the window; {@code Long.MAX_VALUE} until it is known. */
  private volatile long firstTail = Long.MAX_VALUE;
  private long start;
  private Map<String, Long> threadsAtStart;

  /** One write; the future completes with the row's timestamp when it is acknowledged. */
  private interface Submit {
    CompletableFuture<Long> write(long seq) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    int rate = Integer.parseInt(args[2]);
    int warmup = Integer.parseInt(args[3]);
    int seconds = Integer.parseInt(args[4]);
    int callers = Integer.parseInt(args[5]);
    Submit submit;
    switch (args[0]) {
      case "sqlite" -> {
        Connection c = LossWriterMain.openSqlite(args[1]);
        submit = seq -> {
          synchronized (c) {
            return CompletableFuture.completedFuture(LossWriterMain.insert(c, seq));
          }
        };
      }
      case "litevault-local", "litevault-replicated" -> {
        Replicator r = LossWriterMain.startLitevault(args[1], args[6], args[7], args[8], args[9], args[10], args[11]);
        Durability d = args[0].endsWith("local") ? Durability.LOCAL : Durability.REPLICATED;
        submit = seq -> r.write(c -> LossWriterMain.insert(c, seq), d);
      }
      default -> throw new IllegalArgumentException("system must be sqlite, litevault-local or litevault-replicated: "
          + args[0]);
    }
    Thread watchdog = new Thread(() -> {
      LockSupport.parkNanos((warmup + seconds + 900L) * 1_000_000_000L);
      System.err.println("not killed within " + (warmup + seconds + 900) + " s of the start: exiting");
      System.exit(4);
    }, "watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    PeerWriterMain w = new PeerWriterMain();
    if (rate > 0) {
      w.scheduled(submit, rate, warmup, seconds);
    } else {
      w.closedLoop(submit, callers, warmup, seconds);
    }
  }

  private void open() {
    threadsAtStart = threadCpu();
    start = System.nanoTime();
    out.println("writing " + System.currentTimeMillis());
  }

  /** {@code rate} writes a second, each submitted at its due time; never returns. */
  private void scheduled(Submit submit, int rate, int warmup, int seconds) throws Exception {
    firstMeasured = (long) rate * warmup + 1;
    firstTail = firstMeasured + (long) rate * seconds;
    long first = System.nanoTime();
    long period = 1_000_000_000L / rate;
    for (long seq = 1; ; seq++) {
      long due = first + (seq - 1) * period;
      LossWriterMain.parkUntil(due);
      if (seq == firstMeasured) {
        open();
      }
      seqs.set(seq);
      long s = seq;
      submit.write(seq).whenComplete((ts, e) -> acknowledged(s, ts, e, due));
    }
  }

  /** {@code callers} threads writing back to back; never returns. */
  private void closedLoop(Submit submit, int callers, int warmup, int seconds) throws Exception {
    long opens = System.nanoTime() + warmup * 1_000_000_000L;
    long deadline = opens + seconds * 1_000_000_000L;
    if (warmup == 0) {
      firstMeasured = 1;
      open();
    }
    Object lock = new Object();
    for (int i = 0; i < callers; i++) {
      Thread t = new Thread(() -> {
        while (true) {
          long seq;
          synchronized (lock) {
            if (firstMeasured == Long.MAX_VALUE && System.nanoTime() >= opens) {
              firstMeasured = seqs.get() + 1;
              open();
            }
            if (firstTail == Long.MAX_VALUE && System.nanoTime() >= deadline) {
              firstTail = seqs.get() + 1;
              maybeSummarize();
            }
            seq = seqs.incrementAndGet();
          }
          long t0 = System.nanoTime();
          try {
            long ts = submit.write(seq).get();
            acknowledged(seq, ts, null, t0);
          } catch (Exception e) {
            acknowledged(seq, null, e, t0);
          }
        }
      }, "caller-" + i);
      t.start();
    }
    Thread.currentThread().join();
  }

  private void acknowledged(long seq, Long ts, Throwable e, long from) {
    if (e != null) {
      System.err.println("write " + seq + " failed: " + e);
      e.printStackTrace();
      System.exit(3);
    }
    if (seq < firstMeasured) {
      return; // warm-up
    }
    if (seq < firstTail) {
      long now = System.nanoTime();
      synchronized (latencies) {
        latencies.recordValue(Math.max(0, now - from));
      }
      lastMeasuredAck.accumulateAndGet(now, Math::max);
      measuredAcked.incrementAndGet();
      maybeSummarize();
    } else {
      out.println("ack " + seq + " " + ts);
    }
  }

  private void maybeSummarize() {
    long tail = firstTail;
    if (tail == Long.MAX_VALUE || measuredAcked.get() < tail - firstMeasured || !summarized.compareAndSet(false, true)) {
      return;
    }
    Map<String, Long> now = threadCpu();
    out.println("threads " + now.entrySet().stream()
        .map(en -> Map.entry(en.getKey(), en.getValue() - threadsAtStart.getOrDefault(en.getKey(), 0L)))
        .filter(en -> en.getValue() >= 10_000_000L)
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .map(en -> en.getKey().replace(' ', '_') + ":" + en.getValue() / 1_000_000)
        .collect(Collectors.joining(" ")));
    Histogram h;
    synchronized (latencies) {
      h = latencies.copy();
    }
    double elapsed = (lastMeasuredAck.get() - start) / 1e9;
    out.println(String.format(Locale.ROOT,
        "summary first=%d measured=%d issued=%d seconds=%.3f p50=%.3f p99=%.3f p999=%.3f max=%.3f mean=%.3f",
        firstMeasured, tail - firstMeasured, seqs.get() - firstMeasured + 1, elapsed, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
        h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6, h.getMean() / 1e6));
  }

  /**
   * Nanoseconds on a CPU of this JVM's live threads ({@code /proc/self/task/<tid>/schedstat}), summed by
   * thread name with digits dropped ({@code GC Thread#0} and {@code #1} are one entry).
   */
  private static Map<String, Long> threadCpu() {
    Map<String, Long> byName = new HashMap<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String name = Files.readString(task.resolve("comm")).trim().replaceAll("[#-]?[0-9]+$", "");
          long ns = Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split("\\s+")[0]);
          byName.merge(name, ns, Long::sum);
        } catch (IOException | RuntimeException e) {
          // the thread ended
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return byName;
  }
}
