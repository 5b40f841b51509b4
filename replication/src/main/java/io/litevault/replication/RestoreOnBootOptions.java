package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.restore.IntegrityCheck;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Names;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable settings of {@link RestoreOnBoot}: the store directory (as given to
 * {@code SqliteStore.builder}), the bucket, and each database with its replica prefix (as given to
 * {@link ReplicatorOptions#builder}). Build with {@link #builder(ObjectStore, Path)}; every setter checks its
 * value at once and names it in the message.
 */
public final class RestoreOnBootOptions {
  private final ObjectStore store;
  private final Path directory;
  private final Map<String, String> prefixes;
  private final IntegrityCheck integrityCheck;
  private final int parallelism;
  private final boolean startEmptyIfUnreachable;
  private final boolean discardLeftoverWal;

  private RestoreOnBootOptions(Builder b) {
    this.store = b.store;
    this.directory = b.directory;
    this.prefixes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.prefixes));
    this.integrityCheck = b.integrityCheck;
    this.parallelism = b.parallelism;
    this.startEmptyIfUnreachable = b.startEmptyIfUnreachable;
    this.discardLeftoverWal = b.discardLeftoverWal;
  }

  /**
   * @param store the bucket the databases are replicated to
   * @param directory the store's directory: database {@code name} lives in {@code <directory>/<name>.db}
   */
  public static Builder builder(ObjectStore store, Path directory) {
    return new Builder(store, directory);
  }

  public ObjectStore store() { return store; }
  public Path directory() { return directory; }
  /** Database name to replica prefix, in the order added. */
  public Map<String, String> databases() { return prefixes; }
  /** The local file of database {@code name}, where {@code SqliteStore} opens it. */
  public Path file(String name) { return directory.resolve(name + ".db"); }
  public IntegrityCheck integrityCheck() { return integrityCheck; }
  public int parallelism() { return parallelism; }
  /** Whether a bucket that cannot be reached lets the service start with empty databases (default false). */
  public boolean startEmptyIfUnreachable() { return startEmptyIfUnreachable; }
  /** Whether a {@code -wal}/{@code -journal} left without its database file may be deleted (default false). */
  public boolean discardLeftoverWal() { return discardLeftoverWal; }

  public static final class Builder {
    private final ObjectStore store;
    private final Path directory;
    private final Map<String, String> prefixes = new LinkedHashMap<>();
    private IntegrityCheck integrityCheck = IntegrityCheck.FULL;
    private int parallelism = RestoreOptions.DEFAULT_PARALLELISM;
    private boolean startEmptyIfUnreachable;
    private boolean discardLeftoverWal;

    private Builder(ObjectStore store, Path directory) {
      this.store = Objects.requireNonNull(store, "store");
      this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
    }

    /**
     * Adds a database to restore when its file is missing.
     *
     * @param name the database's name in the store ({@code <name>.db})
     * @param prefix its replica prefix in the bucket
     * @throws io.litevault.store.InvalidNameException a name or prefix breaking {@link Names}' rules
     * @throws IllegalArgumentException the name (ignoring case) or the prefix is already configured
     */
    public Builder database(String name, String prefix) {
      Names.requireDatabaseName(name);
      Names.requirePrefix("replica prefix", prefix);
      for (Map.Entry<String, String> e : prefixes.entrySet()) {
        if (e.getKey().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
          throw new IllegalArgumentException("database '" + name + "' is already configured (as '" + e.getKey()
              + "'; names are compared ignoring case)");
        }
        if (e.getValue().equals(prefix)) {
          throw new IllegalArgumentException("replica prefix '" + prefix + "' is already configured for database '"
              + e.getKey() + "'; each database replicates to its own prefix");
        }
      }
      prefixes.put(name, prefix);
      return this;
    }

    /** SQLite's check of each restored file before it is renamed into place; {@link IntegrityCheck#FULL} by default. */
    public Builder integrityCheck(IntegrityCheck value) {
      this.integrityCheck = Objects.requireNonNull(value, "integrityCheck");
      return this;
    }

    /**
     * Segment downloads in flight per restore, 1 to {@link RestoreOptions#MAX_PARALLELISM};
     * {@link RestoreOptions#DEFAULT_PARALLELISM} by default.
     */
    public Builder parallelism(int value) {
      this.parallelism = RestoreOptions.requireParallelism(value);
      return this;
    }

    /**
     * Start with empty databases when the bucket cannot be reached (a connection error or timeout on the
     * first request; a bucket answering 5xx or "slow down" is not unreachable), instead of failing. Off by default, and dangerous: if the bucket holds the data, the
     * service starts without it, and its replicator later refuses to fork history from the empty file
     * ({@link LocalBehindBucketException}) — or, with forks allowed, starts a new lineage that hides the old
     * one from "restore latest". Never applies once the bucket answered: a failure after the listing showed
     * data always throws.
     */
    public Builder startEmptyIfUnreachable(boolean value) {
      this.startEmptyIfUnreachable = value;
      return this;
    }

    /**
     * Delete a {@code -wal} or {@code -journal} found without its database file, just before the restored file
     * is renamed into place (only once no process is proved to have them open; see
     * {@code RestoreOptions.Builder#discardStaleWal}: a database file that appears meanwhile is refused, never
     * replaced). Refused even so when nothing is restored (an empty or unreachable bucket). Off by default: such a file holds commits of a database file that
     * is gone; it cannot be used alone, and SQLite would replay it into any file placed beside it.
     */
    public Builder discardLeftoverWal(boolean value) {
      this.discardLeftoverWal = value;
      return this;
    }

    /** @throws IllegalArgumentException no database was added */
    public RestoreOnBootOptions build() {
      if (prefixes.isEmpty()) {
        throw new IllegalArgumentException("no database to restore on boot; add one with database(name, prefix)");
      }
      return new RestoreOnBootOptions(this);
    }
  }
}
