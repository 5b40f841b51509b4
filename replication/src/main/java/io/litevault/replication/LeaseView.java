package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.ReplicaPosition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Who holds a replica prefix's lease, read without taking it: what a standby watches to know when the primary
 * is gone. One LIST of the lease's generations and one GET of the newest per {@link #read}.
 */
public final class LeaseView {
  private LeaseView() {}

  /**
   * The newest lease generation of {@code prefix}.
   *
   * @param owner its holder's name ({@code ReplicatorOptions.owner()})
   * @param expiresAt when it runs out unless renewed (on the holder's clock; meaningless when released)
   * @param released whether the holder let it go (a clean close or handover): a successor may continue its
   *     lineage at once
   * @param localEnd where the holder's local database ended when it wrote this generation, in the bucket's
   *     numbering (the txid its last local commit takes once shipped); null when unknown (an older holder,
   *     or nothing shipped yet by that process). Commits after that renewal are not counted.
   */
  public record State(String owner, Instant expiresAt, boolean released, ReplicaPosition localEnd) {
    public State(String owner, Instant expiresAt, boolean released) {
      this(owner, expiresAt, released, null);
    }

    /**
     * At least how many transactions the holder committed locally and never shipped, given that the bucket
     * ends at {@code bucketEnd}: -1 when that cannot be told (no local end, or another lineage).
     */
    public long unshippedAtLeast(ReplicaPosition bucketEnd) {
      if (localEnd == null || bucketEnd == null || !localEnd.lineage().equals(bucketEnd.lineage())) {
        return -1;
      }
      return Math.max(0, localEnd.txid() - bucketEnd.txid());
    }

    /** Whether a successor may take it now: released, or expired by {@code now}. */
    public boolean free(Instant now) {
      return released || !expiresAt.isAfter(now);
    }
  }

  /**
   * The newest generation of the lease of {@code prefix}; empty when nobody ever held it.
   *
   * @throws ReplicationException a lease object that is not a Litevault lease
   * @throws io.litevault.bucket.ObjectStoreException the bucket failed
   */
  public static Optional<State> read(ObjectStore store, String prefix) {
    Lease lease = new Lease(store, new BucketLayout(prefix), "lease-view", "", Duration.ofSeconds(1),
        Clock.systemUTC(), System::nanoTime);
    return lease.holder().map(h -> new State(h.owner(), Instant.ofEpochMilli(h.expiresAtMillis()), h.released(),
        h.localEnd() == null ? null : new ReplicaPosition(h.localEnd().lineage(), h.localEnd().txid())));
  }
}
