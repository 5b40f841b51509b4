package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Periodic snapshots, and retention proven against restore (Litestream #224, #805, #753). */
class RetentionTest {
  @TempDir Path dir;

  @Test
  void retentionKeepsEveryRestorePointInsideThePeriodAndDeletesTheRest() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    BucketLayout layout = new BucketLayout("r/data");
    List<ReplicaPosition> points = new ArrayList<>();
    List<String> states = new ArrayList<>();
    List<Instant> times = new ArrayList<>();
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      // A snapshot every 150 ms of activity: several snapshots with segments between them.
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "r/data")
          .minUploadInterval(Duration.ZERO).snapshotInterval(Duration.ofMillis(150)).build())) {
        for (int i = 0; i < 40; i++) {
          r.write(ReplicationTest.insert("rita", "post " + i), Durability.REPLICATED).get();
          points.add(r.positionOf(db.lastTxid()).orElseThrow());
          states.add(db.read(Dumps::dump));
          times.add(Instant.now());
          Thread.sleep(20);
        }
      }
    }
    LineageCatalog.Lineage before = single(LineageCatalog.list(bucket, layout));
    assertTrue(before.snapshots().size() >= 3, "periodic snapshots were taken: " + before.snapshots().size());

    // Cut off in the middle of the history: everything a point after the cutoff needs must stay.
    Instant cutoff = times.get(25);
    new Retention(bucket, layout, new ReplicationMetrics()).apply(before.id(), cutoff);
    LineageCatalog.Lineage after = single(LineageCatalog.list(bucket, layout));
    assertTrue(after.snapshots().size() < before.snapshots().size(), "old snapshots went");
    assertTrue(after.segments().size() < before.segments().size(), "old segments went");
    for (int i = 26; i < points.size(); i++) {
      Path out = dir.resolve("keep-" + i + ".db");
      Restore.run(RestoreOptions.builder(bucket, "r/data", out).txid(points.get(i).txid()).build());
      assertEquals(states.get(i), Dumps.dump(out), "restore point " + points.get(i) + " inside the period");
    }
    RestoreException gone = assertThrows(RestoreException.class, () -> Restore.run(
        RestoreOptions.builder(bucket, "r/data", dir.resolve("gone.db")).txid(points.get(0).txid()).build()));
    assertEquals(RestoreException.Kind.NO_SUCH_POINT, gone.kind(), gone.getMessage());
  }

  @Test
  void olderLineagesGoEntirelyOnceOutOfThePeriodButTheCurrentOneNeverDoes() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    BucketLayout layout = new BucketLayout("r/data");
    String current = null;
    for (int run = 0; run < 2; run++) {
      Path live = dir.resolve("live-" + run); // two different databases: the second starts a new lineage
      try (SqliteStore store = SqliteStore.builder(live).database("data", DatabaseOptions.builder()
          .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
        Database db = store.database("data");
        try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "r/data").allowFork(run > 0).build())) {
          r.write(ReplicationTest.insert("lin", "run " + run), Durability.REPLICATED).get();
          current = r.positionOf(db.lastTxid()).orElseThrow().lineage();
        }
      }
    }
    assertEquals(2, LineageCatalog.list(bucket, layout).size());
    new Retention(bucket, layout, new ReplicationMetrics()).apply(current, Instant.now().plusSeconds(3600));
    Map<String, LineageCatalog.Lineage> left = LineageCatalog.list(bucket, layout);
    assertEquals(List.of(current), List.copyOf(left.keySet()), "only the current lineage is left");
    assertFalse(left.get(current).snapshots().isEmpty(), "with its newest snapshot");
    Restore.run(RestoreOptions.builder(bucket, "r/data", dir.resolve("latest.db")).build());
    assertEquals("ok", Dumps.integrity(dir.resolve("latest.db")));
  }

  private static LineageCatalog.Lineage single(Map<String, LineageCatalog.Lineage> all) {
    assertEquals(1, all.size(), all.keySet().toString());
    return all.values().iterator().next();
  }
}
