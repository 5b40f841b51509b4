package io.litevault.replication.torture;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The child JVM of a kill schedule: runs one segment of the schedule (regenerated from the seed) on the
 * files the previous, killed, child left, printing its events for the parent ({@link EventLines}). At the
 * end of a segment that ends with a kill it prints {@code @segment-done} and keeps writing until killed;
 * the last segment closes cleanly and prints {@code @closed clean}.
 */
public final class TortureChildMain {
  private TortureChildMain() {}

  static String[] args(long seed, int segment, Path root, Setup.BucketKind kind, String location, String bucket,
      TortureConfig config) {
    return new String[] {Long.toString(seed), Integer.toString(segment), root.toString(), kind.name(), location, bucket,
        Integer.toString(config.bigTxnBytes()), Long.toString(config.stallBound().toSeconds())};
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    long seed = Long.parseLong(args[0]);
    int segment = Integer.parseInt(args[1]);
    Path root = Path.of(args[2]);
    Setup.BucketKind kind = Setup.BucketKind.valueOf(args[3]);
    Schedule schedule = new ScheduleGenerator(Integer.parseInt(args[6])).generate(seed);
    Duration stall = Duration.ofSeconds(Long.parseLong(args[7]));
    List<List<Step>> segments = schedule.segments();
    int offset = 0;
    for (int i = 0; i < segment; i++) {
      offset += segments.get(i).size();
    }
    List<Step> steps = segments.get(segment);
    boolean last = segment == segments.size() - 1;

    ObjectStore raw = kind == Setup.BucketKind.FILE ? Buckets.file(Path.of(args[4])) : Buckets.client(kind, args[4], args[5]);
    FaultyObjectStore faulty = new FaultyObjectStore(raw);
    FaultPlan faults = new FaultPlan(faulty, null, stall);
    History local = new History();
    Recorder rec = EventLines.both(EventLines.printer(out), local);
    String prefix = ScheduleRun.prefix(seed);
    Live live = new Live(root.resolve("live"), schedule.setup(), faulty, prefix, segment * 1000 + 1);
    Workload work = new Workload(rec, local, "s" + segment + "o", faults);
    StepRunner runner = new StepRunner(live, work, faults, schedule.setup(), rec, local,
        root.resolve("scratch-" + segment), raw, prefix);
    boolean clean = false;
    long t0 = System.nanoTime();
    try {
      runner.start();
      System.err.printf("child: started in %d ms (JVM up %d ms)%n", (System.nanoTime() - t0) / 1_000_000,
          java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime());
      for (int i = 0; i < steps.size(); i++) {
        if (!(steps.get(i) instanceof Step.Kill)) {
          runner.run(offset + i, steps.get(i));
        }
      }
      if (last) {
        runner.finish(seed % 2 == 0);
        clean = true;
      }
    } catch (Workload.Abort e) {
      // recorded where it happened
    } catch (Throwable t) {
      rec.failure("STEP_ERROR", ScheduleRun.describe(t));
    }
    if (last) {
      if (!clean) {
        faults.disarm();
        try {
          live.closeReplicator();
          live.closeStore();
        } catch (RuntimeException e) {
          rec.failure("CLOSE", "closing after a failure: " + e);
        }
      }
      out.println(clean ? "@closed clean" : "@closed after a failure");
      out.flush();
      System.exit(0);
    }
    out.println("@segment-done");
    // Keep the database busy until the kill lands: small writes, some REPLICATED.
    SplittableRandom r = new SplittableRandom(seed + segment);
    faults.disarm();
    while (true) {
      try {
        work.submitAndWait(r.nextBoolean() ? io.litevault.replication.Durability.REPLICATED
            : io.litevault.replication.Durability.LOCAL, Writes.small("t0", r.nextLong()));
      } catch (Throwable t) {
        Thread.sleep(Long.MAX_VALUE); // the failure is recorded; wait for the kill
      }
    }
  }
}
