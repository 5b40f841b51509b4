package io.litevault.store;

/**
 * Holds back checkpoints until WAL frames are safe elsewhere.
 *
 * <p>A checkpoint that completes lets SQLite restart the WAL from its beginning on the next write,
 * overwriting frames. So before any checkpoint the store asks every gate for the position up to which
 * frames are safe, and checkpoints only when each gate's position {@linkplain WalPosition#covers covers}
 * the current end of the WAL. The only exception is a WAL past the hard limit, or a forced maintenance
 * checkpoint: then the store checkpoints anyway and calls
 * {@link CommitListener#onContinuityBroken} first.
 *
 * <p>Called on the writer thread or the background checkpoint thread; must be fast, non-blocking and
 * thread-safe. A gate that has released everything
 * calls {@link ReplicationPort#requestCheckpoint} to let the store act at once.
 */
@FunctionalInterface
public interface CheckpointGate {
  /** The WAL position up to which frames are safe (never null). */
  WalPosition safePosition();

  /**
   * The WAL has grown past {@link DatabaseOptions#restartWalBytes()} and this gate still holds it:
   * under steady writes a replicator is always a little behind the end, so without help the WAL would
   * only grow. Called on the writer thread, at a commit boundary (no commit happens while it runs): a
   * gate may make the frames up to {@code end} safe now (ship them) and return true once
   * {@link #safePosition()} covers {@code end}; the store then restarts the WAL. Writes wait meanwhile,
   * so keep it to one upload. The default declines. Also called just before a checkpoint forced past the
   * hard limit (for another gate's sake, say): a gate that covers {@code end} by then loses nothing, and
   * may ignore the {@link CommitListener#onContinuityBroken} that follows.
   */
  default boolean awaitSafe(WalPosition end, java.time.Duration timeout) {
    return false;
  }
}
