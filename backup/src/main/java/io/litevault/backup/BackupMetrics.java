package io.litevault.backup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-tier counters of a {@link TieredBackup}: last success, the age of the state each tier holds, objects
 * and bytes copied, failures and verification failures. Thread-safe; read with {@link #tier(String)} or
 * {@link #snapshot()}; {@link BackupMetricsBinder} publishes them to Micrometer. Request counts per store
 * are in each {@link io.litevault.bucket.ObjectStore#metrics()}.
 */
public final class BackupMetrics {
  private final Clock clock;
  private final Map<String, TierStats> tiers = new ConcurrentHashMap<>();

  BackupMetrics(Clock clock) {
    this.clock = clock;
  }

  /**
   * One tier's figures.
   *
   * @param tier the tier
   * @param lastSuccess when its last successful run finished, or {@code null}
   * @param stateAsOf the point in time its content represents (see {@link TierRunReport#stateAsOf()}), or
   *     {@code null} if unknown
   * @param runs runs ended since this process started
   * @param failures runs that ended {@link RunStatus#FAILED} or {@link RunStatus#REFUSED}
   * @param verificationFailures runs that ended {@link RunStatus#VERIFICATION_FAILED}
   * @param objectsCopied objects copied
   * @param bytesCopied body bytes copied
   * @param objectsDeleted objects deleted from the tier
   */
  public record TierStats(String tier, Instant lastSuccess, Instant stateAsOf, long runs, long failures,
      long verificationFailures, long objectsCopied, long bytesCopied, long objectsDeleted) {
    static TierStats empty(String tier) {
      return new TierStats(tier, null, null, 0, 0, 0, 0, 0, 0);
    }
  }

  /** The figures of {@code tier} (all zero before its first run or known state). */
  public TierStats tier(String tier) {
    return tiers.getOrDefault(tier, TierStats.empty(tier));
  }

  /** The age of the state {@code tier} holds now, or empty if unknown. */
  public Optional<Duration> age(String tier) {
    Instant asOf = tier(tier).stateAsOf();
    return asOf == null ? Optional.empty() : Optional.of(Duration.between(asOf, clock.instant()));
  }

  /** How long ago (on the options' clock) {@code tier}'s last successful run finished, or empty if unknown. */
  public Optional<Duration> sinceLastSuccess(String tier) {
    Instant last = tier(tier).lastSuccess();
    return last == null ? Optional.empty() : Optional.of(Duration.between(last, clock.instant()));
  }

  /** Every tier's figures, by name. */
  public Map<String, TierStats> snapshot() {
    return new TreeMap<>(tiers);
  }

  /** Records what a previous process left (read from the tier's manifest at start). */
  void known(String tier, Instant lastSuccess, Instant stateAsOf) {
    tiers.compute(tier, (k, s) -> {
      TierStats t = s == null ? TierStats.empty(k) : s;
      return new TierStats(k, lastSuccess, stateAsOf, t.runs(), t.failures(), t.verificationFailures(),
          t.objectsCopied(), t.bytesCopied(), t.objectsDeleted());
    });
  }

  void record(TierRunReport r) {
    tiers.compute(r.tier(), (k, s) -> {
      TierStats t = s == null ? TierStats.empty(k) : s;
      boolean ok = r.status() == RunStatus.SUCCEEDED;
      return new TierStats(k, ok ? r.finished() : t.lastSuccess(), r.stateAsOf() != null ? r.stateAsOf() : t.stateAsOf(),
          t.runs() + 1, t.failures() + (r.status() == RunStatus.FAILED || r.status() == RunStatus.REFUSED ? 1 : 0),
          t.verificationFailures() + (r.status() == RunStatus.VERIFICATION_FAILED ? 1 : 0),
          t.objectsCopied() + r.copied(), t.bytesCopied() + r.bytesCopied(), t.objectsDeleted() + r.deleted());
    });
  }
}
