package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A burst of writes, then quiet: the finest window closes by the clock first, and each coarser window closes
 * later (by the clock, or at close) with nothing added since. Those ranges hold the same transactions as the
 * one below and are not uploaded again (the demo uploaded its whole run twice this way, at the 10-minute and
 * the 1-hour level: benchmarks/RESULTS.md, "Bytes per write"). On the real clock: about 6 s.
 */
class CompactionDuplicatesTest {
  @Test
  void aBurstThenQuietIsUploadedAtOneLevelNotAtEach(@TempDir Path dir) throws Exception {
    List<Duration> windows = List.of(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8));
    try (ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
        SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
            .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      boolean burstInOneWindow;
      String dump;
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "r/data")
          .minUploadInterval(Duration.ZERO).compactionWindows(windows).workDirectory(dir.resolve("work")).build())) {
        r.write(c -> 0, Durability.REPLICATED).get(); // the lineage's snapshot is out
        // Start right after an 8 s boundary (windows are aligned to the epoch), so the burst is in one window
        // of every level.
        long start = (System.currentTimeMillis() / 8000 + 1) * 8000;
        Thread.sleep(start + 50 - System.currentTimeMillis());
        for (int i = 0; i < 4; i++) { // one segment each: a range of several segments is worth uploading
          int n = i;
          r.write(c -> {
            try (var s = c.createStatement()) {
              return s.executeUpdate("INSERT INTO post(author, body) VALUES ('a', 'burst " + n + "')");
            }
          }, Durability.REPLICATED).get();
        }
        burstInOneWindow = System.currentTimeMillis() < start + 2000;
        // Quiet past the 2 s and 4 s windows' ends (closed by the clock), then close before 8 s (the top
        // level's range is uploaded at close).
        Thread.sleep(Math.max(0, start + 5500 - System.currentTimeMillis()));
        dump = db.read(Dumps::dump);
      }

      Map<String, List<String>> levelsByTxids = new HashMap<>();
      try (var listed = bucket.list("r/data/")) {
        for (ObjectInfo o : (Iterable<ObjectInfo>) listed::iterator) {
          if (o.key().endsWith(".lvcr")) {
            String txids = o.key().substring(o.key().lastIndexOf('/') + 1);
            String level = o.key().substring(o.key().indexOf("/levels/") + 8, o.key().lastIndexOf('/'));
            levelsByTxids.computeIfAbsent(txids, k -> new ArrayList<>()).add(level);
          }
        }
      }
      for (Map.Entry<String, List<String>> e : levelsByTxids.entrySet()) {
        assertEquals(1, e.getValue().size(), "transactions " + e.getKey() + " uploaded at levels " + e.getValue());
      }
      if (burstInOneWindow) {
        assertEquals(1, levelsByTxids.size(), "one range for the burst: " + levelsByTxids);
      }
      Path out = dir.resolve("restored.db");
      Restore.run(RestoreOptions.builder(bucket, "r/data", out).build());
      assertEquals(dump, Dumps.dump(out));
      assertTrue(Files.size(out) > 0);
    }
  }
}
