package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A REPLICATED write that changes nothing (a DELETE that matched no row) writes no WAL frame, so the store
 * gives it the txid of the last commit: 0 when nothing was committed since the store opened. Its ack still
 * means the database as that write saw it is in the bucket. Before the fix, txid 0 counted as replicated
 * from the start, so such a write was acknowledged at once, before the first snapshot (the rows written
 * before the replicator started) was anywhere, and {@code positionOf} had nothing for it (CI saw
 * FollowerCrashTest's first write fail this way, one seed in a hundred).
 */
class NoChangeReplicatedWriteTest {
  @TempDir Path dir;

  private static SqliteStore open(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open();
  }

  @Test
  void aWriteThatChangesNothingIsAcknowledgedOnlyOnceTheDatabaseItSawIsInTheBucket() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    FaultyObjectStore bucket = new FaultyObjectStore(real);
    Path live = dir.resolve("live");
    try (SqliteStore store = open(live)) {
      store.database("data").writeAndWait(ReplicationTest.insert("a", "written before replication started"));
    }
    try (SqliteStore store = open(live)) {
      Database db = store.database("data");
      assertEquals(0, db.lastTxid(), "nothing committed since this open");
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      bucket.beforePut("/snapshots/", key -> { // the first snapshot's upload is held until released
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "n/data")
          .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build())) {
        assertEquals(-1, r.replicatedTxid(), "nothing is in the bucket yet");
        CompletableFuture<Long> noChange = r.write(c -> {
          try (var s = c.createStatement()) {
            return (long) s.executeUpdate("DELETE FROM post WHERE id = -1");
          }
        }, Durability.REPLICATED);
        db.write(c -> null).get(10, TimeUnit.SECONDS); // the writer is past the DELETE's batch
        assertEquals(0, db.lastTxid(), "the DELETE committed no frame");
        Thread.sleep(300);
        assertFalse(noChange.isDone(), "acknowledged while the bucket holds nothing: " + r.health());
        assertFalse(r.awaitReplicated(0, Duration.ofMillis(200)), "txid 0 is not in the bucket yet");
        release.countDown();
        assertEquals(0L, noChange.get(20, TimeUnit.SECONDS));
        assertEquals(0, r.replicatedTxid());
        assertTrue(r.positionOf(0).isPresent(), "the ack has a place in the bucket");
      }
      Path out = dir.resolve("restored.db");
      Restore.run(RestoreOptions.builder(real, "n/data", out).build());
      assertEquals(db.read(Dumps::dump), Dumps.dump(out), "the rows from before are in the bucket");
    }
  }
}
