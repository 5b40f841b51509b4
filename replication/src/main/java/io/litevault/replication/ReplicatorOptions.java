package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.Codec;
import io.litevault.replication.format.SegmentFormat;
import io.litevault.store.Names;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/** Immutable settings of a {@link Replicator}; build with {@link #builder(ObjectStore, String)}. */
public final class ReplicatorOptions {
  /** Litestream's default: batches a second of commits into one upload, ~86k uploads a day at most. */
  public static final Duration DEFAULT_MIN_UPLOAD_INTERVAL = Duration.ofSeconds(1);
  /** A daily snapshot bounds how many segments a restore must apply. */
  public static final Duration DEFAULT_SNAPSHOT_INTERVAL = Duration.ofHours(24);
  /**
   * A snapshot as soon as what a restore of latest reads beyond the last one reaches half the database
   * (and {@link #DEFAULT_MIN_SNAPSHOT_SPACING} has passed): a restore then reads at most about 1.5 times the
   * database plus the tail, and the snapshots cost at most twice the pages the writes changed.
   */
  public static final double DEFAULT_SNAPSHOT_CHAIN_FRACTION = 0.5;
  /**
   * Snapshots taken for the chain's size come at most this often: a load that rewrites a small database
   * every second would otherwise make every other upload a snapshot (a storm, Litestream #997 and #1198).
   */
  public static final Duration DEFAULT_MIN_SNAPSHOT_SPACING = Duration.ofMinutes(10);
  /**
   * 20 ms, from the measured curve (benchmarks/RESULTS.md, "REPLICATED batch window"): against no window,
   * 45% fewer PUTs at 100 REPLICATED writes a second and 85% fewer at 1,000 (bytes sent per write 37-47%
   * fewer), for about 10 ms more at the median; 5 ms gathers almost nothing at 100/s, 50 ms and more push
   * p99 far past 50 ms. It applies only while more than one REPLICATED write waits for the bucket: one
   * caller waiting for each ack never waits.
   */
  public static final Duration DEFAULT_REPLICATED_BATCH_WINDOW = Duration.ofMillis(20);
  /** A week of point-in-time history, like Litestream's default retention. */
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
  /**
   * The least {@code fineSegmentRetention}: the replicator's catch-up after a crash compares the local files
   * with the newest segments' states (docs/FORMAT.md, "The bucket wins"), which must still be there.
   */
  public static final Duration MIN_FINE_SEGMENT_RETENTION = Duration.ofHours(1);
  /** Retention needs listing the prefix: hourly keeps that cheap. */
  public static final Duration DEFAULT_RETENTION_CHECK_INTERVAL = Duration.ofHours(1);
  /**
   * zstd level 1: on SQLite pages it compresses clearly better than LZ4 at similar speed (measured:
   * benchmarks/RESULTS.md, "Compression"), and bytes uploaded are what a bucket bills.
   */
  public static final Codec DEFAULT_CODEC = Codec.ZSTD;
  /** Segments hold at most this many bytes of pages; a larger transaction is shipped as a snapshot. */
  public static final int DEFAULT_MAX_SEGMENT_BYTES = 32 << 20;
  /** How long the lease protects a prefix after the last upload; renewed with uploads, never while idle. */
  public static final Duration DEFAULT_LEASE_TTL = Duration.ofMinutes(2);
  /** First wait after a failed upload; doubles up to {@link #DEFAULT_MAX_RETRY_BACKOFF}. */
  public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofMillis(200);
  public static final Duration DEFAULT_MAX_RETRY_BACKOFF = Duration.ofSeconds(30);
  /**
   * Compaction windows, level 1 first: 1 s, 10 s, 1 min, 10 min, 1 h, 6 h. With a daily snapshot a restore of
   * any moment reads at most about 37 objects however many segments the day had, for about 12% more PUTs
   * than the segments alone (see docs/FORMAT.md, "Compaction levels").
   */
  public static final List<Duration> DEFAULT_COMPACTION_WINDOWS = CompactionLevels.DEFAULT;
  /**
   * Version 1, although version 2 uploads about half the bytes per write (benchmarks/RESULTS.md, "Bytes per
   * write"): an older release rolled back to (a bad deploy undone, or one process of a mixed fleet) must be
   * able to continue the lineage, and releases before version 2 refuse a version-2 segment at the tip and
   * retry forever (Review20Test). Turn version 2 on once no process that may write or restore this prefix
   * runs a release older than this one (docs/FORMAT.md, "Turning version 2 on").
   */
  public static final SegmentFormat DEFAULT_SEGMENT_FORMAT = SegmentFormat.V1;

