package io.litevault.store;

/**
 * The seam that replication plugs into: told about every commit and about every checkpoint that
 * discarded WAL frames its {@link CheckpointGate} had not released.
 *
 * <p>Calls come on the database's writer thread, in commit order, after COMMIT returned and before the
 * futures of that batch complete. They must be fast and must not block on I/O (hand the work to another
 * thread); they must not use the store's write API of the same database (it would deadlock). An
 * exception thrown here is reported to the database's {@link WriterErrorHandler} and does not fail the
 * writes.
 */
public interface CommitListener {

  /** A transaction committed. */
  void onCommit(CommitEvent event);

  /**
   * The store checkpointed past what the gate had released (the WAL crossed
   * {@link DatabaseOptions#hardWalLimitBytes()}, or a maintenance window forced it): the frames after
   * {@code lostFrom} may be overwritten before anyone reads them. A replicator must start over from a
   * full snapshot. Called before the checkpoint runs, on the writer thread.
   *
   * @param database the database name
   * @param lostFrom the gate's last released position
   * @param walEnd the end of the WAL being checkpointed
   */
  default void onContinuityBroken(String database, WalPosition lostFrom, WalPosition walEnd) {}

  /**
   * The store is closing: every queued write has committed and no more will come. Called once, on the
   * writer thread, before the final checkpoint; unlike the other calls it MAY block, to ship the last
   * frames (so that the gate releases them and the final checkpoint can run).
   */
  default void onClose(String database) {}
}
