package io.litevault.replication.torture;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed-reproducible torture harness: per seed, one schedule ({@link ScheduleGenerator}) of writes of
 * every shape, checkpoints, snapshots, maintenance windows, bucket faults ({@link FaultPlan}), restarts,
 * kill -9 and power-loss rollbacks, run against a real store, replicator and bucket ({@link StepRunner},
 * {@link TortureChildMain}) and judged by the {@link Oracle} from what the {@link Workload} recorded in the
 * {@link History}. A failing run prints each failing seed's schedule, then the findings grouped by signature;
 * it goes on to the schedule count rather than stopping at the first failure.
 *
 * <pre>
 * mvn -B -ntp -o -pl replication -am verify -Dsurefire.failIfNoSpecifiedTests=false -Dtest=ReplicationTortureTest
 * ... -Ptorture                       1,000 schedules, at least 100 kill -9 rounds, 40 MiB big transactions
 * ... -Dlitevault.torture.seed=N      replays seed N's schedule only (add the bigTxnMiB the report prints)
 * </pre>
 *
 * See {@link TortureConfig} for every knob.
 */
class ReplicationTortureTest {
  @TempDir Path dir;

  /** The bounded form, part of the default {@code mvn verify}: 30 schedules (some with kill -9), at most ~100 s of them. */
  @Test
  void boundedTorture() throws Exception {
    assumeFalse("long".equals(System.getProperty("litevault.torture.profile")), "-Ptorture runs the long form instead");
    String report = TortureDriver.run(TortureConfig.bounded(), dir);
    assertTrue(report.endsWith("no failure\n"), report);
  }

  /** {@code -Ptorture}: 1,000 schedules and at least 100 kill -9 rounds. */
  @Test
  @Tag("torture")
  void longTorture() throws Exception {
    String report = TortureDriver.run(TortureConfig.longRun(), dir);
    assertTrue(report.endsWith("no failure\n"), report);
  }
}
