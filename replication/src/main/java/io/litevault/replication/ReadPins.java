package io.litevault.replication;

import io.litevault.store.ReadPin;
import io.litevault.store.ReplicationPort;
import java.util.concurrent.TimeUnit;

/**
 * Takes a {@link ReadPin} from the store for the replicator's thread, which reads the files under it
 * ({@link Shipper} for a snapshot or a resume, {@link BreakRecorder} for the states a break leaves): waits
 * a bounded time for it, and never leaks one that arrives after the wait was given up.
 */
final class ReadPins {
  /**
   * How long the replicator waits for the writer to begin a pin: a writer busy longer (a VACUUM in a
   * maintenance window) is waited for again on the next turn. Not final only so a test of the give-up
   * path need not wait a minute.
   */
  static volatile java.time.Duration wait = java.time.Duration.ofSeconds(60);

  private ReadPins() {}

  /**
   * A read transaction at a commit boundary, begun on the store's writer thread (its commits before it
   * are in {@link Shipper#pending}).
   */
  static ReadPin take(ReplicationPort port) throws Exception {
    java.util.concurrent.CompletableFuture<ReadPin> pending = port.pin();
    try {
      return pending.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
      // The request stays queued on the writer: a pin begun after we gave up must still be closed, or
      // its read transaction would stop every checkpoint for good.
      pending.cancel(false);
      pending.thenAccept(ReadPin::close);
      throw e;
    }
  }
}
