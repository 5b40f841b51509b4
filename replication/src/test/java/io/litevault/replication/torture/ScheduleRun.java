package io.litevault.replication.torture;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.testing.ChildJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one schedule and judges it: in this JVM, or (a kill schedule) segment by segment in child JVMs
 * killed with kill -9, the oracle checking the bucket after every kill and at the end.
 */
final class ScheduleRun {
  /** What one schedule came to. */
  /** One schedule's outcome; {@code replicatedAcked}: REPLICATED writes acknowledged, each checked by the oracle. */
  record Result(Schedule schedule, List<Failure> failures, long millis, int killRounds, int replicatedAcked) {
    Result(Schedule schedule, List<Failure> failures, long millis, int killRounds) {
      this(schedule, failures, millis, killRounds, 0);
    }
  }

  private final TortureConfig config;
  private final Buckets buckets;

  ScheduleRun(TortureConfig config, Buckets buckets) {
    this.config = config;
    this.buckets = buckets;
  }

  static String prefix(long seed) {
    return "torture/s" + Long.toUnsignedString(seed) + "/data";
  }

  Result run(Schedule s, Path root) throws Exception {
    long t0 = System.nanoTime();
    History h = new History();
    int kills = 0;
    Buckets.Handles b = buckets.open(s.setup().bucket(), root.resolve("bucket"));
    try {
      boolean clean;
      List<Path> orphanDirs = new ArrayList<>();
      if (s.setup().killMode()) {
        int[] rounds = {0};
        clean = inChildren(s, root, b, h, rounds);
        kills = rounds[0];
        orphanDirs.add(root.resolve("live"));
      } else {
        clean = inProcess(s, root, b, h);
        orphanDirs.addAll(List.of(root.resolve("live"), root.resolve("scratch"), root.resolve("restores")));
        if (s.setup().bucket() == Setup.BucketKind.FILE) {
          orphanDirs.add(root.resolve("bucket"));
        }
      }
      h.step(-1, "final oracle");
      Oracle oracle = new Oracle(h, b.direct(), prefix(s.seed()), root.resolve("restores"), s.setup(), s.seed(), "final-");
      long o0 = System.nanoTime();
      oracle.bucketChains();
      oracle.latest("LATEST", clean);
      oracle.pointsByTxid(config.samples());
      oracle.pointsByTime(config.samples());
      if (StepRunner.verbose) {
        System.out.printf("  final oracle took %d ms%n", (System.nanoTime() - o0) / 1_000_000);
      }
      if (clean) {
        int before = h.failures.size();
        oracle.orphans(orphanDirs);
        if (s.setup().killMode()) { // a killed process's temporary files are a different finding
          for (int i = before; i < h.failures.size(); i++) {
            Failure f = h.failures.get(i);
            h.failures.set(i, new Failure("ORPHAN_AFTER_KILL", f.step(), f.message()));
          }
        }
      }
    } finally {
      if (b.proxy() != null) {
        b.proxy().clear();
        Buckets.deletePrefix(b.direct(), prefix(s.seed()));
        b.replicator().close();
        b.direct().close();
      }
    }
    return new Result(s, List.copyOf(h.failures), (System.nanoTime() - t0) / 1_000_000, kills, h.acked().size());
  }

  /** All steps in this JVM; returns whether it ended with a clean close. */
  private boolean inProcess(Schedule s, Path root, Buckets.Handles b, History h) {
    FaultyObjectStore faulty = new FaultyObjectStore(b.replicator());
    FaultPlan faults = new FaultPlan(faulty, b.proxy(), config.stallBound());
    String prefix = prefix(s.seed());
    Live live = new Live(root.resolve("live"), s.setup(), faulty, prefix, 1);
    Workload work = new Workload(h, h, "s0o", faults);
    StepRunner runner = new StepRunner(live, work, faults, s.setup(), h, h, root.resolve("scratch"), b.replicator(), prefix);
    boolean clean = false;
    try {
      runner.start();
      for (int i = 0; i < s.steps().size(); i++) {
        runner.run(i, s.steps().get(i));
      }
      runner.finish(s.seed() % 2 == 0);
      clean = true;
      if (live.unannouncedWalLosses() > 0) {
        h.fail("UNANNOUNCED_LOSS", live.unannouncedWalLosses() + " time(s) unshipped WAL frames became unreadable "
            + "with no forced checkpoint announced: a checkpoint ran behind the gate");
      }
    } catch (Workload.Abort e) {
      // recorded where it happened
    } catch (Throwable t) {
      h.fail("STEP_ERROR", describe(t));
    } finally {
      if (!clean) {
        faults.disarm();
        try {
          live.closeReplicator();
        } catch (RuntimeException e) {
          h.fail("CLOSE", "closing the replicator after a failure: " + e);
        }
        try {
          live.closeStore();
        } catch (RuntimeException e) {
          h.fail("CLOSE", "closing the store after a failure: " + e);
        }
      }
    }
    return clean;
  }

