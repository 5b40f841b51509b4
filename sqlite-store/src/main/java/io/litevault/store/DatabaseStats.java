package io.litevault.store;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one database, always on (a few LongAdders), read by {@code health()} and by
 * {@link StoreMetricsBinder}. Latency distributions go to an optional {@link Observer}, installed by the
 * Micrometer binder, so the store itself needs no metrics library.
 */
final class DatabaseStats {
  /** Receives per-batch and per-checkpoint timings. Called on the writer thread: must be cheap. */
  interface Observer {
    Observer NONE = new Observer() {};

    default void queueWait(long nanos) {}

    default void batch(int size, long commitNanos) {}

    default void checkpoint(CheckpointResult result) {}
  }

  final LongAdder writesCommitted = new LongAdder();
  final LongAdder writesFailed = new LongAdder();
  final LongAdder batches = new LongAdder();
  final LongAdder checkpoints = new LongAdder();
  final LongAdder checkpointsBusy = new LongAdder();
  final LongAdder continuityBreaks = new LongAdder();
  final LongAdder writerErrors = new LongAdder();
  volatile long lastCommitMillis;
  volatile long walBytes;
  volatile long txid;
  volatile Observer observer = Observer.NONE;

  void checkpointed(CheckpointResult r) {
    checkpoints.increment();
    if (r.busy()) {
      checkpointsBusy.increment();
    }
    observer.checkpoint(r);
  }

  void continuityBroken() {
    continuityBreaks.increment();
  }
}
