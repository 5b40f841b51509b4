package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replicatedBatchWindow}: REPLICATED writes that arrive within the window share one upload; each is
 * acknowledged only once its commit is in the bucket (the restore has it), and the window is validated.
 */
class ReplicatedBatchWindowTest {
  @TempDir Path dir;

  /**
   * REPLICATED writes that commit separately while an upload is in flight (each upload takes 200 ms here)
   * are concurrent: the next upload waits for the window and carries them together. Counted, not timed.
   */
  @Test
  void writesInsideTheWindowShareAnUploadAndAreAllInTheBucketWhenAcknowledged() throws Exception {
    io.litevault.bucket.FaultyObjectStore bucket = new io.litevault.bucket.FaultyObjectStore(
        FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket"))));
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "w/data").compactionWindows(List.of())
          .replicatedBatchWindow(Duration.ofSeconds(1)).build())) {
        r.write(ReplicationTest.insert("a", "first"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        long segmentsBefore = r.metrics().segmentsUploaded();
        bucket.latency(Duration.ofMillis(200));
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          acks.add(r.write(ReplicationTest.insert("a", "row " + i), Durability.REPLICATED));
          Thread.sleep(20); // each commits on its own (a write takes far less than 20 ms), none waits for its ack
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        long segments = r.metrics().segmentsUploaded() - segmentsBefore;
        assertTrue(segments <= 4, "10 REPLICATED writes, each committed apart: " + segments + " segments");
        assertTrue(r.metrics().uploadsHeldByBatchWindow() >= 1, "concurrent writers wait for the window: " + r.metrics());
        assertEquals(db.lastTxid(), r.replicatedTxid());
        Path out = dir.resolve("out.db");
        Restore.run(RestoreOptions.builder(bucket, "w/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out), "every acknowledged write is in the bucket");
      }
    }
  }

  @Test
  void aWindowOutsideZeroToOneSecondIsRefusedNamingIt() {
    ObjectStore bucket = FileSystemObjectStore.create(dir);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReplicatorOptions.builder(bucket, "p").replicatedBatchWindow(Duration.ofSeconds(2)));
    assertTrue(e.getMessage().contains("replicatedBatchWindow") && e.getMessage().contains("PT2S"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ReplicatorOptions.builder(bucket, "p").replicatedBatchWindow(Duration.ofMillis(-1)));
    assertEquals(ReplicatorOptions.DEFAULT_REPLICATED_BATCH_WINDOW,
        ReplicatorOptions.builder(bucket, "p").build().replicatedBatchWindow());
  }
}
