package io.litevault.replication.follow;

import io.litevault.bucket.ObjectInfo;
import io.litevault.replication.LeaseView;
import io.litevault.replication.Replicator;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.store.SqliteStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower that takes over as the writer when the primary is gone: a hot standby on another machine (or
 * the successor of a handover). Meanwhile it serves reads ({@link #follower()}). {@link #awaitPromotion}
 * watches the primary's lease; once it is released (a clean close or a handover) or expired (the primary
 * died), the standby catches up with the last object in the bucket, stops following, and opens the file as
 * a store with a {@link Replicator}, which takes the lease with the fenced create-only put.
 *
 * <p>What is kept: every write the old primary acknowledged as REPLICATED (it acknowledges only after
 * renewing its lease after the upload, so an acknowledged upload came before the takeover, and the catch-up
 * after the takeover sees it). What is lost: its LOCAL writes not yet uploaded. They never left the dead
 * machine, so the standby counts them from the primary's last lease renewal, which says where its local
 * database ended then ({@link Promotion#lostLocalTransactions}): a lower bound, since commits after that
 * renewal are not known.
 *
 * <p>Which lineage the new writer continues: a released lease, the same lineage (no snapshot, no fork). An
 * expired lease of another machine, a new lineage starting with a snapshot of the same state: the old
 * primary may be paused rather than dead (a frozen VM), and would otherwise upload into the lineage beside
 * the new writer. It finds itself fenced instead: its next renewal fails, it refuses writes and says why.
 *
 * <p>The primary must renew its lease while idle ({@code ReplicatorOptions.leaseKeepAlive(true)}), or the
 * standby takes an idle primary's expired lease for a dead one's.
 */
public final class Standby implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Standby.class);
  /** Attempts when objects keep appearing between the catch-up and the takeover (a paused primary's uploads). */
  private static final int MAX_ATTEMPTS = 3;

  private final StandbyOptions options;
  /** Written only under this object's lock; read by readers without it (a promotion may wait for days). */
  private volatile Follower follower;
  private volatile Optional<LeaseView.State> lastLease = Optional.empty();
  /** Set by {@link #close}: a waiting {@link #awaitPromotion} returns empty at its next lease check. */
  private volatile boolean closed;

  private Standby(StandbyOptions options, Follower follower) {
    this.options = options;
    this.follower = follower;
  }

  /** Restores and starts following ({@link Follower#open}); does not touch the lease. */
  public static Standby start(StandbyOptions options) {
    Objects.requireNonNull(options, "options");
    return new Standby(options, Follower.open(options.follower()));
  }

  /** The follower reads go to until the promotion. */
  public Follower follower() {
    Follower f = follower;
    if (f == null) {
      throw new IllegalStateException("the standby of '" + options.follower().prefix() + "' was promoted or closed: "
          + "read from the promoted store");
    }
    return f;
  }

  /** The lease as last read by {@link #awaitPromotion}. */
  public Optional<LeaseView.State> lease() {
    return lastLease;
  }

  /**
   * What a promotion did.
   *
   * @param store the store now writing the database (the caller closes it, after the replicator)
   * @param replicator its replicator, holding the lease
   * @param takenOverAt where the follower stood when it stopped following: everything the old primary
   *     uploaded
   * @param previous the old primary's lease as the standby found it free
   * @param waitedForLease from the call until the lease was free
   * @param took from the lease found free until the replicator started
   * @param lostLocalTransactions at least how many transactions the old primary committed locally that are
   *     not in the bucket (as of its last lease renewal, in the lineage taken over; 0 after a handover); -1
   *     when unknown (an older primary, or its lease spoke of another lineage)
   */
  public record Promotion(SqliteStore store, Replicator replicator, ReplicaPosition takenOverAt,
      LeaseView.State previous, Duration waitedForLease, Duration took, long lostLocalTransactions) {}

  /**
   * Waits until the primary's lease is free, then becomes the writer (see the class comment); empty when
   * the lease stayed held for {@code timeout}, or the standby was closed meanwhile. The standby cannot be used
   * after a promotion.
   *
   * @throws FollowerException the catch-up, the store or the replicator failed: the lease is left as it is, and
   *     this standby serves nothing more (start a new one)
   */
  public synchronized Optional<Promotion> awaitPromotion(Duration timeout) throws InterruptedException {
    follower(); // not promoted or closed
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    Optional<LeaseView.State> lease;
    while (true) {
      if (closed) {
        return Optional.empty();
      }
      lease = readLease();
      if (lease.isEmpty() || lease.get().free(Instant.now())) {
        break;
      }
      if (System.nanoTime() > deadline) {
        return Optional.empty();
      }
      Thread.sleep(options.leaseCheckInterval().toMillis());
    }
    long free = System.nanoTime();
    LeaseView.State previous = lease.orElse(new LeaseView.State("nobody", Instant.EPOCH, true));
    log.info("standby of '{}': the lease of '{}' is {}: taking over", options.follower().prefix(), previous.owner(),
        previous.released() ? "released" : "expired since " + previous.expiresAt());
    for (int attempt = 1; ; attempt++) {
      Promotion p;
      try {
        p = promoteOnce(previous, Duration.ofNanos(free - start), free);
      } catch (RuntimeException e) {
        follower.close(); // detached or not, it serves nothing more: start a new standby
        follower = null;
        throw e;
      }
      boolean nothingNewer;
      try {
        nothingNewer = nothingNewerThan(p.takenOverAt());
      } catch (RuntimeException e) {
        // The new writer is up and holds the lease: never leave it running unreturned (nobody could write
        // the database until this JVM exits). Closing it releases the lease for a retry or another standby.
        close(p);
        follower = null;
        throw new FollowerException("could not take over '" + options.follower().prefix() + "': the last check for "
            + "objects uploaded during the takeover failed (" + e.getMessage() + "); the lease was released, "
            + "start a new standby", e);
      }
      if (nothingNewer) {
        follower = null;
        if (p.lostLocalTransactions() > 0) {
          log.warn("standby of '{}': the old primary '{}' had at least {} transactions committed locally and never "
              + "uploaded (as of its last lease renewal): they are lost", options.follower().prefix(), previous.owner(),
              p.lostLocalTransactions());
        }
        return Optional.of(p);
      }
      // A paused primary uploaded after the catch-up (it acknowledges none of it: the takeover fenced it).
      // Start over from the bucket, so the new writer's files continue what it holds.
      log.warn("standby of '{}': objects appeared after txid {} while taking over (attempt {}): catching up again",
          options.follower().prefix(), p.takenOverAt().txid(), attempt);
      close(p);
      if (attempt == MAX_ATTEMPTS) {
        throw new FollowerException("could not take over '" + options.follower().prefix() + "': new objects kept "
            + "appearing after each catch-up; is the old primary still running?", null);
      }
      follower = Follower.open(options.follower());
    }
  }

  private static void close(Promotion p) {
    try {
      p.replicator().close();
    } finally {
      p.store().close();
    }
  }

  private Optional<LeaseView.State> readLease() {
    try {
      lastLease = LeaseView.read(options.follower().store(), options.follower().prefix());
    } catch (RuntimeException e) {
      log.warn("standby of '{}': cannot read the lease ({}); trying again", options.follower().prefix(), e.toString());
      return Optional.of(new LeaseView.State("unknown (the lease could not be read)", Instant.MAX, false));
    }
    return lastLease;
  }

  /** Catches up, stops following, opens the store on the file and starts its replicator. */
  private Promotion promoteOnce(LeaseView.State previous, Duration waited, long freeNanos) throws InterruptedException {
    follower.catchUp(Duration.ofMinutes(1));
    ReplicaPosition at = follower.position();
    try {
      follower.detach();
    } catch (IOException e) {
      throw new FollowerException("could not hand the follower's file to a store: " + e.getMessage(), e);
    }
    Path file = options.follower().file();
    SqliteStore store;
    try {
      store = SqliteStore.builder(file.getParent()).database(options.follower().name(), options.database()).open();
    } catch (RuntimeException e) {
      throw new FollowerException("could not open " + file + " as the new writer of '" + options.follower().prefix()
          + "': " + e.getMessage(), e);
    }
    try {
      Replicator r = Replicator.start(store.database(options.follower().name()), options.replicator());
      return new Promotion(store, r, at, previous, waited, Duration.ofNanos(System.nanoTime() - freeNanos),
          previous.unshippedAtLeast(at));
    } catch (RuntimeException e) {
      store.close();
      throw new FollowerException("could not start replicating '" + options.follower().prefix() + "' as the new "
          + "writer: " + e.getMessage(), e);
    }
  }

  /**
   * Whether the bucket holds no segment of {@code at}'s lineage after it. Checked once the new writer holds
   * the lease (the catch-up already looked for newer lineages; the new writer's own new lineage, if it starts
   * one, must not count): a segment found here was uploaded by the old primary after the catch-up.
   */
  private boolean nothingNewerThan(ReplicaPosition at) {
    BucketLayout layout = new BucketLayout(options.follower().prefix());
    try (Stream<ObjectInfo> later = options.follower().store().listAfter(layout.segments(at.lineage()),
        layout.segmentsAfter(at.lineage(), at.txid()))) {
      return later.findFirst().isEmpty();
    }
  }

  /** Stops following; a waiting {@link #awaitPromotion} returns empty (a promotion under way completes first). */
  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      if (follower != null) {
        follower.close();
        follower = null;
      }
    }
  }
}
