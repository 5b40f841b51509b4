package io.litevault.replication.torture;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Runs the schedules of a torture run one after another, each with a watchdog, prints every failing seed
 * with its readable schedule and failures, and returns the findings table (also written to
 * {@code target/torture-report.txt}).
 */
final class TortureDriver {

  private TortureDriver() {}

  static String run(TortureConfig config, Path dir) throws Exception {
    PrintStream out = System.out;
    // A schedule taking longer than this is stuck: reported (with a thread dump) and abandoned.
    Duration scheduleTimeout = config.budget().isZero() ? Duration.ofMinutes(15) : Duration.ofMinutes(3);
    ScheduleGenerator generator = new ScheduleGenerator(config.bigTxnBytes());
    Findings findings = new Findings();
    Path report = Path.of("target", "torture-report.txt");
    Files.createDirectories(report.getParent());
    Files.writeString(report, "");
    long start = System.nanoTime();
    int kept = 0;
    if (config.replaySeed() == null) {
      log(report, "torture: " + config.schedules() + " schedules from seed " + config.baseSeed() + ", at least "
          + config.kills() + " kill -9 rounds, big transactions up to " + Step.bytes(config.bigTxnBytes())
          + (config.budget().isZero() ? "" : ", budget " + config.budget().toSeconds() + " s"));
    }
    try (Buckets buckets = new Buckets()) {
      ScheduleRun runner = new ScheduleRun(config, buckets);
      ExecutorService worker = newWorker();
      long seed = config.replaySeed() != null ? config.replaySeed() : config.baseSeed();
      for (int n = 1; ; n++, seed++) {
        if (config.replaySeed() != null) {
          if (n > 1) {
            break;
          }
        } else if (n > config.schedules()) {
          if (findings.killRounds() >= config.kills()) {
            break;
          }
          while (!ScheduleGenerator.isKillSeed(seed)) {
            seed++; // past the schedule count: only kill schedules, until there were enough kill rounds
          }
        }
        if (!config.budget().isZero() && System.nanoTime() - start > config.budget().toNanos()) {
          log(report, "budget of " + config.budget().toSeconds() + " s used up: stopping after " + (n - 1) + " schedules");
          break;
        }
        Schedule schedule = generator.generate(seed);
        if (config.replaySeed() != null) {
          StepRunner.verbose = true;
          log(report, "replaying " + schedule.describe());
        }
        Path root = dir.resolve("seed-" + Long.toUnsignedString(seed));
        ScheduleRun.Result result;
        Future<ScheduleRun.Result> f = worker.submit(() -> runner.run(schedule, root));
        try {
          result = f.get(scheduleTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          f.cancel(true);
          worker.shutdownNow();
          worker = newWorker(); // the stuck one is abandoned with its threads
          result = new ScheduleRun.Result(schedule, java.util.List.of(new Failure("HANG", 0, "the schedule did not end within "
              + scheduleTimeout.toMinutes() + " minutes; threads: " + threadDump())), scheduleTimeout.toMillis(), 0);
        } catch (java.util.concurrent.ExecutionException e) {
          result = new ScheduleRun.Result(schedule, java.util.List.of(new Failure("HARNESS", 0,
              ScheduleRun.describe(e.getCause()))), 0, 0);
        }
        findings.add(n, result);
        String head = String.format("schedule %d seed %d (%s%s): %.1f s, %s", n, seed, schedule.setup().bucket(),
            schedule.setup().killMode() ? ", " + result.killRounds() + " kill(s)" : "", result.millis() / 1000.0,
            result.failures().isEmpty() ? "ok" : result.failures().size() + " FAILURE(S)");
        log(report, head);
        if (!result.failures().isEmpty()) {
          StringBuilder b = new StringBuilder();
          b.append("---- FAILED: seed ").append(seed).append(" — replay with ").append(config.replayFlags(seed)).append('\n');
          b.append(schedule.describe());
          for (Failure x : result.failures()) {
            b.append("  FAILURE ").append(x).append('\n');
          }
          log(report, b.toString());
          if (kept < config.keepFailed()) {
            kept++;
            keep(root, Path.of("target", "torture-failed", "seed-" + Long.toUnsignedString(seed)));
          }
        }
        deleteTree(root);
      }
      worker.shutdownNow();
    }
    String table = findings.table();
    log(report, String.format("torture done in %.1f s%n", (System.nanoTime() - start) / 1e9) + table);
    out.flush();
    return table;
  }

  private static ExecutorService newWorker() {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "torture-schedule");
      t.setDaemon(true);
      return t;
    });
  }

  private static void log(Path report, String s) throws IOException {
    System.out.println(s);
    Files.writeString(report, s + (s.endsWith("\n") ? "" : "\n"), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  private static String threadDump() {
    StringBuilder b = new StringBuilder();
    for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
      if (t.getThreadName().startsWith("litevault") || t.getThreadName().startsWith("torture")) {
        b.append(" | ").append(t.getThreadName()).append(" ").append(t.getThreadState());
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(6, st.length); i++) {
          b.append(" < ").append(st[i]);
        }
      }
    }
    return b.toString();
  }

  private static void keep(Path from, Path to) {
    try {
      deleteTree(to);
      Files.createDirectories(to.getParent());
      try (Stream<Path> s = Files.walk(from)) {
        for (Path p : s.toList()) {
          Path t = to.resolve(from.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(t);
          } else {
            Files.copy(p, t);
          }
        }
      }
    } catch (IOException e) {
      System.out.println("could not keep " + from + ": " + e);
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.out.println("could not delete " + root + ": " + e);
    }
  }
}