  private final ObjectStore store;
  private final String prefix;
  private final Duration minUploadInterval;
  private final Duration replicatedBatchWindow;
  private final Duration snapshotInterval;
  private final double snapshotChainFraction;
  private final Duration minSnapshotSpacing;
  private final Duration retention;
  private final Duration retentionCheckInterval;
  private final Duration fineSegmentRetention;
  private final Codec codec;
  private final int maxSegmentBytes;
  private final Duration leaseTtl;
  private final boolean leaseKeepAlive;
  private final Duration retryBackoff;
  private final Duration maxRetryBackoff;
  private final Path workDirectory;
  private final Clock clock;
  private final String owner;
  private final boolean allowFork;
  private final List<Duration> compactionWindows;
  private final SegmentFormat segmentFormat;
  /** Set only by a {@link MultiReplicator}: its other destinations. */
  private final Witnesses witnesses;

  private ReplicatorOptions(Builder b) {
    this.store = b.store;
    this.prefix = b.prefix;
    this.minUploadInterval = b.minUploadInterval;
    this.replicatedBatchWindow = b.replicatedBatchWindow;
    this.snapshotInterval = b.snapshotInterval;
    this.snapshotChainFraction = b.snapshotChainFraction;
    this.minSnapshotSpacing = b.minSnapshotSpacing;
    this.retention = b.retention;
    this.retentionCheckInterval = b.retentionCheckInterval;
    this.fineSegmentRetention = b.fineSegmentRetention != null ? b.fineSegmentRetention : b.retention;
    this.codec = b.codec;
    this.maxSegmentBytes = b.maxSegmentBytes;
    this.leaseTtl = b.leaseTtl;
    this.leaseKeepAlive = b.leaseKeepAlive;
    this.retryBackoff = b.retryBackoff;
    this.maxRetryBackoff = b.maxRetryBackoff;
    this.workDirectory = b.workDirectory;
    this.clock = b.clock;
    this.owner = b.owner;
    this.allowFork = b.allowFork;
    this.compactionWindows = b.compactionWindows;
    this.segmentFormat = b.segmentFormat;
    this.witnesses = b.witnesses;
  }

  /** A copy with the work directory {@code dir}: a {@link MultiReplicator} gives each destination its own. */
  ReplicatorOptions withWorkDirectory(Path dir) {
    Builder b = toBuilder();
    b.workDirectory = Objects.requireNonNull(dir, "dir");
    return new ReplicatorOptions(b);
  }

  /** A copy whose replicator may ask {@code witnesses} (a {@link MultiReplicator}'s other destinations). */
  ReplicatorOptions withWitnesses(Witnesses witnesses) {
    Builder b = toBuilder();
    b.witnesses = Objects.requireNonNull(witnesses, "witnesses");
    return new ReplicatorOptions(b);
  }

  /** The other destinations of a {@link MultiReplicator}; none for a single replicator. */
  Witnesses witnesses() {
    return witnesses;
  }

  private Builder toBuilder() {
    Builder b = new Builder(store, prefix);
    b.minUploadInterval = minUploadInterval;
    b.replicatedBatchWindow = replicatedBatchWindow;
    b.snapshotInterval = snapshotInterval;
    b.snapshotChainFraction = snapshotChainFraction;
    b.minSnapshotSpacing = minSnapshotSpacing;
    b.retention = retention;
    b.retentionCheckInterval = retentionCheckInterval;
    b.fineSegmentRetention = fineSegmentRetention;
    b.codec = codec;
    b.maxSegmentBytes = maxSegmentBytes;
    b.leaseTtl = leaseTtl;
    b.leaseKeepAlive = leaseKeepAlive;
    b.retryBackoff = retryBackoff;
    b.maxRetryBackoff = maxRetryBackoff;
    b.workDirectory = workDirectory;
    b.clock = clock;
    b.owner = owner;
    b.allowFork = allowFork;
    b.compactionWindows = compactionWindows;
    b.segmentFormat = segmentFormat;
    b.witnesses = witnesses;
    return b;
  }

  /**
   * @param store where to replicate (MinIO in production)
   * @param prefix the key prefix of this database's replica, e.g. {@code "litevault/data"}
   * @throws io.litevault.store.InvalidNameException the prefix breaks {@link Names#requirePrefix}'s rule
   */
  public static Builder builder(ObjectStore store, String prefix) {
    return new Builder(store, prefix);
  }

