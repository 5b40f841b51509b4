package io.litevault.ttl;

/**
 * Chooses the row limit of the next purge batch so that one batch runs for about a target time on the
 * writer thread, never more than the configured maximum nor fewer than {@link #MIN_ROWS}.
 *
 * <p>Why: writes drained together with a purge batch share its transaction and wait for it, so the
 * writers' tail latency during a purge is about one batch's run time. Rows per millisecond vary with
 * the row size, the indexes and the machine; measuring each batch and scaling the next keeps the batch
 * time near the target everywhere. The limit grows at most 2x per batch, so one fast batch (a cached
 * page run) cannot jump it to the maximum.
 */
final class BatchSizer {
  /** Below this, per-batch overhead (a statement, a savepoint, a commit shared) dominates. */
  static final int MIN_ROWS = 50;

  private final int maxRows;
  private final long targetNanos;
  private int limit;

  /** {@code targetNanos <= 0}: fixed batches of {@code maxRows}. */
  BatchSizer(int maxRows, long targetNanos) {
    this.maxRows = maxRows;
    this.targetNanos = targetNanos;
    this.limit = targetNanos <= 0 ? maxRows : Math.min(maxRows, Math.max(MIN_ROWS, maxRows / 10));
  }

  /** The row limit of the next batch. */
  int limit() {
    return limit;
  }

  /** Tells how long a batch of {@code rows} rows (deleted at {@link #limit()}) ran on the writer thread. */
  void ran(int rows, long nanos) {
    if (targetNanos <= 0 || rows < limit) {
      return;
    }
    double ideal = (double) limit * targetNanos / Math.max(nanos, 1_000);
    long next = Math.round(Math.min(ideal, limit * 2.0));
    limit = (int) Math.max(Math.min(maxRows, Math.max(MIN_ROWS, next)), Math.min(MIN_ROWS, maxRows));
  }
}
