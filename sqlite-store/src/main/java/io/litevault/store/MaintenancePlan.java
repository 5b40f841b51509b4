package io.litevault.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a maintenance window does, in this order, for each database while writes are paused:
 * checkpoint(TRUNCATE) if the gates release the WAL within {@link #gateWait()} (skipped, never forced,
 * if not), VACUUM (optional), {@code PRAGMA optimize},
 * a snapshot with {@code VACUUM INTO} (optional), then the user steps in the order added.
 */
public final class MaintenancePlan {
  /** Writes arriving during the window wait (are held) this long for room in a full queue. */
  public static final Duration DEFAULT_HOLD_TIMEOUT = Duration.ofMinutes(1);
  /**
   * How long the checkpoint waits for replication to release the WAL (a replicator ships at once when
   * asked; one that cannot, say its bucket is down, says so and is not waited for). Past it the
   * checkpoint is skipped, never forced: forcing would make replication start over from a snapshot.
   */
  public static final Duration DEFAULT_GATE_WAIT = Duration.ofSeconds(30);

  private final boolean vacuum;
  private final boolean optimize;
  private final Path snapshotDirectory;
  private final Duration holdTimeout;
  private final Duration gateWait;
  private final Set<String> databases;
  private final Map<String, MaintenanceStep> steps;

  private MaintenancePlan(Builder b) {
    this.vacuum = b.vacuum;
    this.optimize = b.optimize;
    this.snapshotDirectory = b.snapshotDirectory;
    this.holdTimeout = b.holdTimeout;
    this.gateWait = b.gateWait;
    this.databases = Set.copyOf(b.databases);
    this.steps = new LinkedHashMap<>(b.steps);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Checkpoint and optimize every database, no vacuum, no snapshot. */
  public static MaintenancePlan defaults() {
    return builder().build();
  }

  public boolean vacuum() { return vacuum; }
  public boolean optimize() { return optimize; }
  /** Where {@code VACUUM INTO} writes {@code <name>.db}, or null for no snapshot. */
  public Path snapshotDirectory() { return snapshotDirectory; }
  public Duration holdTimeout() { return holdTimeout; }
  public Duration gateWait() { return gateWait; }
  /** The databases to maintain; empty means all. */
  public Set<String> databases() { return databases; }
  public Map<String, MaintenanceStep> steps() { return java.util.Collections.unmodifiableMap(steps); }

  public static final class Builder {
    private boolean vacuum;
    private boolean optimize = true;
    private Path snapshotDirectory;
    private Duration holdTimeout = DEFAULT_HOLD_TIMEOUT;
    private Duration gateWait = DEFAULT_GATE_WAIT;
    private final Set<String> databases = new LinkedHashSet<>();
    private final Map<String, MaintenanceStep> steps = new LinkedHashMap<>();

    private Builder() {}

    /** Rebuild each database file with VACUUM (rewrites the whole file through the WAL). */
    public Builder vacuum(boolean value) {
      this.vacuum = value;
      return this;
    }

    public Builder optimize(boolean value) {
      this.optimize = value;
      return this;
    }

    /** Write a compact, consistent copy of each database to {@code directory/<name>.db} (must not exist). */
    public Builder snapshotTo(Path directory) {
      this.snapshotDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    public Builder holdTimeout(Duration value) {
      Objects.requireNonNull(value, "holdTimeout");
      DatabaseOptions.requireArgument(!value.isNegative() && !value.isZero(), "holdTimeout must be > 0, got %s", value);
      this.holdTimeout = value;
      return this;
    }

    public Builder gateWait(Duration value) {
      Objects.requireNonNull(value, "gateWait");
      DatabaseOptions.requireArgument(!value.isNegative(), "gateWait must be >= 0, got %s", value);
      this.gateWait = value;
      return this;
    }

    /** Limit the window to these databases (default: all of the store). */
    public Builder databases(String... names) {
      for (String n : names) {
        databases.add(Names.requireDatabaseName(n));
      }
      return this;
    }

    /** Adds a user step; names must be unique. */
    public Builder step(String name, MaintenanceStep step) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(step, "step");
      DatabaseOptions.requireArgument(!steps.containsKey(name), "duplicate maintenance step name '%s'", name);
      steps.put(name, step);
      return this;
    }

    public MaintenancePlan build() {
      return new MaintenancePlan(this);
    }
  }
}