  public ObjectStore store() { return store; }
  public String prefix() { return prefix; }
  public Duration minUploadInterval() { return minUploadInterval; }
  /** How long an upload for a REPLICATED write waits for more writes to share it. */
  public Duration replicatedBatchWindow() { return replicatedBatchWindow; }
  public Duration snapshotInterval() { return snapshotInterval; }
  /** A snapshot when the restore chain reaches this fraction of the database; 0 when off. */
  public double snapshotChainFraction() { return snapshotChainFraction; }
  /** The least time between two snapshots taken for the chain's size. */
  public Duration minSnapshotSpacing() { return minSnapshotSpacing; }
  public Duration retention() { return retention; }
  public Duration retentionCheckInterval() { return retentionCheckInterval; }
  /** How long every transaction stays restorable; {@link #retention()} unless set shorter. */
  public Duration fineSegmentRetention() { return fineSegmentRetention; }
  public Codec codec() { return codec; }
  public int maxSegmentBytes() { return maxSegmentBytes; }
  public Duration leaseTtl() { return leaseTtl; }
  /**
   * Whether the lease is renewed while the database is idle, too (off by default: an idle database makes no
   * requests, and its lease expires). Turn it on where a standby ({@code io.litevault.replication.follow.Standby})
   * watches the prefix: it takes an expired lease for a dead primary's. Costs a PUT, a LIST and a DELETE each
   * half TTL (3 a minute at the default TTL).
   */
  public boolean leaseKeepAlive() { return leaseKeepAlive; }
  public Duration retryBackoff() { return retryBackoff; }
  public Duration maxRetryBackoff() { return maxRetryBackoff; }
  /** Where snapshots are staged before upload; null means beside the database ({@code .litevault/}). */
  public Path workDirectory() { return workDirectory; }
  public Clock clock() { return clock; }
  /** This process's name in the lease (host, pid and a random id by default). */
  public String owner() { return owner; }
  /** Whether a local file that does not continue the bucket may start a new lineage ({@link LocalBehindBucketException}). */
  public boolean allowFork() { return allowFork; }
  /** The compaction windows, level 1 first; empty when compaction is off. */
  public List<Duration> compactionWindows() { return compactionWindows; }
  /** The segment format version written ({@link #DEFAULT_SEGMENT_FORMAT}: version 1). */
  public SegmentFormat segmentFormat() { return segmentFormat; }

  public static final class Builder {
    private final ObjectStore store;
    private final String prefix;
    private Duration minUploadInterval = DEFAULT_MIN_UPLOAD_INTERVAL;
    private Duration replicatedBatchWindow = DEFAULT_REPLICATED_BATCH_WINDOW;
    private Duration snapshotInterval = DEFAULT_SNAPSHOT_INTERVAL;
    private double snapshotChainFraction = DEFAULT_SNAPSHOT_CHAIN_FRACTION;
    private Duration minSnapshotSpacing = DEFAULT_MIN_SNAPSHOT_SPACING;
    private Duration retention = DEFAULT_RETENTION;
    private Duration retentionCheckInterval = DEFAULT_RETENTION_CHECK_INTERVAL;
    private Duration fineSegmentRetention;
    private Codec codec = DEFAULT_CODEC;
    private int maxSegmentBytes = DEFAULT_MAX_SEGMENT_BYTES;
    private Duration leaseTtl = DEFAULT_LEASE_TTL;
    private boolean leaseKeepAlive;
    private Duration retryBackoff = DEFAULT_RETRY_BACKOFF;
    private Duration maxRetryBackoff = DEFAULT_MAX_RETRY_BACKOFF;
    private Path workDirectory;
    private Clock clock = Clock.systemUTC();
    private String owner = defaultOwner();
    private boolean allowFork;
    private Witnesses witnesses = Witnesses.NONE;
    private List<Duration> compactionWindows = DEFAULT_COMPACTION_WINDOWS;
    private SegmentFormat segmentFormat = DEFAULT_SEGMENT_FORMAT;

    private Builder(ObjectStore store, String prefix) {
      this.store = Objects.requireNonNull(store, "store");
      this.prefix = Names.requirePrefix("replica prefix", prefix);
    }

    /** Least time between two uploads of ordinary (LOCAL) writes; 0 uploads after every commit. */
    public Builder minUploadInterval(Duration value) {
      require(value, "minUploadInterval", true);
      this.minUploadInterval = value;
      return this;
    }

