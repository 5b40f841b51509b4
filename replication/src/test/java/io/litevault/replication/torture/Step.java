package io.litevault.replication.torture;

import io.litevault.replication.Durability;
import io.litevault.bucket.ErrorKind;
import io.litevault.store.CheckpointMode;

/**
 * One step of a schedule. Steps are plain values made by {@link ScheduleGenerator} from the seed; {@link
 * StepRunner} carries them out. Every step ends quiescent: its writes committed (LOCAL) or acknowledged
 * (REPLICATED), so the workload can record the database's content hash afterwards.
 */
sealed interface Step {
  String describe();

  /** About how many writes the step submits (to place a kill -9 inside a segment). */
  default int writes() {
    return 0;
  }

  // --- writes

  /** One write of {@code rows} rows. */
  record Insert(int rows, int rowBytes, Durability durability, long dataSeed) implements Step {
    public String describe() {
      return "insert " + rows + " row(s) of ~" + rowBytes + " B (" + durability + ")";
    }

    public int writes() {
      return 1;
    }
  }

  /** {@code writes} small writes submitted at once from {@code threads} threads, some REPLICATED. */
  record Burst(int writes, int threads, int replicatedPercent, long dataSeed) implements Step {
    public String describe() {
      return "burst of " + writes + " writes from " + threads + " thread(s), " + replicatedPercent + "% REPLICATED";
    }
  }

  /**
   * The race of the background checkpoint with a commit (bug 4), made to happen: {@code rounds} times, a
   * REPLICATED write (so everything is shipped and the gates release the WAL), then an idle pause in which
   * the writer's idle checkpoint runs; if that checkpoint consults the gates on its own thread, the slow
   * gate commits a LOCAL write in the middle of the check (a commit landing between the gate check and
   * SQLite's checkpoint); then two more writes, which restart the WAL if that checkpoint copied it all.
   */
  record IdleRace(int rounds, long dataSeed) implements Step {
    public String describe() {
      return rounds + " rounds of a REPLICATED write, an idle checkpoint (a commit during its gate check), two writes";
    }

    public int writes() {
      return rounds * 3;
    }
  }

  /** {@code threads} clients, each writing REPLICATED and waiting for the acknowledgement before its next write. */
  record ReplicatedClients(int threads, int writesEach, long dataSeed) implements Step {
    public String describe() {
      return threads + " clients each doing " + writesEach + " REPLICATED write-and-wait in a row";
    }

    public int writes() {
      return threads * writesEach;
    }
  }

  /** One transaction of {@code bytes} bytes of rows (incompressible blobs). */
  record BigTxn(int bytes, Durability durability, long dataSeed) implements Step {
    public String describe() {
      return "big transaction of " + Step.bytes(bytes) + " (" + durability + ")";
    }

    public int writes() {
      return 1;
    }
  }

  /** {@code totalBytes} of small text rows in transactions of about {@code txnBytes} (LOCAL), then one REPLICATED write. */
  record BulkLoad(int totalBytes, int txnBytes, long dataSeed) implements Step {
    public String describe() {
      return "bulk load of " + bytes(totalBytes) + " of small rows in " + bytes(txnBytes) + " transactions (LOCAL), then a REPLICATED write";
    }

    public int writes() {
      return Math.max(1, totalBytes / Math.max(1, txnBytes)) + 1;
    }
  }

  /** UPDATE of the rows whose id % mod == 0 in table number {@code table} (modulo the tables there are). */
  record Update(int table, int mod, Durability durability) implements Step {
    public String describe() {
      return "update rows id % " + mod + " = 0 of table #" + table + " (" + durability + ")";
    }

    public int writes() {
      return 1;
    }
  }

  /** DELETE of the rows whose id % mod == rem. */
  record Delete(int table, int mod, int rem, Durability durability) implements Step {
    public String describe() {
      return "delete rows id % " + mod + " = " + rem + " of table #" + table + " (" + durability + ")";
    }

    public int writes() {
      return 1;
    }
  }

  /** A schema change. */
  record Schema(SchemaOp op, int table, Durability durability) implements Step {
    public String describe() {
      return "schema: " + op.name().toLowerCase().replace('_', ' ') + " (table #" + table + ", " + durability + ")";
    }

    public int writes() {
      return 1;
    }
  }

  enum SchemaOp { CREATE_TABLE, ADD_COLUMN, CREATE_INDEX, DROP_INDEX, DROP_TABLE }

  /** LOCAL writes with the replicator closed (the database changes behind replication's back), then it restarts. */
  record DetachedWrites(int writes, long dataSeed) implements Step {
    public String describe() {
      return "close the replicator, " + writes + " LOCAL write(s) with no replicator, start it again";
    }

    public int writes() {
      return writes;
    }
  }

  // --- checkpoints, maintenance, snapshots

  /** {@code Database.checkpoint(mode)}. */
  record Checkpoint(CheckpointMode mode) implements Step {
    public String describe() {
      return "checkpoint " + mode;
    }
  }

  /** PASSIVE checkpoints until one reports complete (every frame copied: the next write restarts the WAL). */
  record PassiveUntilComplete() implements Step {
    public String describe() {
      return "PASSIVE checkpoints until one completes";
    }
  }

  /** The bucket down (gate held) and LOCAL writes past the hard WAL limit: the store forces a checkpoint. */
  record ForcedCheckpoint(int extraBytes) implements Step {
    public String describe() {
      return "bucket down, LOCAL writes past the hard WAL limit (+" + bytes(extraBytes) + "): a forced checkpoint, bucket up";
    }

    public int writes() {
      return 4;
    }
  }

