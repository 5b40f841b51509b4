package io.litevault.replication;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review 6 (a hostile review of the unannounced-loss counter, 2026-12-02): a forced checkpoint the store
 * did not announce again because the gate reported the same position (a new lineage's snapshot waiting
 * for its upload; a new replicator on the same open store), and a snapshot key holding another writer's
 * bytes retried forever. Each failed before its fix.
 */
class Review6Test {
  @TempDir Path dir;

  /**
   * Two forced checkpoints, both made by the store past the hard WAL limit; the second is not announced
   * because the gate (a failed new-lineage snapshot upload reopened it at the old lineage's position)
   * reports the same position as the first, so the store's dedup stays silent. The shipper then finds
   * the frames gone and counts an "unannounced" loss: a false alarm, no process checkpointed behind the gate.
   */
  @Test
  void aSecondForcedCheckpointWhileANewLineageSnapshotWaitsForItsUploadIsNotAnUnannouncedLoss() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    FaultyObjectStore bucket = new FaultyObjectStore(real);
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).restartWalBytes(64 * 1024).hardWalLimitBytes(128 * 1024).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "h/data").minUploadInterval(Duration.ZERO)
          .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build())) {
        r.write(ReplicationTest.insert("h", "before"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        bucket.down(true);
        for (int i = 0; i < 80; i++) { // forced checkpoint #1, announced
          db.writeAndWait(ReplicationTest.insert("h", "outage one " + i + " " + "x".repeat(2000)));
        }
        assertTrue(db.health().continuityBreaks() >= 1, db.health().toString()); // one per forced checkpoint
        // The bucket comes back just long enough for the lease and the listing: the new lineage's
        // snapshot is read, and its upload fails (the bucket goes down again).
        bucket.downAtFirst("putIfAbsent", "/snapshots/");
        bucket.down(false);
        ReviewRegressionTest.await("a new-lineage snapshot read and waiting for its upload", () -> {
          String e = r.health().lastError();
          return e != null && e.contains("/snapshots/");
        });
        for (int i = 0; i < 80; i++) { // forced checkpoint #2, with the store's announcement deduplicated
          db.writeAndWait(ReplicationTest.insert("h", "outage two " + i + " " + "x".repeat(2000)));
        }
        assertTrue(db.health().walBytes() <= 256 * 1024, "the store forced a second checkpoint: " + db.health());
        bucket.down(false);
        r.write(ReplicationTest.insert("h", "after"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(real, "h/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out), "nothing lost");
        assertEquals(0, r.metrics().unannouncedWalLosses(), "both losses came from the store's own forced "
            + "checkpoints: " + r.metrics() + " / " + db.health());
      }
    }
  }

  /**
   * The parting gate of a replicator that failed to start holds NOTHING; the store's forced checkpoint is
   * announced to it (lostFrom NOTHING). The next replicator's gate also holds NOTHING while its first
   * snapshot waits for its upload, so the store's next forced checkpoint is deduplicated and never told
   * to the new replicator, which then counts its loss as unannounced.
   */
  @Test
  void aReplicatorStartedAfterAPartingGateBreakCountsTheStoresNextForcedCheckpointAsUnannounced() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    FaultyObjectStore bucket = new FaultyObjectStore(real);
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).restartWalBytes(64 * 1024)
        .hardWalLimitBytes(128 * 1024).build()).open()) {
      Database db = store.database("data");
      ReplicatorOptions options = ReplicatorOptions.builder(bucket, "p/data").minUploadInterval(Duration.ZERO)
          .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build();
      bucket.down(true);
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options)); // leaves a parting gate
      for (int i = 0; i < 80; i++) { // forced checkpoint #1, announced to the parting gate
        db.writeAndWait(ReplicationTest.insert("p", "no replicator " + i + " " + "x".repeat(2000)));
      }
      assertTrue(db.health().continuityBreaks() >= 1, db.health().toString()); // one per forced checkpoint
      bucket.downAtFirst("putIfAbsent", "/snapshots/");
      bucket.down(false);
      try (Replicator r = Replicator.start(db, options)) {
        ReviewRegressionTest.await("the first snapshot read and waiting for its upload", () -> {
          String e = r.health().lastError();
          return e != null && e.contains("/snapshots/");
        });
        for (int i = 0; i < 80; i++) { // forced checkpoint #2
          db.writeAndWait(ReplicationTest.insert("p", "while the snapshot waits " + i + " " + "x".repeat(2000)));
        }
        assertTrue(db.health().walBytes() <= 256 * 1024, "the store forced a second checkpoint: " + db.health());
        bucket.down(false);
        r.write(ReplicationTest.insert("p", "after"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(real, "p/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out), "nothing lost");
        assertEquals(0, r.metrics().unannouncedWalLosses(), "both losses came from the store's own forced "
            + "checkpoints: " + r.metrics() + " / " + db.health());
      }
    }
  }

  /**
   * A fenced process wrote the key of this process's next periodic snapshot (same lineage, same txid,
   * other bytes) just before our create-only put. putData marks the break and throws, but the run loop
   * retries the prepared snapshot before anything else, forever: no new lineage, REPLICATED writes hang.
   */
  @Test
  void aSnapshotKeyHoldingAnotherProcesssBytesStartsANewLineageInsteadOfRetryingForever() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    FaultyObjectStore bucket = new FaultyObjectStore(real);
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "s/data").minUploadInterval(Duration.ZERO)
          .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build())) {
        for (int i = 0; i < 3; i++) {
          r.write(ReplicationTest.insert("s", "shipped " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        }
        String first = r.positionOf(db.lastTxid()).orElseThrow().lineage();
        bucket.beforePut("/snapshots/", key -> real.put(key, "a fenced process's snapshot".getBytes()));
        r.maintenanceStep().run("data", null);
        ReviewRegressionTest.await("the snapshot's put met the foreign bytes", () -> r.metrics().continuityBreaks() >= 1);
        r.write(ReplicationTest.insert("s", "after"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        assertNotEquals(first, r.positionOf(db.lastTxid()).orElseThrow().lineage(), "a new lineage");
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(real, "s/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out), "nothing lost");
      }
    }
  }
}
