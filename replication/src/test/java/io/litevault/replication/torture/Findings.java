package io.litevault.replication.torture;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The failures of a run grouped by signature: how often, the first seed, after how many schedules. */
final class Findings {
  static final class Finding {
    final String signature;
    final long firstSeed;
    final int firstSchedule;
    final Failure example;
    final List<Long> seeds = new ArrayList<>();

    Finding(String signature, long firstSeed, int firstSchedule, Failure example) {
      this.signature = signature;
      this.firstSeed = firstSeed;
      this.firstSchedule = firstSchedule;
      this.example = example;
    }
  }

  private final Map<String, Finding> bySignature = new LinkedHashMap<>();
  private final List<Long> failingSeeds = new ArrayList<>();
  private int schedules;
  private int killRounds;
  private long millis;
  private long replicatedAcked;
  /** Fault, restart and checkpoint steps run, by kind (writes are not listed). */
  private final Map<String, Integer> stepsByKind = new java.util.TreeMap<>();

  void add(int scheduleNumber, ScheduleRun.Result r) {
    schedules++;
    killRounds += r.killRounds();
    millis += r.millis();
    replicatedAcked += r.replicatedAcked();
    for (Step step : r.schedule().steps()) {
      String kind = kind(step);
      if (kind != null) {
        stepsByKind.merge(kind, 1, Integer::sum);
      }
    }
    if (!r.failures().isEmpty()) {
      failingSeeds.add(r.schedule().seed());
    }
    for (Failure f : r.failures()) {
      Finding x = bySignature.computeIfAbsent(f.signature(), s -> new Finding(s, r.schedule().seed(), scheduleNumber, f));
      if (x.seeds.isEmpty() || x.seeds.get(x.seeds.size() - 1) != r.schedule().seed()) {
        x.seeds.add(r.schedule().seed());
      }
    }
  }

  boolean isEmpty() {
    return bySignature.isEmpty();
  }

  int schedules() {
    return schedules;
  }

  int killRounds() {
    return killRounds;
  }

  /** The kind of a fault, restart, checkpoint or snapshot step, with its detail; null for the writes. */
  static String kind(Step step) {
    if (step instanceof Step.FailCall f) {
      return "fault: call fails before the bucket (" + f.kind() + ")";
    } else if (step instanceof Step.LoseAnswer f) {
      return "fault: put stored, answer lost (" + f.kind() + ")";
    } else if (step instanceof Step.ProxyFault f) {
      return "fault: S3 proxy " + f.kind();
    } else if (step instanceof Step.Outage) {
      return "fault: bucket outage";
    } else if (step instanceof Step.Slow) {
      return "fault: slow bucket";
    } else if (step instanceof Step.ForcedCheckpoint) {
      return "fault: outage past the hard WAL limit (forced checkpoint)";
    } else if (step instanceof Step.Rollback) {
      return "restart: power-loss rollback";
    } else if (step instanceof Step.Restart r) {
      return "restart: " + r.kind();
    } else if (step instanceof Step.Kill) {
      return "restart: kill -9";
    } else if (step instanceof Step.Checkpoint c) {
      return "checkpoint: " + c.mode();
    } else if (step instanceof Step.PassiveUntilComplete || step instanceof Step.Maintenance
        || step instanceof Step.SnapshotUnderWrites || step instanceof Step.ConcurrentRestore
        || step instanceof Step.RestoreOverStale || step instanceof Step.DetachedWrites || step instanceof Step.Idle
        || step instanceof Step.IdleRace) {
      return "other: " + step.getClass().getSimpleName();
    }
    return null;
  }

  String table() {
    StringBuilder b = new StringBuilder();
    b.append(String.format("%d schedule(s), %d kill -9 round(s), %.1f s of schedules; %d failing seed(s)%s%n", schedules,
        killRounds, millis / 1000.0, failingSeeds.size(), failingSeeds.isEmpty() ? "" : ": " + shortList(failingSeeds)));
    b.append(String.format("%d REPLICATED write(s) acknowledged, each checked in the latest restore%n", replicatedAcked));
    b.append("steps by kind:\n");
    stepsByKind.forEach((k, n) -> b.append(String.format("  %6d  %s%n", n, k)));
    if (bySignature.isEmpty()) {
      return b.append("no failure\n").toString();
    }
    b.append("findings (first schedule to find it, first seed, schedules that found it):\n");
    for (Finding f : bySignature.values()) {
      b.append(String.format("- #%d seed %d (%d schedule(s)%s)%n    %s%n    e.g. %s%n", f.firstSchedule, f.firstSeed,
          f.seeds.size(), f.seeds.size() > 1 ? ": " + shortList(f.seeds) : "", f.signature, f.example));
    }
    return b.toString();
  }

  private static String shortList(List<Long> seeds) {
    List<String> s = seeds.stream().limit(12).map(String::valueOf).toList();
    return String.join(", ", s) + (seeds.size() > 12 ? ", … (" + seeds.size() + ")" : "");
  }
}
