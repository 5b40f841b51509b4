package io.litevault.replication.torture;

import io.litevault.replication.format.Codec;
import io.litevault.replication.Durability;
import io.litevault.bucket.ErrorKind;
import io.litevault.store.CheckpointMode;
import io.litevault.store.Synchronous;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Seed to schedule, deterministically: the same seed (and the same big-transaction size) always gives the
 * same setup and steps. Steps are drawn one by one by weight, and now and then as a motif: a short
 * sequence known to stress a weak spot (a checkpoint that copies the whole WAL followed by a snapshot under
 * writes; a lost PUT answer while writes keep coming; a checkpoint storm, and with a slow gate, a commit made
 * while the idle checkpoint consults the gates).
 *
 * <p>Seeds divisible by 20 are kill schedules: 2 to 4 segments, each run by a child JVM killed with kill -9
 * at its end (the last one closes cleanly).
 */
final class ScheduleGenerator {
  private final int bigTxnBytes;

  ScheduleGenerator(int bigTxnBytes) {
    this.bigTxnBytes = bigTxnBytes;
  }

  static boolean isKillSeed(long seed) {
    return Math.floorMod(seed, 20) == 0;
  }

  Schedule generate(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    boolean kill = isKillSeed(seed);
    Setup setup = setup(r, kill);
    List<Step> steps = new ArrayList<>();
    if (!kill) {
      int n = 8 + r.nextInt(18);
      boolean[] hasCopy = {false};
      while (steps.size() < n) {
        if (r.nextInt(100) < 15) {
          motif(r, setup, steps);
        } else {
          Step s = pick(r, setup, hasCopy[0]);
          hasCopy[0] |= s instanceof Step.SaveCopy;
          steps.add(s);
        }
      }
    } else {
      int segments = 2 + r.nextInt(3);
      for (int seg = 0; seg < segments; seg++) {
        int n = 3 + r.nextInt(6);
        List<Step> segment = new ArrayList<>();
        while (segment.size() < n) {
          if (r.nextInt(100) < 10) {
            motif(r, setup, segment);
          } else {
            segment.add(pick(r, setup, false));
          }
        }
        steps.addAll(segment);
        if (seg < segments - 1) {
          int events = segment.stream().mapToInt(Step::writes).sum();
          steps.add(new Step.Kill(1 + r.nextInt(events + 20)));
        }
      }
    }
    return new Schedule(seed, setup, steps);
  }

  private static Setup setup(SplittableRandom r, boolean kill) {
    int b = r.nextInt(100);
    int file = kill ? 80 : 75; // S3 schedules take 2-3 times longer; a child JVM with an S3 client starts slower
    Setup.BucketKind bucket = b < file ? Setup.BucketKind.FILE : b < (file + 100) / 2 ? Setup.BucketKind.MINIO : Setup.BucketKind.AWS;
    int passive = pickInt(r, 1, 4, 20, 100, 1000);
    long restart = pickLong(r, 64L << 10, 256L << 10, 1L << 20, 1L << 20, 8L << 20, 64L << 20, 64L << 20);
    long hard = r.nextInt(100) < 15 ? Math.max(restart, pickLong(r, 256L << 10, 1L << 20, 2L << 20)) : 1L << 30;
    Duration idle = Duration.ofMillis(pickInt(r, 0, 100, 200, 500));
    int maxBatch = pickInt(r, 1, 10, 1000);
    Synchronous sync = r.nextInt(100) < 90 ? Synchronous.NORMAL : Synchronous.FULL;
    Duration minUpload = Duration.ofMillis(pickInt(r, 0, 2, 20, 100));
    Duration snapshotEvery = r.nextInt(100) < 40 ? Duration.ofMillis(pickInt(r, 1000, 2000)) : Duration.ofHours(24);
    int maxSegment = pickInt(r, 64 << 10, 256 << 10, 1 << 20, 32 << 20, 32 << 20);
    boolean shortRetention = r.nextInt(100) < 25;
    Duration retention = shortRetention ? Duration.ofMillis(pickInt(r, 3000, 6000)) : Duration.ofDays(7);
    Duration retentionCheck = shortRetention ? Duration.ofMillis(pickInt(r, 200, 1000)) : Duration.ofHours(1);
    Codec codec = Codec.values()[r.nextInt(Codec.values().length)];
    Duration backoff = Duration.ofMillis(pickInt(r, 5, 20, 50));
    Duration maxBackoff = Duration.ofMillis(pickInt(r, 100, 500));
    Duration lease = kill ? Duration.ofSeconds(1) : r.nextInt(100) < 20 ? Duration.ofSeconds(2) : Duration.ofMinutes(2);
    int slowGate = r.nextInt(100) < 30 ? pickInt(r, 300, 1000, 3000) : 0;
    return new Setup(bucket, kill, passive, restart, hard, idle, maxBatch, sync, minUpload, snapshotEvery, maxSegment,
        retention, retentionCheck, codec, backoff, maxBackoff, lease, slowGate);
  }

