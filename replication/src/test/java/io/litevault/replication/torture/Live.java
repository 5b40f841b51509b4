package io.litevault.replication.torture;

import io.litevault.replication.LeaseException;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.replication.Replicator;
import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * The system under test in this JVM: a real {@link SqliteStore} with one database "data" in {@code dir}, and a
 * real {@link Replicator} shipping it to {@code bucket} under {@code prefix}. Opens, closes both ways,
 * restarts, and copies the database files for a later power-loss rollback.
 */
final class Live {
  static final String DB = "data";

  private final Path dir;
  private final Setup setup;
  private final ObjectStore bucket;
  private final String prefix;
  private SqliteStore store;
  private Database db;
  private Replicator replicator;
  private int epoch;
  private int instance;
  private SlowGate slowGate;
  /** Every replicator this Live started, for {@link #unannouncedWalLosses}. */
  private final java.util.List<Replicator> started = new java.util.ArrayList<>();

  Live(Path dir, Setup setup, ObjectStore bucket, String prefix, int firstEpoch) {
    this.dir = dir;
    this.setup = setup;
    this.bucket = bucket;
    this.prefix = prefix;
    this.epoch = firstEpoch - 1;
    this.instance = firstEpoch * 100;
  }

  Path dir() {
    return dir;
  }

  /**
   * Waits for the replicator to continue (a lineage) or to stop; true when it stopped, as it does
   * when the local file is behind the bucket (LocalBehindBucketException).
   */
  boolean replicatorRefused(java.time.Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      io.litevault.replication.ReplicationHealth h = replicator.health();
      if (!h.running()) {
        return true;
      }
      if (h.lineage() != null) {
        return false;
      }
      Thread.sleep(10);
    }
    return false;
  }

  /** The operator's answer to a refusal: the newest point of the bucket, restored over the local files. */
  void restoreLatestOverLocal() {
    io.litevault.replication.restore.Restore.run(io.litevault.replication.restore.RestoreOptions.builder(bucket, prefix, dbFile())
        .force(true).integrityCheck(io.litevault.replication.restore.IntegrityCheck.NONE).build());
  }

  Path dbFile() {
    return dir.resolve(DB + ".db");
  }

  Database db() {
    return db;
  }

  /** The slow gate, or null when the setup has none. */
  SlowGate slowGate() {
    return slowGate;
  }

  Replicator replicator() {
    return replicator;
  }

  int epoch() {
    return epoch;
  }

  int instance() {
    return instance;
  }

  boolean open() {
    return store != null;
  }

  /** Opens the store (a new epoch: store txids start again at 1) and starts a replicator. */
  void openStore() {
    store = SqliteStore.builder(dir).database(DB, setup.databaseOptions()).open();
    db = store.database(DB);
    slowGate = null;
    epoch++;
  }

  /**
   * Starts a replicator, retrying while the bucket fails or a killed predecessor's lease has not expired
   * (both are the caller's business by contract: start fails fast).
   */
  void startReplicator() throws InterruptedException {
    long deadline = System.nanoTime() + setup.leaseTtl().plusSeconds(20).toNanos();
    while (true) {
      try {
        replicator = Replicator.start(db, setup.replicatorOptions(bucket, prefix));
        started.add(replicator);
        instance++;
        if (setup.slowGateMicros() > 0) { // after the replicator's gate, every time it is (re)added
          if (slowGate == null) {
            slowGate = new SlowGate(db, setup.slowGateMicros());
          }
          io.litevault.store.ReplicationPort.of(db).removeCheckpointGate(slowGate);
          io.litevault.store.ReplicationPort.of(db).addCheckpointGate(slowGate);
        }
        return;
      } catch (LeaseException | ObjectStoreException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /**
   * Frames lost with no forced checkpoint announced, summed over every replicator started here: each one
   * is a checkpoint behind the gate (the race of bug 4), which the shipper survives with a new lineage,
   * so no restore check would see it.
   */
  long unannouncedWalLosses() {
    return started.stream().mapToLong(r -> r.metrics().unannouncedWalLosses()).sum();
  }

  void closeReplicator() {
    if (replicator != null) {
      replicator.close();
    }
  }

  void forgetReplicator() {
    replicator = null;
  }

  void closeStore() {
    if (store != null) {
      store.close();
      store = null;
    }
  }

  /** A maintenance window on the store (see {@code SqliteStore#maintenance}). */
  void maintenance(io.litevault.store.MaintenancePlan plan) {
    store.maintenance(plan);
  }

  /** Copies db and wal at a commit boundary (no write, no checkpoint running): a crash image. */
  void copyFilesOpen(Path to) throws Exception {
    Files.createDirectories(to);
    io.litevault.store.ReplicationPort.of(db).atCommitBoundary(pos -> {
      try {
        copyFiles(dir, to);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return null;
    }).get(60, java.util.concurrent.TimeUnit.SECONDS);
  }

  /** Copies db and wal (and removes a stale -wal/-shm at the target). */
  static void copyFiles(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (String suffix : new String[] {".db", ".db-wal"}) {
      Path src = from.resolve(DB + suffix);
      Path dst = to.resolve(DB + suffix);
      if (Files.exists(src)) {
        Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.deleteIfExists(dst);
      }
    }
    Files.deleteIfExists(to.resolve(DB + ".db-shm"));
  }

  /** How long the replicator had to finish its last uploads when closed; see Replicator#close. */
  static final Duration CLOSE_BOUND = Duration.ofSeconds(70);
}
