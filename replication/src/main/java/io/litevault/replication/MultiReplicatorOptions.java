package io.litevault.replication;

import io.litevault.store.Names;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable settings of a {@link MultiReplicator}: its named destinations, each a full
 * {@link ReplicatorOptions} (store, prefix, lease, retries, compaction, retention), and the quorum of
 * destinations a {@link Durability#REPLICATED} write waits for. Build with {@link #builder()}.
 */
public final class MultiReplicatorOptions {
  /**
   * Every destination (0 stands for "all"): a REPLICATED acknowledgement then means what it means with one
   * bucket in every bucket, so a restore from any destination, with the same command, has every
   * acknowledged write, and the tiered backup may copy from any of them. The price is availability: while
   * one destination is down, REPLICATED writes wait (as they do with one bucket down), LOCAL writes go on.
   * A smaller quorum ({@link Builder#quorum}) keeps REPLICATED writes going through the outage of
   * {@code n - quorum} destinations, but then only the freshest destination is sure to have every
   * acknowledged write, and a restore must pick it (see {@link MultiReplicator#health()}).
   */
  public static final int DEFAULT_QUORUM = 0;

  private final Map<String, ReplicatorOptions> destinations;
  private final int quorum;

  private MultiReplicatorOptions(Builder b) {
    this.destinations = Collections.unmodifiableMap(new LinkedHashMap<>(b.destinations));
    this.quorum = b.quorum == 0 ? b.destinations.size() : b.quorum;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The destinations by name, in the order they were added (and are started). */
  public Map<String, ReplicatorOptions> destinations() {
    return destinations;
  }

  /** How many destinations must hold a transaction before a REPLICATED write completes (1 to all). */
  public int quorum() {
    return quorum;
  }

  /**
   * The work directory of destination {@code name} of database {@code db}: the one its options name, or
   * {@code .litevault/<database>/destinations/<name>} beside the database file.
   */
  static Path workDirectory(io.litevault.store.Database db, String name, ReplicatorOptions options) {
    return options.workDirectory() != null ? options.workDirectory()
        : db.path().resolveSibling(".litevault").resolve(db.name()).resolve("destinations").resolve(name);
  }

  public static final class Builder {
    private final Map<String, ReplicatorOptions> destinations = new LinkedHashMap<>();
    private int quorum = DEFAULT_QUORUM;

    private Builder() {}

    /**
     * Adds a destination. Its work directory, unless its options name one, is
     * {@code .litevault/<database>/destinations/<name>}: break records and staged snapshots are per
     * destination.
     *
     * @param name the destination's name in logs and {@link MultiReplicationHealth} (a prefix segment:
     *     ASCII letters, digits, '.', '_' or '-'; it also names its work directory)
     * @throws io.litevault.store.InvalidNameException the name breaks that rule
     * @throws IllegalArgumentException the name is taken, or another destination has the same store and
     *     prefix, or the same explicit work directory
     */
    public Builder destination(String name, ReplicatorOptions options) {
      Names.requireSegment("destination name", name);
      Objects.requireNonNull(options, "options");
      if (destinations.containsKey(name)) {
        throw new IllegalArgumentException("destination '" + name + "' is configured twice");
      }
      for (Map.Entry<String, ReplicatorOptions> e : destinations.entrySet()) {
        ReplicatorOptions o = e.getValue();
        if (o.store() == options.store() && o.prefix().equals(options.prefix())) {
          throw new IllegalArgumentException("destinations '" + e.getKey() + "' and '" + name + "' ship to the same "
              + "prefix '" + options.prefix() + "' of " + options.store().describe());
        }
        if (o.workDirectory() != null && o.workDirectory().equals(options.workDirectory())) {
          throw new IllegalArgumentException("destinations '" + e.getKey() + "' and '" + name + "' have the same work "
              + "directory " + options.workDirectory());
        }
      }
      destinations.put(name, options);
      return this;
    }

    /**
     * How many destinations must hold a transaction before a REPLICATED write completes: from 1 to the
     * number of destinations; 0 (the default, {@link #DEFAULT_QUORUM}) means all of them.
     *
     * @throws IllegalArgumentException {@code n} is negative (checked against the destinations by {@link #build})
     */
    public Builder quorum(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("quorum must be 0 (all destinations) or more, got " + n);
      }
      this.quorum = n;
      return this;
    }

    /** @throws IllegalArgumentException no destination, or a quorum above the number of destinations */
    public MultiReplicatorOptions build() {
      if (destinations.isEmpty()) {
        throw new IllegalArgumentException("a MultiReplicator needs at least one destination");
      }
      if (quorum > destinations.size()) {
        throw new IllegalArgumentException("quorum " + quorum + " is more than the " + destinations.size()
            + " destination(s) " + new ArrayList<>(destinations.keySet()));
      }
      return new MultiReplicatorOptions(this);
    }
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    destinations.forEach((n, o) -> parts.add(n + "=" + o.store().describe() + "/" + o.prefix()));
    return "MultiReplicatorOptions" + parts + " quorum " + quorum;
  }
}