    /**
     * How long the upload a REPLICATED write asks for waits, from the first such write, for more commits to
     * share its PUT (a group upload): each REPLICATED ack waits up to this much longer, and at a steady rate
     * of r such writes a second the PUTs fall from about r to about 1/window. It waits only while REPLICATED
     * writers run concurrently (the last upload, or this one, was asked for by more than one commit): a
     * single caller waiting for each ack would pay the window on every write and share nothing. It also ends
     * early once those commits go quiet (no new one for 8 times their mean spacing, and at least 1 ms):
     * callers that each wait for their own ack are then all waiting, and holding the upload would only slow
     * them. 0 uploads at once. At most 1 s.
     *
     * @throws IllegalArgumentException {@code value} is negative or above 1 s
     */
    public Builder replicatedBatchWindow(Duration value) {
      require(value, "replicatedBatchWindow", true);
      if (value.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new IllegalArgumentException("replicatedBatchWindow must be at most 1 s (a REPLICATED ack waits for it), got "
            + value);
      }
      this.replicatedBatchWindow = value;
      return this;
    }

    /**
     * Takes a snapshot, before {@link #snapshotInterval} is up, once what a restore of latest reads beyond
     * the last snapshot (the pages of the compacted ranges since it: see docs/FORMAT.md, "Snapshots by
     * reason") reaches {@code fraction} of the database's pages, and {@link #minSnapshotSpacing} has passed
     * since the last one. 0 turns it off (snapshots by the interval alone).
     *
     * @throws IllegalArgumentException {@code fraction} is negative, not finite, or above 1000
     */
    public Builder snapshotChainFraction(double fraction) {
      if (!(fraction >= 0 && fraction <= 1000)) {
        throw new IllegalArgumentException("snapshotChainFraction must be between 0 (off) and 1000, got " + fraction);
      }
      this.snapshotChainFraction = fraction;
      return this;
    }

    /** The least time between two snapshots taken for the chain's size (see {@link #snapshotChainFraction}). */
    public Builder minSnapshotSpacing(Duration value) {
      require(value, "minSnapshotSpacing", true);
      this.minSnapshotSpacing = value;
      return this;
    }

    public Builder snapshotInterval(Duration value) {
      require(value, "snapshotInterval", false);
      this.snapshotInterval = value;
      return this;
    }

    public Builder retention(Duration value) {
      require(value, "retention", false);
      this.retention = value;
      return this;
    }

    public Builder retentionCheckInterval(Duration value) {
      require(value, "retentionCheckInterval", false);
      this.retentionCheckInterval = value;
      return this;
    }

    /**
     * Keeps the fine segments (every transaction restorable) only this long, and older history at the
     * granularity of the compacted ranges: a segment older than this, and older than the newest snapshot,
     * is deleted where compacted ranges cover it and no restore needs it to cross (docs/FORMAT.md,
     * "Dropping fine segments"). For users who pay per GB: with random-row updates the segments are about a
     * sixth of a day's bytes, with appends about half. Unset, it equals {@link #retention}: nothing is
     * dropped early. The price: a point inside the coarse part restores only at a range's end, and a range
     * there that is lost or corrupt costs the points after it up to the next snapshot (never the latest
     * state, which needs only the newest snapshot and the segments after it).
     *
     * @throws IllegalArgumentException {@code value} is below {@link #MIN_FINE_SEGMENT_RETENTION}
     */
    public Builder fineSegmentRetention(Duration value) {
      require(value, "fineSegmentRetention", false);
      if (value.compareTo(MIN_FINE_SEGMENT_RETENTION) < 0) {
        throw new IllegalArgumentException("fineSegmentRetention must be at least " + MIN_FINE_SEGMENT_RETENTION
            + " (the catch-up after a crash reads the newest segments), got " + value);
      }
      this.fineSegmentRetention = value;
      return this;
    }

    public Builder codec(Codec value) {
      this.codec = Objects.requireNonNull(value, "codec");
      return this;
    }

    public Builder maxSegmentBytes(int bytes) {
      if (bytes < 64 * 1024) {
        throw new IllegalArgumentException("maxSegmentBytes must be >= 65536, got " + bytes);
      }
      this.maxSegmentBytes = bytes;
      return this;
    }

    /** See {@link ReplicatorOptions#leaseKeepAlive()}. */
    public Builder leaseKeepAlive(boolean value) {
      this.leaseKeepAlive = value;
      return this;
    }

    public Builder leaseTtl(Duration value) {
      require(value, "leaseTtl", false);
      this.leaseTtl = value;
      return this;
    }

