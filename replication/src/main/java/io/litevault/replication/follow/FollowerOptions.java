package io.litevault.replication.follow;

import io.litevault.bucket.ObjectStore;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.Names;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Follower} follows one replicated database: the bucket and prefix the primary replicates to,
 * the local file it keeps, the readers and cache that serve it, and how often it looks for new objects.
 * Immutable; built by {@link #builder}, which rejects a bad value at once, naming it.
 */
public final class FollowerOptions {
  /**
   * How often the bucket is asked for new segments: one LIST request (start-after the last key applied) a
   * poll, so an idle follower sends 60 a minute by default. It bounds the lag added on top of the primary's
   * upload, and is cheap against any S3 price list.
   */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
  /**
   * How often an idle follower also looks for a newer lineage (a restore or fork at the primary) and a newer
   * snapshot: two more LISTs a time (more while a newer lineage has no snapshot yet). A lineage rarely
   * changes; 30 s keeps the idle cost at 64 requests a minute.
   */
  public static final Duration DEFAULT_LINEAGE_CHECK_INTERVAL = Duration.ofSeconds(30);
  /**
   * Past this many segments to apply, the follower rebuilds from the newest point instead (a restore, which
   * reads the snapshot and compacted ranges rather than every segment): a thousand GETs cost about what a
   * restore of a small database does, and one LIST page holds a thousand keys.
   */
  public static final int DEFAULT_FAR_BEHIND_SEGMENTS = 1000;
  /** A shorter poll would only burn requests: S3 answers a LIST in tens of milliseconds. */
  public static final Duration MIN_POLL_INTERVAL = Duration.ofMillis(10);

  private final ObjectStore store;
  private final String prefix;
  private final Path file;
  private final String name;
  private final DatabaseOptions databaseOptions;
  private final Duration pollInterval;
  private final Duration lineageCheckInterval;
  private final int farBehindSegments;
  private final Clock clock;

  private FollowerOptions(Builder b) {
    this.store = b.store;
    this.prefix = b.prefix;
    this.file = b.file;
    this.name = b.name;
    this.databaseOptions = b.databaseOptions;
    this.pollInterval = b.pollInterval;
    this.lineageCheckInterval = b.lineageCheckInterval;
    this.farBehindSegments = b.farBehindSegments;
    this.clock = b.clock;
  }

  /**
   * @param store the bucket the primary replicates to (any {@link ObjectStore}; the follower only reads)
   * @param prefix the primary's replica prefix
   * @param file the local copy the follower keeps and serves (created or replaced at open; the follower
   *     owns it and the files beside it named after it)
   */
  public static Builder builder(ObjectStore store, String prefix, Path file) {
    return new Builder(store, prefix, file);
  }

  public ObjectStore store() { return store; }
  public String prefix() { return prefix; }
  public Path file() { return file; }
  /** The database name readers and errors use (default: the file name without extension). */
  public String name() { return name; }
  /** The readers and cache (its writer settings do not apply). */
  public DatabaseOptions databaseOptions() { return databaseOptions; }
  public Duration pollInterval() { return pollInterval; }
  public Duration lineageCheckInterval() { return lineageCheckInterval; }
  /** See {@link #DEFAULT_FAR_BEHIND_SEGMENTS}. */
  public int farBehindSegments() { return farBehindSegments; }
  /** For the lag and staleness reported, and lineage checks. */
  public Clock clock() { return clock; }

  public static final class Builder {
    private final ObjectStore store;
    private final String prefix;
    private final Path file;
    private String name;
    private DatabaseOptions databaseOptions = DatabaseOptions.defaults();
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration lineageCheckInterval = DEFAULT_LINEAGE_CHECK_INTERVAL;
    private int farBehindSegments = DEFAULT_FAR_BEHIND_SEGMENTS;
    private Clock clock = Clock.systemUTC();

    private Builder(ObjectStore store, String prefix, Path file) {
      this.store = Objects.requireNonNull(store, "store");
      this.prefix = Names.requirePrefix("replica prefix", prefix);
      Objects.requireNonNull(file, "file");
      if (file.getFileName() == null) {
        throw new IllegalArgumentException("follower file must be a file path, was " + file);
      }
      this.file = file.toAbsolutePath().normalize();
      String base = this.file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
      this.name = base.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}") ? base : "follower";
    }

    public Builder name(String value) {
      this.name = Names.requireDatabaseName(value);
      return this;
    }

    public Builder databaseOptions(DatabaseOptions value) {
      this.databaseOptions = Objects.requireNonNull(value, "databaseOptions");
      return this;
    }

    public Builder pollInterval(Duration value) {
      require(value, "pollInterval", MIN_POLL_INTERVAL);
      this.pollInterval = value;
      return this;
    }

    public Builder lineageCheckInterval(Duration value) {
      require(value, "lineageCheckInterval", MIN_POLL_INTERVAL);
      this.lineageCheckInterval = value;
      return this;
    }

    public Builder farBehindSegments(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("farBehindSegments must be at least 1, was " + value);
      }
      this.farBehindSegments = value;
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    public FollowerOptions build() {
      return new FollowerOptions(this);
    }

    private static void require(Duration value, String what, Duration min) {
      Objects.requireNonNull(value, what);
      if (value.compareTo(min) < 0) {
        throw new IllegalArgumentException(what + " must be at least " + min.toMillis() + " ms, was " + value);
      }
    }
  }
}
