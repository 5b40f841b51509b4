package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
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
   */
  public record State(String owner, Instant expiresAt, boolean released) {
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
    return lease.holder().map(h -> new State(h.owner(), Instant.ofEpochMilli(h.expiresAtMillis()), h.released()));
  }
}
