package io.litevault.replication;

import io.litevault.store.SqliteStore;
import io.litevault.store.StoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a running store over to a successor process, for a deploy without downtime: the successor is a
 * new process on the same directory (it opens with {@code SqliteStore.Builder.lockWait} and starts its
 * replicators, which continue the same lineage with no new snapshot) or a standby on another machine
 * (it restores on boot and takes the released lease at once).
 *
 * <p>The steps, in order:
 * <ol>
 *   <li>refuse new writes ({@code SqliteStore.stopWritesForHandover}): a write submitted from now on fails
 *       with {@code HandedOverException} before anything of it ran — the caller sends it to the successor;
 *       the writes accepted before commit;</li>
 *   <li>ship: wait until every one of those commits is in the bucket;</li>
 *   <li>close the replicators: each releases its lease (a released generation: any successor takes it at
 *       once);</li>
 *   <li>close the store: a TRUNCATE checkpoint (everything is shipped, so no gate holds it) and the
 *       directory's lock released — the moment a successor waiting for it opens.</li>
 * </ol>
 * Writes are never failed in a way that leaves their outcome open: each one was either accepted, and is
 * then committed and in the bucket before the lock is released, or refused unexecuted. Where "paused"
 * happens is in front of the process — a load balancer, a socket handed over, a client that retries a
 * {@code HandedOverException} on the successor; the time it pauses is from step 1 to the successor's
 * first write ({@link HandoverReport#total()} plus the successor's start).
 *
 * <p>If steps 1 or 2 cannot finish within {@link HandoverOptions#timeout()}, nothing was let go: writes are
 * accepted again and {@link HandoverException} says why. A crash at any step is a crash: the lease was
 * not released or was, the lock is dropped by the kernel, and a successor on the same files takes the
 * lease at once and continues the lineage from what the files hold (a segment or snapshot upload is
 * idempotent; the bucket keeps every write acknowledged as REPLICATED).
 */
public final class Handover {
  private static final Logger log = LoggerFactory.getLogger(Handover.class);

  private Handover() {}

  /**
   * Hands {@code store} over; {@code replicators} are the running replicators of its databases (a database
   * without one is only committed and closed).
   *
   * @throws HandoverException the accepted writes did not commit or reach the bucket in time; nothing was
   *     released
   * @throws IllegalArgumentException a replicator belongs to a database of another store
   */
  public static HandoverReport run(SqliteStore store, List<Replicator> replicators, HandoverOptions options) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(replicators, "replicators");
    Objects.requireNonNull(options, "options");
    for (Replicator r : replicators) {
      String name = r.database().name();
      if (!store.databaseNames().contains(name) || store.database(name) != r.database()) {
        throw new IllegalArgumentException("the replicator of database '" + name + "' does not belong to the store at "
            + store.directory() + " (its databases: " + store.databaseNames() + ")");
      }
    }
    long start = System.nanoTime();
    long deadline = start + options.timeout().toNanos();
    log.info("handover of {}: refusing new writes, committing and shipping the accepted ones", store.directory());
    Map<String, Long> last;
    try {
      last = store.stopWritesForHandover(left(deadline));
    } catch (StoreException e) {
      throw abandon(store, "the writes accepted before it did not commit: " + e.getMessage(), e);
    }
    long drained = System.nanoTime();
    List<Replicator> pending = new ArrayList<>(replicators);
    for (Replicator r : pending) {
      String name = r.database().name();
      long txid = last.get(name);
      boolean shipped;
      try {
        shipped = r.awaitReplicated(txid, left(deadline));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw abandon(store, "interrupted while shipping database '" + name + "'", e);
      } catch (ReplicationException e) {
        throw abandon(store, "replication of database '" + name + "' stopped: " + e.getMessage(), e);
      }
      if (!shipped) {
        throw abandon(store, "database '" + name + "': txid " + txid + " did not reach the bucket within the handover "
            + "timeout of " + options.timeout().toMillis() + " ms (bucket at txid " + r.replicatedTxid()
            + "); check the bucket, or allow a longer timeout", null);
      }
    }
    long shipped = System.nanoTime();
    for (Replicator r : replicators) {
      r.close(); // nothing left to ship: releases the lease at once
    }
    store.close(); // TRUNCATE checkpoint, then the lock: the successor opens now
    long end = System.nanoTime();
    HandoverReport report = new HandoverReport(last, Duration.ofNanos(drained - start),
        Duration.ofNanos(shipped - drained), Duration.ofNanos(end - start));
    log.info("handover of {} done in {} ms (commit {} ms, ship {} ms): last txids {}; leases and lock released",
        store.directory(), report.total().toMillis(), report.drained().toMillis(), report.shipped().toMillis(), last);
    return report;
  }

  private static Duration left(long deadline) {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  private static HandoverException abandon(SqliteStore store, String why, Throwable cause) {
    store.resumeWritesAfterHandover();
    boolean resumed = store.health().databases().stream().allMatch(d -> d.acceptingWrites());
    log.warn("handover of {} abandoned, nothing released{}: {}", store.directory(),
        resumed ? "; writes accepted again" : "", why);
    return new HandoverException("handover abandoned, nothing released (this process keeps the lease and the store"
        + (resumed ? " and accepts writes again" : "") + "): " + why, cause, resumed);
  }
}
