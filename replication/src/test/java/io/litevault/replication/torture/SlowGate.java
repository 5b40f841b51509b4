package io.litevault.replication.torture;

import io.litevault.store.CheckpointGate;
import io.litevault.store.Database;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A timing perturbation through the public checkpoint-gate SPI, no main code touched: a gate that always
 * releases the WAL but, on the store's background checkpoint thread, takes up to {@code maxMicros} to
 * answer. Added after the replicator's gate, it widens the moment between the replicator's gate check and
 * SQLite's checkpoint from microseconds to about a millisecond, so that a commit landing in between (a
 * race the store must survive) happens in seconds of load instead of hours. A slow gate is something a
 * real deployment can have (another listener's gate, a paused thread).
 */
final class SlowGate implements CheckpointGate {
  private final DatabaseFiles files;
  private final int maxMicros;
  /** Run during each check on the checkpoint thread, after the sleep (see {@code Step.IdleRace}); null for none. */
  volatile Runnable duringCheck;

  SlowGate(Database db, int maxMicros) {
    this.files = io.litevault.store.ReplicationPort.of(db).files();
    this.maxMicros = maxMicros;
  }

  @Override
  public WalPosition safePosition() {
    if (Thread.currentThread().getName().startsWith("litevault-checkpoint-")) {
      LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(maxMicros + 1L) * 1000);
      Runnable hook = duringCheck;
      if (hook != null) {
        hook.run();
      }
    }
    ByteBuffer header = ByteBuffer.allocate(24);
    try {
      if (files.read(DatabaseFiles.Kind.WAL, 0, header) < 24) {
        return new WalPosition(0, 0, Long.MAX_VALUE); // covers an empty WAL
      }
    } catch (IOException e) {
      return new WalPosition(0, 0, 0); // holds: never the reason a checkpoint runs
    }
    // Everything in the current WAL is "safe" as far as this gate goes: the replicator's gate decides.
    return new WalPosition(Integer.toUnsignedLong(header.getInt(16)), Integer.toUnsignedLong(header.getInt(20)), Long.MAX_VALUE);
  }
}
