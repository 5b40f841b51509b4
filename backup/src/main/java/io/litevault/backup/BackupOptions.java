package io.litevault.backup;

import io.litevault.bucket.ObjectStore;
import io.litevault.store.Names;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything a {@link TieredBackup} needs: where to copy from and to, the tiers, and how. Immutable; built
 * by {@link #builder(ObjectStore, ObjectStore)}, whose setters reject a bad value at once, naming it.
 *
 * <p>Prefixes are key prefixes, checked by {@link Names#requireKeyPrefix}: {@code ""} (the whole bucket)
 * or segments of ASCII letters, digits, '.', '_' and '-' (not '.' or '..') each followed by {@code /}. Tier
 * {@code t} lives under {@code targetPrefix + t + "/"}, a prefix a restore accepts. The stores are used, never closed, by the backup.
 */
public final class BackupOptions {
  /**
   * 4 copies in flight: enough to hide the per-request latency to AWS for small objects on a 2-core box;
   * each in-flight source copy holds at most one part (16 MiB by default) of heap, so copy buffers stay
   * under 4 × 16 MiB whatever the object sizes.
   */
  public static final int DEFAULT_PARALLELISM = 4;
  /**
   * Save the tier's index every 1000 copies: a run killed halfway re-copies at most 1000 objects, and a
   * 10,000-object tier rewrites its ~1 MB index about ten times per full copy.
   */
  public static final int DEFAULT_CHECKPOINT_EVERY = 1000;
  /** Retry a failed tier run after 15 minutes: long enough for a blip to pass, short against a day. */
  public static final Duration DEFAULT_RETRY_DELAY = Duration.ofMinutes(15);
  /**
   * A run may shrink a tier by at most half of its objects. A normal run replaces what retention removed
   * upstream with what was written since, so the count moves by a few percent (even a 2-week tier that
   * turns over all of its objects copies about as many as it deletes); losing half takes a mistyped or
   * wrong prefix, a source that lost data, or a retention cut — each something a person should confirm
   * (by raising the share or allowing a destructive run) before backups are deleted.
   */
  public static final double DEFAULT_MAX_LOSS_SHARE = 0.5;
  /** Schedules in UTC: no daylight-saving jumps that skip or repeat a 02:00 run. */
  public static final ZoneId DEFAULT_ZONE = ZoneOffset.UTC;

  private final ObjectStore source;
  private final String sourcePrefix;
  private final ObjectStore target;
  private final String targetPrefix;
  private final List<Tier> tiers;
  private final Clock clock;
  private final ZoneId zone;
  private final int parallelism;
  private final int checkpointEvery;
  private final Duration retryDelay;
  private final TierVerifier verifier;
  private final BackupListener listener;
  private final double maxLossShare;
  private final boolean allowDestructiveRun;

  private BackupOptions(Builder b) {
    maxLossShare = b.maxLossShare;
    allowDestructiveRun = b.allowDestructiveRun;
    source = b.source;
    sourcePrefix = b.sourcePrefix;
    target = b.target;
    targetPrefix = b.targetPrefix;
    tiers = b.tiers;
    clock = b.clock;
    zone = b.zone;
    parallelism = b.parallelism;
    checkpointEvery = b.checkpointEvery;
    retryDelay = b.retryDelay;
    verifier = b.verifier;
    listener = b.listener;
  }

  /** A builder copying {@code source} (MinIO) into tiers in {@code target} (S3), with the default tiers. */
  public static Builder builder(ObjectStore source, ObjectStore target) {
    return new Builder(source, target);
  }

  public ObjectStore source() { return source; }
  public String sourcePrefix() { return sourcePrefix; }
  public ObjectStore target() { return target; }
  public String targetPrefix() { return targetPrefix; }
  public List<Tier> tiers() { return tiers; }
  public Clock clock() { return clock; }
  public ZoneId zone() { return zone; }
  public int parallelism() { return parallelism; }
  public int checkpointEvery() { return checkpointEvery; }
  public Duration retryDelay() { return retryDelay; }
  public TierVerifier verifier() { return verifier; }
  public BackupListener listener() { return listener; }
  /** The largest share of a tier's objects one run may lose (net of its copies); see {@link #DEFAULT_MAX_LOSS_SHARE}. */
  public double maxLossShare() { return maxLossShare; }
  /** Whether runs skip the checks that refuse destructive runs ({@link BackupRefusedException}). */
  public boolean allowDestructiveRun() { return allowDestructiveRun; }

  /** The prefix of tier {@code name} in the target. */
  public String tierPrefix(String name) {
    return targetPrefix + name + "/";
  }

  /** The tier named {@code name}. */
  public Tier tier(String name) {
    return tiers.stream().filter(t -> t.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no tier named '" + name + "'; tiers are "
            + tiers.stream().map(Tier::name).toList()));
  }

  /** Builds {@link BackupOptions}. */
  public static final class Builder {
    private final ObjectStore source;
    private final ObjectStore target;
    private String sourcePrefix = "";
    private String targetPrefix = "";
    private List<Tier> tiers = Tier.defaults();
    private Clock clock = Clock.systemUTC();
    private ZoneId zone = DEFAULT_ZONE;
    private int parallelism = DEFAULT_PARALLELISM;
    private int checkpointEvery = DEFAULT_CHECKPOINT_EVERY;
    private Duration retryDelay = DEFAULT_RETRY_DELAY;
    private TierVerifier verifier = TierVerifier.NONE;
    private BackupListener listener = BackupListener.NONE;
    private double maxLossShare = DEFAULT_MAX_LOSS_SHARE;
    private boolean allowDestructiveRun;

    private Builder(ObjectStore source, ObjectStore target) {
      this.source = Objects.requireNonNull(source, "source store");
      this.target = Objects.requireNonNull(target, "target store");
    }

    /** The part of the source bucket to copy: {@code ""} (default: all of it) or a prefix ending with '/'. */
    public Builder sourcePrefix(String prefix) {
      this.sourcePrefix = Names.requireKeyPrefix("source prefix", prefix);
      return this;
    }

    /** Where the tiers go in the target: {@code ""} (default) or a prefix ending with '/'. */
    public Builder targetPrefix(String prefix) {
      this.targetPrefix = Names.requireKeyPrefix("target prefix", prefix);
      return this;
    }

    /** The tiers (default {@link Tier#defaults()}): unique names, each upstream naming an earlier tier. */
    public Builder tiers(List<Tier> tiers) {
      Objects.requireNonNull(tiers, "tiers");
      if (tiers.isEmpty()) {
        throw new IllegalArgumentException("tiers must not be empty");
      }
      Set<String> seen = new HashSet<>();
      for (Tier t : tiers) {
        if (t.upstream().isPresent() && !seen.contains(t.upstream().get())) {
          throw new IllegalArgumentException("tier '" + t.name() + "' copies from '" + t.upstream().get()
              + "', which is not a tier listed before it");
        }
        if (!seen.add(t.name())) {
          throw new IllegalArgumentException("tier name '" + t.name() + "' is used twice");
        }
      }
      this.tiers = List.copyOf(tiers);
      return this;
    }

    /** The clock schedules are evaluated against (default system UTC); tests pass a fake one. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The zone cron expressions are read in (default UTC). */
    public Builder zone(ZoneId zone) {
      this.zone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    /** Copies in flight at once, in [1, 64]. */
    public Builder parallelism(int n) {
      if (n < 1 || n > 64) {
        throw new IllegalArgumentException("parallelism must be in [1, 64], was " + n);
      }
      this.parallelism = n;
      return this;
    }

    /** Copies between two saves of the tier's index, in [1, 1,000,000]. */
    public Builder checkpointEvery(int copies) {
      if (copies < 1 || copies > 1_000_000) {
        throw new IllegalArgumentException("checkpointEvery must be in [1, 1000000], was " + copies);
      }
      this.checkpointEvery = copies;
      return this;
    }

    /** How long after a failed run the scheduler tries that tier again, in [1 s, 1 day]. */
    public Builder retryDelay(Duration d) {
      Objects.requireNonNull(d, "retryDelay");
      if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("retryDelay must be in [1s, 1d], was " + d);
      }
      this.retryDelay = d;
      return this;
    }

    /** Verifies each tier after its run (default {@link TierVerifier#NONE}). */
    public Builder verifier(TierVerifier verifier) {
      this.verifier = Objects.requireNonNull(verifier, "verifier");
      return this;
    }

    public Builder listener(BackupListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The largest share of a tier's objects a run may lose, net of the objects it copies, in [0, 1]
     * (default {@link #DEFAULT_MAX_LOSS_SHARE}); a run that would lose more is refused with
     * {@link BackupRefusedException.Reason#TOO_MUCH_LOSS} before it copies or deletes anything.
     */
    public Builder maxLossShare(double share) {
      if (!(share >= 0 && share <= 1)) {
        throw new IllegalArgumentException("maxLossShare must be in [0, 1], was " + share);
      }
      this.maxLossShare = share;
      return this;
    }

    /**
     * Lets runs through that would be refused otherwise: an upstream that lists nothing, a loss above
     * {@link #maxLossShare}, or a database's newest lineage deleted (default false). Meant for one run a
     * person has confirmed, not for a scheduled backup: with it, a mistyped prefix empties the tier.
     */
    public Builder allowDestructiveRun(boolean allow) {
      this.allowDestructiveRun = allow;
      return this;
    }

    public BackupOptions build() {
      if (source == target) {
        for (Tier t : tiers) {
          String tp = targetPrefix + t.name() + "/";
          if (tp.startsWith(sourcePrefix) || sourcePrefix.startsWith(tp)) {
            throw new IllegalArgumentException("tier prefix '" + tp + "' overlaps source prefix '" + sourcePrefix
                + "' in the same store: a tier would copy itself");
          }
        }
      }
      return new BackupOptions(this);
    }

  }
}
