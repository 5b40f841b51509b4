package io.litevault.replication.restore;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * What to restore, from where, to where. Build with {@link #builder(ObjectStore, String, Path)}; the
 * default target is the newest transaction of the newest lineage.
 */
public final class RestoreOptions {
  /** Downloads in flight at once: enough to hide per-request latency, bounded memory (one segment each). */
  public static final int DEFAULT_PARALLELISM = 4;
  /** More downloads in flight than this only adds memory and connections: no store answers faster for it. */
  public static final int MAX_PARALLELISM = 64;

  private final ObjectStore store;
  private final String prefix;
  private final Path output;
  private final Long txid;
  private final Instant timestamp;
  private final String lineage;
  private final boolean force;
  private final boolean discardStaleWal;
  private final IntegrityCheck integrityCheck;
  private final int parallelism;
  private final boolean compactedRanges;

  private RestoreOptions(Builder b) {
    this.store = b.store;
    this.prefix = b.prefix;
    this.output = b.output;
    this.txid = b.txid;
    this.timestamp = b.timestamp;
    this.lineage = b.lineage;
    this.force = b.force;
    this.discardStaleWal = b.discardStaleWal;
    this.integrityCheck = b.integrityCheck;
    this.parallelism = b.parallelism;
    this.compactedRanges = b.compactedRanges;
  }

  /**
   * @param store the bucket (the MinIO replica, or any backup tier)
   * @param prefix the replica prefix of the database (as given to the replicator)
   * @param output where the restored database file goes
   */
  public static Builder builder(ObjectStore store, String prefix, Path output) {
    return new Builder(store, prefix, output);
  }

  public ObjectStore store() { return store; }
  public String prefix() { return prefix; }
  public Path output() { return output; }
  /** The lineage txid to restore, or null. */
  public Long txid() { return txid; }
  /** Restore the newest transaction committed at or before this time, or null. */
  public Instant timestamp() { return timestamp; }
  /** The lineage to restore from, or null for the newest (or, with a timestamp, the one covering it). */
  public String lineage() { return lineage; }
  public boolean force() { return force; }
  /** See {@link Builder#discardStaleWal}. */
  public boolean discardStaleWal() { return discardStaleWal; }
  public IntegrityCheck integrityCheck() { return integrityCheck; }
  public int parallelism() { return parallelism; }
  /** See {@link Builder#compactedRanges}. */
  public boolean compactedRanges() { return compactedRanges; }

  /**
   * Checks a restore parallelism: 1 to {@link #MAX_PARALLELISM}.
   *
   * @throws IllegalArgumentException out of range (the message names the value)
   */
  public static int requireParallelism(int value) {
    if (value < 1 || value > MAX_PARALLELISM) {
      throw new IllegalArgumentException("parallelism must be between 1 and " + MAX_PARALLELISM + ", got " + value);
    }
    return value;
  }

  public static final class Builder {
    private final ObjectStore store;
    private final String prefix;
    private final Path output;
    private Long txid;
    private Instant timestamp;
    private String lineage;
    private boolean force;
    private boolean discardStaleWal;
    private IntegrityCheck integrityCheck = IntegrityCheck.FULL;
    private int parallelism = DEFAULT_PARALLELISM;
    private boolean compactedRanges = true;

    private Builder(ObjectStore store, String prefix, Path output) {
      this.store = Objects.requireNonNull(store, "store");
      this.prefix = io.litevault.store.Names.requirePrefix("replica prefix", prefix);
      this.output = Objects.requireNonNull(output, "output");
    }

    public Builder txid(long value) {
      if (value < 1) {
        throw new IllegalArgumentException("txid must be >= 1, got " + value);
      }
      if (timestamp != null) {
        throw new IllegalArgumentException("give a txid or a timestamp, not both");
      }
      this.txid = value;
      return this;
    }

    public Builder timestamp(Instant value) {
      if (txid != null) {
        throw new IllegalArgumentException("give a txid or a timestamp, not both");
      }
      this.timestamp = Objects.requireNonNull(value, "timestamp");
      return this;
    }

    public Builder lineage(String value) {
      if (!BucketLayout.LINEAGE.matcher(value).matches()) {
        throw new IllegalArgumentException("invalid lineage id '" + value + "' (expected like 20261123T011234567Z-1f2e3d4c)");
      }
      this.lineage = value;
      return this;
    }

    /**
     * Replace an existing database at the output: it is replaced atomically, only once the restore
     * verified, and its {@code -wal}, {@code -shm} and {@code -journal} are removed first (SQLite would
     * replay an old WAL into the restored file). Never while a process has the database open or a running
     * store holds its directory, and never a path that is not a regular file.
     */
    public Builder force(boolean value) {
      this.force = value;
      return this;
    }

    /**
     * Delete a {@code -wal} or {@code -journal} left beside a MISSING database file (the commits of a
     * database that is gone, which SQLite would replay into the restored file), just before the rename and
     * only once no process can be shown to have it open. Unlike {@link #force} it never replaces a database
     * file: one that exists, or appears while the restore runs, is refused.
     */
    public Builder discardStaleWal(boolean value) {
      this.discardStaleWal = value;
      return this;
    }

    public Builder integrityCheck(IntegrityCheck value) {
      this.integrityCheck = Objects.requireNonNull(value, "integrityCheck");
      return this;
    }

    public Builder parallelism(int value) {
      this.parallelism = requireParallelism(value);
      return this;
    }

    /**
     * Whether the restore may use compacted ranges (docs/FORMAT.md, "Compaction levels"); default true.
     * Without them it reads every segment since the snapshot: slower on a long history, the same database.
     * For comparing the two, or for a bucket whose ranges are suspect (a bad range falls back on its own).
     */
    public Builder compactedRanges(boolean value) {
      this.compactedRanges = value;
      return this;
    }

    public RestoreOptions build() {
      return new RestoreOptions(this);
    }
  }
}
