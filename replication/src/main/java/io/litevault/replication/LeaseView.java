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
 * is gone. Per {@link #read}: one GET of the lease object of versions before generations, one LIST of the
 * generations and one GET of the newest.
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
   * @param generation the generation's number (a renewal writes the next one; 0: the lease object of a version
   *     before generations): a watcher sees a live holder by its changes, on its own clock
   * @param backlog what the holder had not shipped when it wrote this generation; null when unknown (an older
   *     holder, or nothing shipped yet by that process)
   * @param ttl the holder's lease TTL; null when unknown (an older holder)
   */
  public record State(String owner, Instant expiresAt, boolean released, long generation, Backlog backlog,
      Duration ttl) {
    public State(String owner, Instant expiresAt, boolean released) {
      this(owner, expiresAt, released, -1, null, null);
    }

    /** Whether a successor may take it now: released, or expired by {@code now}. */
    public boolean free(Instant now) {
      return released || !expiresAt.isAfter(now);
    }
  }

  /**
   * What a lease holder had committed locally and not shipped when it wrote a generation.
   *
   * @param shipped the newest position of its lineage it had shipped
   * @param unshipped transactions committed locally after it
   */
  public record Backlog(ReplicaPosition shipped, long unshipped) {
    /**
     * At least how many of them never reached the bucket, given that the bucket's lineage ends at {@code end}
     * and whether a snapshot lies after {@code shipped} up to it: each txid a segment adds after
     * {@code shipped} is at most one of them (one WAL commit), but one snapshot can hold any number. -1 when
     * that cannot be told: another lineage, a bucket behind {@code shipped}, or a snapshot after it.
     */
    public long lostAtLeast(ReplicaPosition end, boolean snapshotAfterShipped) {
      if (end == null || !end.lineage().equals(shipped.lineage()) || end.txid() < shipped.txid()
          || snapshotAfterShipped) {
        return -1;
      }
      return Math.max(0, unshipped - (end.txid() - shipped.txid()));
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
        h.generation(), h.localEnd() == null ? null : new Backlog(
            new ReplicaPosition(h.localEnd().lineage(), h.localEnd().shippedTxid()), h.localEnd().unshipped()),
        h.ttlMillis() > 0 ? Duration.ofMillis(h.ttlMillis()) : null));
  }
}
