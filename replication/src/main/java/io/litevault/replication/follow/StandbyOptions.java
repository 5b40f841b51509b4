package io.litevault.replication.follow;

import io.litevault.replication.ReplicatorOptions;
import io.litevault.store.DatabaseOptions;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Standby} follows a primary and becomes one: the follower it reads through meanwhile, the
 * database and replicator it opens when it takes over, and how often it looks at the primary's lease.
 * Immutable; {@link #builder} rejects a bad value at once, naming it.
 */
public final class StandbyOptions {
  /**
   * How often the lease is read (a LIST and two GETs): failover takes up to the primary's lease TTL plus this.
   * 5 s adds 36 requests a minute to the follower's and little to the TTL's two minutes.
   */
  public static final Duration DEFAULT_LEASE_CHECK_INTERVAL = Duration.ofSeconds(5);

  private final FollowerOptions follower;
  private final DatabaseOptions database;
  private final ReplicatorOptions replicator;
  private final Duration leaseCheckInterval;

  private StandbyOptions(Builder b) {
    this.follower = b.follower;
    this.database = b.database;
    this.replicator = b.replicator;
    this.leaseCheckInterval = b.leaseCheckInterval;
  }

  /**
   * @param follower the follower's options: its file must be {@code <directory>/<name>.db}, the file of
   *     database {@code name} of a store in {@code directory}, which the standby opens when it takes over
   * @param database the database's options once it is the writer (migrations, synchronous, ...)
   * @param replicator the replication it starts then: the same bucket and prefix as the follower's
   */
  public static Builder builder(FollowerOptions follower, DatabaseOptions database, ReplicatorOptions replicator) {
    return new Builder(follower, database, replicator);
  }

  public FollowerOptions follower() { return follower; }
  public DatabaseOptions database() { return database; }
  public ReplicatorOptions replicator() { return replicator; }
  public Duration leaseCheckInterval() { return leaseCheckInterval; }

  public static final class Builder {
    private final FollowerOptions follower;
    private final DatabaseOptions database;
    private final ReplicatorOptions replicator;
    private Duration leaseCheckInterval = DEFAULT_LEASE_CHECK_INTERVAL;

    private Builder(FollowerOptions follower, DatabaseOptions database, ReplicatorOptions replicator) {
      this.follower = Objects.requireNonNull(follower, "follower");
      this.database = Objects.requireNonNull(database, "database");
      this.replicator = Objects.requireNonNull(replicator, "replicator");
      String expected = follower.name() + ".db";
      if (!follower.file().getFileName().toString().equals(expected)) {
        throw new IllegalArgumentException("a standby's follower file must be named after its database (" + expected
            + ", the file a store opens for database '" + follower.name() + "'), was " + follower.file());
      }
      if (!replicator.prefix().equals(follower.prefix())) {
        throw new IllegalArgumentException("a standby replicates to the prefix it follows: the replicator's prefix '"
            + replicator.prefix() + "' is not the follower's '" + follower.prefix() + "'");
      }
    }

    public Builder leaseCheckInterval(Duration value) {
      Objects.requireNonNull(value, "leaseCheckInterval");
      if (value.compareTo(FollowerOptions.MIN_POLL_INTERVAL) < 0) {
        throw new IllegalArgumentException("leaseCheckInterval must be at least "
            + FollowerOptions.MIN_POLL_INTERVAL.toMillis() + " ms, was " + value);
      }
      this.leaseCheckInterval = value;
      return this;
    }

    public StandbyOptions build() {
      return new StandbyOptions(this);
    }
  }
}
