package io.litevault.replication;

import io.litevault.replication.format.ReplicaPosition;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * What the bucket holds, in the store's transaction ids: the newest store txid whose data is in the
 * bucket, the futures of {@link Durability#REPLICATED} writes waiting for it, and recent store txids'
 * {@link ReplicaPosition}s.
 */
final class Progress {
  private static final int POSITIONS_KEPT = 100_000;

  private final Object lock = new Object();
  private final TreeMap<Long, CompletableFuture<Void>> waiters = new TreeMap<>();
  private final ConcurrentSkipListMap<Long, ReplicaPosition> positions = new ConcurrentSkipListMap<>();
  /**
   * The newest store txid in the bucket; -1 until the first snapshot or resume lands. Not 0: a write that
   * changes nothing writes no WAL frame and gets the last commit's txid, 0 when nothing committed since the
   * store opened, and its REPLICATED ack must still wait until the database it saw is in the bucket.
   */
  private volatile long replicated = -1;
  private RuntimeException failure;
  /** Told after every advance and at a failure (a MultiReplicator's quorum). */
  private final java.util.List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  void onChange(Runnable listener) {
    listeners.add(listener);
  }

  private void changed() {
    for (Runnable l : listeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(Progress.class).error("a progress listener failed", e);
      }
    }
  }

  long replicatedStoreTxid() {
    return replicated;
  }

  /** A future completing once store txid {@code txid} is in the bucket. */
  CompletableFuture<Void> await(long txid) {
    synchronized (lock) {
      if (failure != null) {
        return CompletableFuture.failedFuture(failure);
      }
      if (txid <= replicated) {
        return CompletableFuture.completedFuture(null);
      }
      return waiters.computeIfAbsent(txid, t -> new CompletableFuture<>());
    }
  }

  boolean hasWaiters() {
    synchronized (lock) {
      return !waiters.isEmpty();
    }
  }

  void replicated(long txid) {
    Map<Long, CompletableFuture<Void>> done;
    synchronized (lock) {
      if (txid <= replicated) {
        return;
      }
      replicated = txid;
      Map<Long, CompletableFuture<Void>> head = waiters.headMap(txid, true);
      done = new TreeMap<>(head);
      head.clear();
    }
    done.values().forEach(f -> f.complete(null));
    changed();
  }

  void position(long storeTxid, ReplicaPosition p) {
    positions.put(storeTxid, p);
    while (positions.size() > POSITIONS_KEPT) {
      positions.pollFirstEntry();
    }
  }

  /** The bucket position of store txid {@code storeTxid}: its own, or the first shipped at or after it. */
  ReplicaPosition positionOf(long storeTxid) {
    Map.Entry<Long, ReplicaPosition> e = positions.ceilingEntry(storeTxid);
    return e == null || storeTxid > replicated ? null : e.getValue();
  }

  /** Replication stopped for good: every waiting and future REPLICATED write fails with {@code e}. */
  /** Why replication stopped for good, or null while it runs. */
  RuntimeException failure() {
    synchronized (lock) {
      return failure;
    }
  }

  void failAll(RuntimeException e) {
    Map<Long, CompletableFuture<Void>> all;
    synchronized (lock) {
      failure = e;
      all = new TreeMap<>(waiters);
      waiters.clear();
    }
    all.values().forEach(f -> f.completeExceptionally(e));
    changed();
  }
}
