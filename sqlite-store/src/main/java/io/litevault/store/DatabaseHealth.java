package io.litevault.store;

import java.time.Instant;

/**
 * A point-in-time view of one database.
 *
 * @param name the database name
 * @param writerAlive whether its writer thread is running
 * @param acceptingWrites false once the store is closing, while it is being handed over (writes then fail
 *     at once with {@link HandedOverException}: a health check taking the process out of rotation is
 *     right), or once the writer thread died (writes then fail at once with {@link WriterDeadException})
 * @param queueDepth writes waiting in the queue
 * @param txid the last committed transaction id (0 before the first commit)
 * @param lastCommit time of the last commit since open, or null
 * @param walBytes the WAL's logical size (end of its last frame)
 * @param writesCommitted writes committed since open
 * @param writesFailed writes whose future failed since open
 * @param checkpoints checkpoints run since open
 * @param continuityBreaks checkpoints forced past a gate since open
 * @param writerErrors errors reported to the {@link WriterErrorHandler} since open
 */
public record DatabaseHealth(
    String name,
    boolean writerAlive,
    boolean acceptingWrites,
    int queueDepth,
    long txid,
    Instant lastCommit,
    long walBytes,
    long writesCommitted,
    long writesFailed,
    long checkpoints,
    long continuityBreaks,
    long writerErrors) {

  /** Healthy: the writer runs and accepts writes. */
  public boolean healthy() {
    return writerAlive && acceptingWrites;
  }
}