    public Builder retryBackoff(Duration first, Duration max) {
      require(first, "retryBackoff", false);
      require(max, "maxRetryBackoff", false);
      if (max.compareTo(first) < 0) {
        throw new IllegalArgumentException("maxRetryBackoff (" + max + ") must be >= retryBackoff (" + first + ")");
      }
      this.retryBackoff = first;
      this.maxRetryBackoff = max;
      return this;
    }

    public Builder workDirectory(Path dir) {
      this.workDirectory = Objects.requireNonNull(dir, "workDirectory");
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    public Builder owner(String value) {
      Objects.requireNonNull(value, "owner");
      if (value.isBlank() || value.length() > 200) {
        throw new IllegalArgumentException("owner must be 1 to 200 characters, got '" + value + "'");
      }
      this.owner = value;
      return this;
    }

    /**
     * Lets a local database that does not continue the bucket's newest lineage start a new lineage from
     * itself: one equal to an earlier point (giving up the bucket's newer commits for "restore latest";
     * they stay restorable by lineage until retention), or one equal to no point the bucket keeps (a file
     * changed while nothing replicated it, or deliberately a different database). Default false:
     * replication stops with {@link LocalBehindBucketException}, because a new lineage from such a file
     * would make "restore latest" return it instead of the bucket's data. Set it for one start, after
     * checking that the local file is the one to keep.
     */
    public Builder allowFork(boolean value) {
      this.allowFork = value;
      return this;
    }

    /**
     * The segment format version to write. {@link SegmentFormat#V1} (the default) is read by every release.
     * {@link SegmentFormat#V2} stores a page's later images in a segment as XORs with its previous one where
     * that is smaller (about half the bytes per write on the demo), but a release before version 2 cannot
     * read those segments: rolled back to, it cannot continue the lineage (it retries forever) nor restore
     * through them. Once on, roll back only to a release that reads version 2, or first turn it off again
     * and let a snapshot go out, or start a new lineage (docs/FORMAT.md, "Turning version 2 on"). Needs a
     * compressing codec.
     *
     * @throws IllegalArgumentException {@link SegmentFormat#V2} with {@link Codec#NONE} (checked by {@link #build})
     */
    public Builder segmentFormat(SegmentFormat value) {
      this.segmentFormat = Objects.requireNonNull(value, "segmentFormat");
      return this;
    }

    /**
     * The window of each compaction level, finest first: each at least 1 s and a multiple of the one
     * before; at most 99 levels. An empty list turns compaction off (restores then read every segment
     * since the snapshot, as before compaction existed).
     *
     * @throws IllegalArgumentException a window breaks that rule (the message names it)
     */
    public Builder compactionWindows(List<Duration> windows) {
      Objects.requireNonNull(windows, "compactionWindows");
      if (!windows.isEmpty()) {
        if (windows.size() > 99) {
          throw new IllegalArgumentException("at most 99 compaction levels, got " + windows.size());
        }
        new CompactionLevels(windows); // rejects a bad window, naming it
      }
      this.compactionWindows = List.copyOf(windows);
      return this;
    }

    /**
     * @throws IllegalArgumentException {@code fineSegmentRetention} is longer than {@code retention}, or
     *     shorter with compaction off (nothing would replace the segments)
     */
    public ReplicatorOptions build() {
      if (segmentFormat == SegmentFormat.V2 && codec == Codec.NONE) {
        throw new IllegalArgumentException("segmentFormat V2 needs a compressing codec, not " + codec + ": "
            + "uncompressed, an XOR weighs as much as the image it replaces, and every segment would be version 1");
      }
      if (fineSegmentRetention != null && fineSegmentRetention.compareTo(retention) > 0) {
        throw new IllegalArgumentException("fineSegmentRetention (" + fineSegmentRetention + ") must be at most "
            + "retention (" + retention + ")");
      }
      if (fineSegmentRetention != null && fineSegmentRetention.compareTo(retention) < 0 && compactionWindows.isEmpty()) {
        throw new IllegalArgumentException("fineSegmentRetention (" + fineSegmentRetention + ") shorter than retention ("
            + retention + ") needs compaction windows: the compacted ranges are what replaces the dropped segments");
      }
      return new ReplicatorOptions(this);
    }

    private static void require(Duration d, String name, boolean zeroOk) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || (!zeroOk && d.isZero())) {
        throw new IllegalArgumentException(name + " must be " + (zeroOk ? ">= 0" : "> 0") + ", got " + d);
      }
    }

    private static String defaultOwner() {
      String host;
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException e) {
        host = "unknown-host";
      }
      return host + "/pid-" + ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }
  }
}
