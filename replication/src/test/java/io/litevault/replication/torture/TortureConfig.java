package io.litevault.replication.torture;

import java.time.Duration;

/**
 * The knobs of a torture run, from system properties ({@code -D...} on the Maven command line):
 *
 * <ul>
 *   <li>{@code litevault.torture.seed}: replay exactly one schedule (verbose), nothing else;
 *   <li>{@code litevault.torture.schedules}: schedules to run (bounded 30, -Ptorture 1000; every 20th is a kill schedule);
 *   <li>{@code litevault.torture.kills}: at least this many kill -9 rounds (bounded 1, -Ptorture 100): more
 *       kill schedules are run after the first {@code schedules} until there are;
 *   <li>{@code litevault.torture.baseSeed}: the first seed (default: random, printed);
 *   <li>{@code litevault.torture.bigTxnMiB}: the largest big transaction (bounded 4, -Ptorture 40);
 *   <li>{@code litevault.torture.stallSeconds}: the stall bound (default 20);
 *   <li>{@code litevault.torture.samples}: restores per schedule by txid and by timestamp, each (default 2);
 *   <li>{@code litevault.torture.budgetSeconds}: start no schedule after this (bounded 60, -Ptorture 0 = none);
 *   <li>{@code litevault.torture.keepFailed}: failing schedules' directories kept in target/torture-failed (default 3).
 * </ul>
 */
record TortureConfig(Long replaySeed, int schedules, int kills, long baseSeed, int bigTxnBytes, Duration stallBound,
    int samples, Duration budget, int keepFailed) {

  static final String P = "litevault.torture.";

  /** The profile of {@code mvn verify}: a few minutes at most. */
  static TortureConfig bounded() {
    return from(30, 1, 4, 60);
  }

  /** The profile of {@code mvn verify -Ptorture}. */
  static TortureConfig longRun() {
    return from(1000, 100, 40, 0);
  }

  private static TortureConfig from(int schedules, int kills, int bigTxnMiB, int budgetSeconds) {
    String replay = System.getProperty(P + "seed");
    String base = System.getProperty(P + "baseSeed");
    return new TortureConfig(
        replay == null || replay.isBlank() ? null : Long.parseLong(replay.trim()),
        Integer.getInteger(P + "schedules", schedules),
        Integer.getInteger(P + "kills", kills),
        base == null || base.isBlank() ? Math.floorMod(System.nanoTime() ^ System.currentTimeMillis(), 1_000_000_000L) * 20
            : Long.parseLong(base.trim()),
        Integer.getInteger(P + "bigTxnMiB", bigTxnMiB) << 20,
        Duration.ofSeconds(Integer.getInteger(P + "stallSeconds", 20)),
        Integer.getInteger(P + "samples", 2),
        Duration.ofSeconds(Integer.getInteger(P + "budgetSeconds", budgetSeconds)),
        Integer.getInteger(P + "keepFailed", 3));
  }

  /** The -D flags that make a seed's schedule the same as in this run. */
  String replayFlags(long seed) {
    return "-D" + P + "seed=" + seed + " -D" + P + "bigTxnMiB=" + (bigTxnBytes >> 20);
  }
}