  /** One step, by weight. */
  private Step pick(SplittableRandom r, Setup setup, boolean hasCopy) {
    List<Weighted> w = new ArrayList<>();
    add(w, 20, () -> new Step.Insert(r.nextInt(100) < 70 ? 1 + r.nextInt(5) : 10 + r.nextInt(190),
        50 + r.nextInt(1950), durability(r), r.nextLong()));
    add(w, 12, () -> new Step.Burst(5 + r.nextInt(146), 1 + r.nextInt(4), pickInt(r, 0, 10, 50, 100), r.nextLong()));
    add(w, 6, () -> new Step.ReplicatedClients(2 + r.nextInt(4), 10 + r.nextInt(51), r.nextLong()));
    add(w, 2, () -> new Step.BigTxn(Math.max(64 << 10, (int) (bigTxnBytes * (0.25 + 0.75 * r.nextDouble()))),
        durability(r), r.nextLong()));
    add(w, 2, () -> bulkLoad(r, setup, 2 + r.nextInt(15)));
    add(w, 5, () -> new Step.Update(r.nextInt(4), 2 + r.nextInt(6), durability(r)));
    add(w, 5, () -> new Step.Delete(r.nextInt(4), 2 + r.nextInt(6), r.nextInt(2), durability(r)));
    add(w, 4, () -> new Step.Schema(Step.SchemaOp.values()[r.nextInt(Step.SchemaOp.values().length)], r.nextInt(4),
        durability(r)));
    add(w, 1, () -> new Step.DetachedWrites(1 + r.nextInt(10), r.nextLong()));
    add(w, 8, () -> new Step.Checkpoint(CheckpointMode.values()[r.nextInt(CheckpointMode.values().length)]));
    add(w, 3, Step.PassiveUntilComplete::new);
    if (setup.smallHardWalLimit()) {
      add(w, 3, () -> new Step.ForcedCheckpoint(pickInt(r, 64 << 10, 512 << 10)));
    }
    add(w, 4, () -> new Step.Maintenance(r.nextBoolean(), r.nextBoolean()));
    add(w, 4, () -> new Step.SnapshotUnderWrites(20 + r.nextInt(181), r.nextLong()));
    add(w, 4, () -> new Step.Idle(idleMillis(r, setup)));
    add(w, 4, () -> new Step.FailCall(1 + r.nextInt(6), pick(r, ErrorKind.SERVER_ERROR, ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION, ErrorKind.THROTTLED), 1 + r.nextInt(10), r.nextLong()));
    add(w, 4, () -> new Step.LoseAnswer(1 + r.nextInt(2), pick(r, ErrorKind.TIMEOUT, ErrorKind.CONNECTION),
        2 + r.nextInt(9), r.nextLong()));
    add(w, 3, () -> new Step.Outage(100 + r.nextInt(1900), 3 + r.nextInt(38), r.nextLong()));
    add(w, 2, () -> new Step.Slow(5 + r.nextInt(76), 3 + r.nextInt(18), r.nextLong()));
    if (setup.bucket() != Setup.BucketKind.FILE && !setup.killMode()) {
      add(w, 5, () -> {
        Step.ProxyFaultKind k = Step.ProxyFaultKind.values()[r.nextInt(Step.ProxyFaultKind.values().length)];
        int times = k == Step.ProxyFaultKind.SLOW_DOWN_STORM || k == Step.ProxyFaultKind.INTERNAL_ERRORS
            ? 1 + r.nextInt(8) : 1 + r.nextInt(2);
        int bytes = k == Step.ProxyFaultKind.STALL ? 100 + r.nextInt(900) : 16 + r.nextInt(4000);
        return new Step.ProxyFault(k, times, bytes, 2 + r.nextInt(14), r.nextLong());
      });
    }
    add(w, 3, () -> new Step.ConcurrentRestore(5 + r.nextInt(56), r.nextLong()));
    add(w, 1, Step.RestoreOverStale::new);
    if (!setup.killMode()) {
      add(w, 2, () -> new Step.SaveCopy(r.nextBoolean()));
      if (hasCopy) {
        add(w, 2, Step.Rollback::new);
      }
    }
    add(w, 4, () -> new Step.Restart(Step.RestartKind.values()[r.nextInt(Step.RestartKind.values().length)]));
    int total = w.stream().mapToInt(Weighted::weight).sum();
    int x = r.nextInt(total);
    for (Weighted e : w) {
      x -= e.weight();
      if (x < 0) {
        return e.step().get();
      }
    }
    throw new AssertionError();
  }

