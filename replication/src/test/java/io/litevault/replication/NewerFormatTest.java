package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.UnsupportedVersionException;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * This release rolled back to after a newer one wrote a segment format it does not know (what a release
 * before version 2 meets after version 2 was turned on, Review20Test): it must not retry forever. It stops
 * with {@link NewerFormatException} naming the object and its version; with {@code allowFork} it starts a new
 * lineage with a snapshot of the local files, and the newer lineage stays in the bucket.
 */
class NewerFormatTest {
  private static final String PREFIX = "newer/data";

  private static void insert(Replicator r, int id) throws Exception {
    r.write(c -> {
      try (Statement s = c.createStatement()) {
        return s.executeUpdate("INSERT INTO t(id, v) VALUES (" + id + ", 'row " + id + "')");
      }
    }, Durability.REPLICATED).get(60, TimeUnit.SECONDS);
  }

  @Test
  void aTipOfANewerSegmentVersionStopsReplicationByNameAndAForkStartsANewLineage(@TempDir Path root) throws Exception {
    Path bucketDir = Files.createDirectories(root.resolve("bucket"));
    try (ObjectStore bucket = FileSystemObjectStore.create(bucketDir);
        SqliteStore store = SqliteStore.builder(root.resolve("live")).database("data", DatabaseOptions.builder()
            .holdWalUntilGate(true).migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            .build()).open()) {
      Database db = store.database("data");
      ReplicatorOptions.Builder options = ReplicatorOptions.builder(bucket, PREFIX)
          .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200));
      try (Replicator r = Replicator.start(db, options.build())) {
        for (int i = 0; i < 3; i++) {
          insert(r, i);
        }
      }
      // A newer release's tip: the newest segment, its version field set to 3 (CRC made to match).
      BucketLayout layout = new BucketLayout(PREFIX);
      Map<String, LineageCatalog.Lineage> lineages = LineageCatalog.list(bucket, layout);
      assertEquals(1, lineages.size());
      String older = lineages.keySet().iterator().next();
      String tipKey = lineages.get(older).segments().get(lineages.get(older).segments().size() - 1).key();
      Path tip = bucketDir.resolve(tipKey);
      byte[] body = Files.readAllBytes(tip);
      body[4] = 0;
      body[5] = 3;
      CRC32C crc = new CRC32C();
      crc.update(body, 0, body.length - 4);
      ByteBuffer.wrap(body, body.length - 4, 4).putInt((int) crc.getValue());
      Files.write(tip, body);

      // This release: a typed stop naming the object and the version, not a retry forever.
      try (Replicator r = Replicator.start(db, options.build())) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> r.write(c -> {
          try (Statement s = c.createStatement()) {
            return s.executeUpdate("INSERT INTO t(id, v) VALUES (100, 'after the rollback')");
          }
        }, Durability.REPLICATED).get(60, TimeUnit.SECONDS));
        NewerFormatException newer = assertInstanceOf(NewerFormatException.class, e.getCause());
        assertEquals(tipKey, newer.object());
        assertEquals(3, newer.version());
        assertInstanceOf(UnsupportedVersionException.class, newer.getCause());
        assertTrue(newer.getMessage().contains(tipKey + ", a segment of format version 3; this release reads segment "
            + "versions up to 2"), newer.getMessage());
        assertTrue(newer.getMessage().contains("allow a fork"), newer.getMessage());
        ReplicationHealth health = r.health();
        for (int i = 0; i < 100 && health.running(); i++) {
          Thread.sleep(50);
          health = r.health();
        }
        assertFalse(health.running(), "the replicator stopped: " + health);
        assertEquals(newer.getMessage(), health.lastError());
      }
      assertEquals(1, LineageCatalog.list(bucket, layout).size(), "nothing written meanwhile");

      // The recovery: a fork for one start, a new lineage from a snapshot of the local files.
      try (Replicator r = Replicator.start(db, options.allowFork(true).build())) {
        insert(r, 101);
        assertTrue(r.health().healthy(), r.health().toString());
        assertNotEquals(older, r.health().lineage());
      }
      Map<String, LineageCatalog.Lineage> after = LineageCatalog.list(bucket, layout);
      assertEquals(2, after.size(), after.keySet().toString());
      assertTrue(after.containsKey(older), "the newer release's lineage stays");
      LineageCatalog.Lineage fresh = after.values().stream().reduce((a, b) -> b).orElseThrow();
      assertFalse(fresh.snapshots().isEmpty(), "the new lineage starts with a snapshot");
      try (Stream<String> ids = after.keySet().stream()) {
        assertEquals(fresh.id(), ids.max(String::compareTo).orElseThrow(), "the new lineage is the newest");
      }
    }
  }
}
