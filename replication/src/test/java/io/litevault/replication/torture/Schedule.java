package io.litevault.replication.torture;

import java.util.ArrayList;
import java.util.List;

/**
 * One seed's schedule: the setup and the steps, in order. In a kill schedule the {@link Step.Kill} steps
 * cut the steps into segments, each run by its own child JVM, killed with kill -9 at the end of all but
 * the last.
 */
record Schedule(long seed, Setup setup, List<Step> steps) {
  Schedule {
    steps = List.copyOf(steps);
  }

  /** The steps between kills; the kill ending a segment is its last element. */
  List<List<Step>> segments() {
    List<List<Step>> out = new ArrayList<>();
    List<Step> current = new ArrayList<>();
    for (Step s : steps) {
      current.add(s);
      if (s instanceof Step.Kill) {
        out.add(current);
        current = new ArrayList<>();
      }
    }
    out.add(current);
    return out;
  }

  int kills() {
    return (int) steps.stream().filter(s -> s instanceof Step.Kill).count();
  }

  /** A readable schedule: one numbered line per step. */
  String describe() {
    StringBuilder b = new StringBuilder("schedule of seed ").append(seed).append(": ").append(setup.describe()).append('\n');
    for (int i = 0; i < steps.size(); i++) {
      b.append(String.format("  %2d. %s%n", i + 1, steps.get(i).describe()));
    }
    return b.toString();
  }
}