  /** A short sequence aimed at a known weak spot. */
  private void motif(SplittableRandom r, Setup setup, List<Step> steps) {
    switch (r.nextInt(3)) {
      case 0 -> { // a checkpoint that copies the whole WAL, then a snapshot while writes restart the WAL
        if (r.nextBoolean()) {
          steps.add(bulkLoad(r, setup, 6 + r.nextInt(11)));
        }
        if (r.nextBoolean()) {
          steps.add(new Step.Checkpoint(CheckpointMode.TRUNCATE));
        }
        if (r.nextInt(100) < 30) {
          steps.add(new Step.Restart(Step.RestartKind.REPLICATOR_ONLY));
        }
        steps.add(new Step.Insert(1, 100 + r.nextInt(400), Durability.REPLICATED, r.nextLong()));
        int how = r.nextInt(3);
        if (how == 0 || (how == 1 && setup.idleCheckpointAfter().isZero())) {
          steps.add(new Step.PassiveUntilComplete());
        } else if (how == 1) {
          steps.add(new Step.Idle(idleMillis(r, setup)));
        } else {
          steps.add(new Step.Checkpoint(CheckpointMode.RESTART));
        }
        steps.add(new Step.SnapshotUnderWrites(50 + r.nextInt(251), r.nextLong()));
      }
      case 1 -> { // a lost answer while REPLICATED writes keep coming
        steps.add(new Step.Insert(1 + r.nextInt(3), 100, Durability.REPLICATED, r.nextLong()));
        steps.add(new Step.LoseAnswer(1, pick(r, ErrorKind.TIMEOUT, ErrorKind.CONNECTION), 2 + r.nextInt(6), r.nextLong()));
      }
      default -> { // many commits, each followed by a background PASSIVE when passivePages is small
        steps.add(new Step.Burst(100 + r.nextInt(301), 2 + r.nextInt(3), pickInt(r, 50, 100), r.nextLong()));
        steps.add(new Step.ReplicatedClients(2 + r.nextInt(4), 30 + r.nextInt(91), r.nextLong()));
        if (setup.slowGateMicros() > 0 && !setup.idleCheckpointAfter().isZero()) {
          steps.add(new Step.IdleRace(3 + r.nextInt(8), r.nextLong())); // the slow gate is where the commit is made
        }
      }
    }
  }

  /**
   * Bulk-load transactions stay under half a segment: above maxSegmentBytes each would be shipped as a whole
   * snapshot (that path is what BigTxn is for), and a dozen snapshots of a growing file only cost time.
   */
  private static Step.BulkLoad bulkLoad(SplittableRandom r, Setup setup, int mib) {
    int txn = Math.min(pickInt(r, 256 << 10, 1 << 20, 2 << 20), Math.max(32 << 10, setup.maxSegmentBytes() / 2));
    return new Step.BulkLoad(Math.min(mib << 20, 64 * txn), txn, r.nextLong()); // at most 64 transactions
  }

  private static int idleMillis(SplittableRandom r, Setup setup) {
    long idle = setup.idleCheckpointAfter().toMillis();
    int base = idle > 0 ? (int) (idle * (1.5 + 2 * r.nextDouble())) : 200 + r.nextInt(800);
    return Math.min(base, 2500);
  }

  private static Durability durability(SplittableRandom r) {
    return r.nextBoolean() ? Durability.LOCAL : Durability.REPLICATED;
  }

  private record Weighted(int weight, Supplier<Step> step) {}

  private static void add(List<Weighted> w, int weight, Supplier<Step> s) {
    w.add(new Weighted(weight, s));
  }

  private static int pickInt(SplittableRandom r, int... values) {
    return values[r.nextInt(values.length)];
  }

  private static long pickLong(SplittableRandom r, long... values) {
    return values[r.nextInt(values.length)];
  }

  @SafeVarargs
  private static <T> T pick(SplittableRandom r, T... values) {
    return values[r.nextInt(values.length)];
  }
}
