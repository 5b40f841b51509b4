package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile review of f40b562 (the Shipper split): behaviour that differs from f40b562^ although the change
 * was meant to preserve it.
 */
class ShipperSplitReviewTest {
  @TempDir Path dir;

  /**
   * A periodic snapshot's create-only put meets another writer's bytes at its key (a fenced process), and
   * the local snapshot file cannot be deleted (here: something replaced it with a non-empty directory;
   * on a real system an EIO, a Windows file lock, a permission change). Before the split, putData marked
   * the break (continuityBroken, markBrokenAway, continuityBreaks) before landSnapshot deleted the file, so
   * a failing delete could not undo it: the next turn started a new lineage. After the split landSnapshot
   * deletes the file first ({@code discard}) and only then calls {@code foreignBytes}: the delete's
   * IOException skips the break, and the shipper goes on writing segments into the lineage another process
   * wrote into.
   */
  @Test
  void aForeignSnapshotKeyStillBreaksTheLineageWhenTheSnapshotFileCannotBeDeleted() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    FaultyObjectStore bucket = new FaultyObjectStore(real);
    Path work = dir.resolve("work");
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "s/data").minUploadInterval(Duration.ZERO)
          .workDirectory(work).retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build())) {
        for (int i = 0; i < 3; i++) {
          r.write(ReplicationTest.insert("s", "shipped " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        }
        String first = r.positionOf(db.lastTxid()).orElseThrow().lineage();
        bucket.beforePut("/snapshots/", key -> {
          real.put(key, "a fenced process's snapshot".getBytes());
          try (var tmps = Files.newDirectoryStream(work, "snapshot-*.tmp")) {
            for (Path tmp : tmps) { // already read for the put: now undeletable
              Files.delete(tmp);
              Files.createDirectories(tmp);
              Files.writeString(tmp.resolve("keep"), "x");
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
        r.maintenanceStep().run("data", null);
        ReviewRegressionTest.await("the snapshot's put met the foreign bytes and its file could not be deleted", () -> {
          String e = r.health().lastError();
          return e != null && (e.contains("DirectoryNotEmpty") || e.contains("already holds other bytes"));
        });
        r.write(ReplicationTest.insert("s", "after"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        String after = r.positionOf(db.lastTxid()).orElseThrow().lineage();
        Path out = dir.resolve("restored.db");
        String restored;
        try {
          Restore.run(RestoreOptions.builder(real, "s/data", out).build());
          restored = Dumps.dump(out);
        } catch (RuntimeException e) {
          restored = "restore failed: " + e;
        }
        String dump = db.read(Dumps::dump);
        String restoredDump = restored;
        assertAll(
            () -> assertNotEquals(first, after, "a new lineage, not more segments in the lineage another process wrote into"),
            () -> assertTrue(r.metrics().continuityBreaks() >= 1, "the foreign bytes counted as a break: " + r.metrics()),
            () -> assertEquals(dump, restoredDump, "the acknowledged write restores"));
      }
    }
  }
}
