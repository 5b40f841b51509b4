package io.litevault.replication;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.MaintenancePlan;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Long outages past the store's hard WAL limit, and the maintenance window's snapshot hook. */
class ReplicationOutageTest {
  @TempDir Path dir;

  @Test
  void pastTheHardWalLimitTheStoreCheckpointsAndTheReplicatorStartsANewLineageWhenTheBucketReturns() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    FaultyObjectStore bucket = new FaultyObjectStore(real);
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).restartWalBytes(64 * 1024).hardWalLimitBytes(128 * 1024).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "o/data").minUploadInterval(Duration.ZERO)
          .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build())) {
        r.write(ReplicationTest.insert("o", "before"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        String first = r.positionOf(db.lastTxid()).orElseThrow().lineage();
        bucket.down(true);
        for (int i = 0; i < 80; i++) { // LOCAL writes go on; the WAL grows past the hard limit
          db.writeAndWait(ReplicationTest.insert("o", "during the outage " + i + " " + "x".repeat(2000)));
        }
        assertTrue(db.health().continuityBreaks() >= 1, "the store checkpointed anyway: " + db.health());
        assertTrue(db.health().walBytes() <= 256 * 1024, "the WAL stayed bounded: " + db.health());
        bucket.down(false);
        r.write(ReplicationTest.insert("o", "after"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        String second = r.positionOf(db.lastTxid()).orElseThrow().lineage();
        assertNotEquals(first, second, "a new lineage, started from a snapshot");
        assertEquals(0, r.metrics().unannouncedWalLosses(), "the store announced its forced checkpoint: " + r.metrics());
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(real, "o/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out), "nothing lost");
        assertTrue(r.health().healthy(), r.health().toString());
      }
    }
  }

  /**
   * A sqlite3 shell (any connection but the store's) checkpoints the live file behind the gate, and the
   * next write restarts the WAL over frames not yet shipped. The shipper cannot read them back: a new
   * lineage, and {@code unannouncedWalLosses} says the store did not announce it (the signature of a
   * checkpoint that bypassed the gate, which the torture harness checks after every schedule).
   */
  @Test
  void framesCheckpointedBehindTheGateAreAnUnannouncedLossAndANewLineage() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "g/data")
          .minUploadInterval(Duration.ofHours(1)).build())) {
        r.write(ReplicationTest.insert("g", "shipped"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        String first = r.positionOf(db.lastTxid()).orElseThrow().lineage();
        for (int i = 0; i < 3; i++) { // LOCAL: not due for an hour, so not read yet
          db.writeAndWait(ReplicationTest.insert("g", "unshipped " + i));
        }
        try (java.sql.Connection shell = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db.path());
            java.sql.ResultSet rs = shell.createStatement().executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
          assertTrue(rs.next());
          assertEquals(0, rs.getInt(1), "the shell's checkpoint was not blocked");
        }
        db.writeAndWait(ReplicationTest.insert("g", "restarts the WAL"));
        r.write(ReplicationTest.insert("g", "after"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        assertEquals(1, r.metrics().unannouncedWalLosses(), r.metrics().toString());
        assertEquals(0, db.health().continuityBreaks(), "the store forced nothing: " + db.health());
        assertNotEquals(first, r.positionOf(db.lastTxid()).orElseThrow().lineage(), "a new lineage");
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(bucket, "g/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out), "nothing lost");
      }
    }
  }

  /**
   * A NullPointerException is a bug, not a bucket fault: the shipper used to retry every exception
   * forever, so REPLICATED writes waited for good with health() saying only "retrying". Now a bug is
   * retried a few times (a one-off passes), then replication stops loudly: waiting writes fail naming the
   * bug, and health() says replication is not running.
   */
  @Test
  void aBugInTheBucketLayerIsRetriedAFewTimesThenStopsReplicationLoudly() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    FaultyObjectStore bucket = new FaultyObjectStore(real);
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "n/data").minUploadInterval(Duration.ZERO)
          .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build())) {
        r.write(ReplicationTest.insert("n", "shipped"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        bucket.beforePut("/segments/", key -> {
          throw new NullPointerException("a one-off bug");
        });
        r.write(ReplicationTest.insert("n", "after a one-off"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        java.util.function.Consumer<String>[] always = new java.util.function.Consumer[1];
        always[0] = key -> {
          bucket.beforePut("/segments/", always[0]); // every put of a segment, from now on
          throw new NullPointerException("a bug in an ObjectStore");
        };
        bucket.beforePut("/segments/", always[0]);
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
            () -> r.write(ReplicationTest.insert("n", "waits"), Durability.REPLICATED).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("stopped by a bug"), e.getCause().toString());
        // The futures fail just before the thread returns: wait for it rather than race it.
        ReviewRegressionTest.await("the replicator thread to stop", () -> !r.health().running());
        assertTrue(r.health().lastError().contains("a bug in an ObjectStore"), r.health().toString());
        db.writeAndWait(ReplicationTest.insert("n", "LOCAL writes go on")); // the store is not harmed
      }
    }
  }

  /** Regression: under steady writes the gate never covered the moving WAL end, so the WAL only grew. */
  @Test
  void steadyWritesKeepTheWalBoundedWithoutBreakingTheLineage() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).restartWalBytes(1 << 20).hardWalLimitBytes(32 << 20).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "s/data")
          .minUploadInterval(Duration.ofMillis(200)).build())) {
        r.write(ReplicationTest.insert("s", "first"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        long maxWal = 0;
        // 3,000 commits write ~12 MiB of WAL frames (a page each): without the catch-up the WAL would
        // hold all of them, since the shipper (200 ms behind) never covers the moving end.
        int i = 0;
        while (i < 3000) {
          db.writeAndWait(ReplicationTest.insert("s", "steady " + i++ + " " + "y".repeat(300)));
          if (i % 50 == 0) {
            maxWal = Math.max(maxWal, Files.size(db.path().resolveSibling("data.db-wal")));
          }
        }
        r.write(ReplicationTest.insert("s", "last"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        assertEquals(0, db.health().continuityBreaks(), "the hard limit was never needed: " + db.health());
        assertEquals(1, r.metrics().lineagesStarted(), "one lineage throughout");
        assertTrue(maxWal < (4 << 20), "the WAL stayed near restartWalBytes: " + maxWal);
        assertTrue(db.health().checkpoints() >= 1, db.health().toString());
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(bucket, "s/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out));
      }
    }
  }

  @Test
  void theMaintenanceWindowsSnapshotStepSnapshotsTheVacuumedDatabase() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "m/data").build())) {
        for (int i = 0; i < 50; i++) {
          r.write(ReplicationTest.insert("m", "row " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        }
        long snapshots = r.metrics().snapshotsUploaded();
        store.maintenance(MaintenancePlan.builder().vacuum(true).step("replication snapshot", r.maintenanceStep()).build());
        ReviewRegressionTest.await("a snapshot after the window", () -> r.metrics().snapshotsUploaded() > snapshots);
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(bucket, "m/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out));
      }
    }
  }
}