  /** Each segment in a child JVM; all but the last killed with kill -9; returns whether the last closed cleanly. */
  private boolean inChildren(Schedule s, Path root, Buckets.Handles b, History h, int[] rounds) throws Exception {
    List<List<Step>> segments = s.segments();
    SplittableRandom r = new SplittableRandom(s.seed() * 31 + 7);
    boolean clean = false;
    for (int seg = 0; seg < segments.size(); seg++) {
      long t0 = System.nanoTime();
      List<Step> steps = segments.get(seg);
      Step.Kill kill = steps.get(steps.size() - 1) instanceof Step.Kill k ? k : null;
      AtomicInteger submitted = new AtomicInteger();
      CountDownLatch trigger = new CountDownLatch(1);
      AtomicBoolean closedClean = new AtomicBoolean();
      int killAt = kill == null ? Integer.MAX_VALUE : kill.afterEvents();
      try (ChildJvm child = ChildJvm.start(TortureChildMain.class, line -> {
        if (EventLines.parse(line, h)) {
          if (line.startsWith(EventLines.PREFIX + "submitted") && submitted.incrementAndGet() >= killAt) {
            trigger.countDown();
          }
        } else if (line.startsWith("@segment-done")) {
          trigger.countDown();
        } else if (line.startsWith("@closed clean")) {
          closedClean.set(true);
        }
      }, TortureChildMain.args(s.seed(), seg, root, s.setup().bucket(), b.location(), b.bucket(), config))) {
        if (kill != null) {
          long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
          while (!trigger.await(1, TimeUnit.SECONDS)) {
            if (!child.alive() || System.nanoTime() > deadline) {
              h.fail("CHILD", "segment " + (seg + 1) + (child.alive() ? " made no progress in 8 minutes" : "'s JVM died")
                  + "; stderr: " + tail(child.stderr()));
              child.kill9();
              return false;
            }
          }
          Thread.sleep(r.nextInt(100));
          child.kill9();
          rounds[0]++;
          if (StepRunner.verbose) {
            System.out.printf("  segment %d killed after %d ms, %d writes submitted; %s%n", seg + 1,
                (System.nanoTime() - t0) / 1_000_000, submitted.get(), tail(child.stderr()));
          }
          h.step(-1, "after kill " + rounds[0]);
          new Oracle(h, b.direct(), prefix(s.seed()), root.resolve("restores"), s.setup(), s.seed() + seg, "kill" + rounds[0] + "-")
              .latest("AFTER_KILL", false);
        } else {
          int exit = child.waitFor(900);
          if (exit != 0) {
            h.fail("CHILD", "the last segment's JVM exited with " + exit + "; stderr: " + tail(child.stderr()));
          }
          clean = closedClean.get();
          if (StepRunner.verbose) {
            System.out.printf("  last segment %d ended after %d ms%n", seg + 1, (System.nanoTime() - t0) / 1_000_000);
          }
        }
      }
    }
    return clean;
  }

  static String describe(Throwable t) {
    StringBuilder b = new StringBuilder(t.toString());
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().startsWith("io.litevault")) {
        b.append(" at ").append(e.getClassName().replaceAll(".*\\.", "")).append('.').append(e.getMethodName())
            .append(':').append(e.getLineNumber());
        break;
      }
    }
    if (t.getCause() != null && t.getCause() != t) {
      b.append(" | caused by ").append(t.getCause());
    }
    return b.toString();
  }

  private static String tail(String s) {
    return EventLines.oneLine(s.length() > 3000 ? "…" + s.substring(s.length() - 3000) : s);
  }
}
