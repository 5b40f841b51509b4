package io.litevault.replication;

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
 * Under a steady load, commits are always waiting for the next upload (one a second by default): a
 * snapshot that waited for an empty queue never came, and the restore chain grew with history. A due
 * snapshot covers the waiting commits instead (as a requested one does).
 */
class SnapshotUnderLoadTest {
  @TempDir Path dir;

  @Test
  void dueSnapshotsAreTakenWhileCommitsKeepArriving() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "l/data")
          .minUploadInterval(Duration.ofMillis(500)).snapshotInterval(Duration.ofSeconds(1)).build())) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int i = 0;
        while (System.nanoTime() < deadline) {
          db.writeAndWait(ReplicationTest.insert("load", "row " + i++)); // LOCAL, back to back
        }
        long snapshots = r.metrics().snapshotsUploaded();
        assertTrue(snapshots >= 3, "one snapshot a second asked for, under 5 s of steady writes: " + r.metrics());
        r.write(ReplicationTest.insert("load", "last"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(bucket, "l/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out));
      }
    }
  }
}