  /** A maintenance window (checkpoint TRUNCATE, optional VACUUM, optimize, optional replication snapshot step). */
  record Maintenance(boolean vacuum, boolean replicationSnapshot) implements Step {
    public String describe() {
      return "maintenance window" + (vacuum ? " with VACUUM" : "") + (replicationSnapshot ? " and the replication snapshot step" : "");
    }
  }

  /** {@code Replicator.maintenanceStep()} run directly (a snapshot request) while small writes go on. */
  record SnapshotUnderWrites(int writes, long dataSeed) implements Step {
    public String describe() {
      return "request a snapshot (maintenance step) while " + writes + " small writes go on";
    }

    public int writes() {
      return writes;
    }
  }

  /** No writes for {@code millis} (longer than the idle checkpoint delay). */
  record Idle(int millis) implements Step {
    public String describe() {
      return "idle " + millis + " ms";
    }
  }

  // --- faults

  /** The {@code nth} bucket call from now fails before reaching the bucket, with {@code kind}; writes follow. */
  record FailCall(int nth, ErrorKind kind, int writesAfter, long dataSeed) implements Step {
    public String describe() {
      return "bucket call #" + nth + " from now fails (" + kind + ", not stored), then " + writesAfter + " REPLICATED write(s)";
    }

    public int writes() {
      return writesAfter;
    }
  }

  /** The next {@code puts} puts are stored but their answer is lost; writes follow (some concurrent). */
  record LoseAnswer(int puts, ErrorKind kind, int writesAfter, long dataSeed) implements Step {
    public String describe() {
      return "the next " + puts + " put(s) are stored but the answer is lost (" + kind + "), then " + writesAfter
          + " REPLICATED write(s), two at a time";
    }

    public int writes() {
      return writesAfter;
    }
  }

  /** The bucket down for {@code millis}, with writes meanwhile; REPLICATED ones wait for it to come back. */
  record Outage(int millis, int writesDuring, long dataSeed) implements Step {
    public String describe() {
      return "bucket down for " + millis + " ms during " + writesDuring + " writes (half REPLICATED)";
    }

    public int writes() {
      return writesDuring;
    }
  }

  /** Every bucket call slowed by {@code latencyMillis} during writes. */
  record Slow(int latencyMillis, int writesDuring, long dataSeed) implements Step {
    public String describe() {
      return "bucket calls slowed by " + latencyMillis + " ms during " + writesDuring + " REPLICATED writes";
    }

    public int writes() {
      return writesDuring;
    }
  }

  /** An HTTP fault at the S3 proxy (S3 schedules only), with writes meanwhile. */
  record ProxyFault(ProxyFaultKind kind, int times, int bytes, int writesDuring, long dataSeed) implements Step {
    public String describe() {
      return "S3 proxy: " + switch (kind) {
        case SLOW_DOWN_STORM -> times + " x 503 SlowDown";
        case INTERNAL_ERRORS -> times + " x 500";
        case RESET_PUT_MID_BODY -> times + " put(s) reset after " + bytes + " B of body";
        case RESET_GET_MID_BODY -> times + " get(s) reset after " + bytes + " B of answer";
        case STALL -> times + " request(s) stalled " + bytes + " ms then closed";
      } + ", during " + writesDuring + " REPLICATED writes";
    }

    public int writes() {
      return writesDuring;
    }
  }

  enum ProxyFaultKind { SLOW_DOWN_STORM, INTERNAL_ERRORS, RESET_PUT_MID_BODY, RESET_GET_MID_BODY, STALL }

  // --- restores while running

  /** A restore of the latest point into a fresh file while writes go on. */
  record ConcurrentRestore(int writesDuring, long dataSeed) implements Step {
    public String describe() {
      return "restore latest (fresh file) while " + writesDuring + " writes go on";
    }

    public int writes() {
      return writesDuring;
    }
  }

  /** A forced restore of the latest point over a stale copy of the database that has a -wal beside it. */
  record RestoreOverStale() implements Step {
    public String describe() {
      return "restore latest with force over a stale db + -wal";
    }
  }

  // --- restarts

  /** Keep a copy of the database files (while open at a commit boundary, or closed) for a later rollback. */
  record SaveCopy(boolean whileClosed) implements Step {
    public String describe() {
      return "copy db + wal " + (whileClosed ? "while closed (clean close, copy, reopen)" : "at a commit boundary while open");
    }
  }

  /** Power loss: close, put the saved copy back (db + wal, no shm), reopen. */
  record Rollback() implements Step {
    public String describe() {
      return "power loss: close, put the saved copy of db + wal back, reopen";
    }
  }

  /** A clean restart. */
  record Restart(RestartKind kind) implements Step {
    public String describe() {
      return switch (kind) {
        case REPLICATOR_FIRST -> "restart: close replicator, close store, reopen both";
        case STORE_FIRST -> "restart: close store (it flushes the replicator), close replicator, reopen both";
        case REPLICATOR_ONLY -> "restart the replicator only";
      };
    }
  }

  enum RestartKind { REPLICATOR_FIRST, STORE_FIRST, REPLICATOR_ONLY }

  /** kill -9 of the child JVM at a moment chosen by {@code afterEvents} (writes seen since the segment began). */
  record Kill(int afterEvents) implements Step {
    public String describe() {
      return "kill -9 the JVM after about " + afterEvents + " write event(s) of this segment (or soon after it ends)";
    }
  }

  static String bytes(long b) {
    if (b >= (1L << 30) && b % (1L << 30) == 0) {
      return (b >> 30) + " GiB";
    }
    if (b >= (1L << 20)) {
      return (b % (1L << 20) == 0 ? Long.toString(b >> 20) : String.format(java.util.Locale.ROOT, "%.1f", b / 1048576.0)) + " MiB";
    }
    if (b >= 1024) {
      return (b >> 10) + " KiB";
    }
    return b + " B";
  }
}
