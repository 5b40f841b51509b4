package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.format.SegmentFormat;
import io.litevault.replication.format.SegmentVersions;
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
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segment format version 2 (later images of a page XORed with the one before, docs/FORMAT.md) end to end:
 * a hot-row workload whose segments hold many transactions on the same pages restores at every point it
 * was replicated at, and so does the same bucket with every other segment rewritten as version 1 — a
 * bucket written across an upgrade, where old segments stay as they were.
 */
class SegmentVersionsRestoreTest {
  private record Point(ReplicaPosition position, String dump) {}

  @Test
  void version2AndMixedBucketsRestoreEveryReplicatedPoint(@TempDir Path root) throws Exception {
    Random random = new Random(20261202);
    String prefix = "mixed/data";
    List<Point> points = new ArrayList<>();
    try (ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(root.resolve("bucket")))) {
      // Many LOCAL commits per upload: each segment holds several images of the same hot pages.
      ReplicatorOptions options = ReplicatorOptions.builder(bucket, prefix).minUploadInterval(Duration.ofMillis(200))
          .segmentFormat(SegmentFormat.V2)
          .build();
      try (SqliteStore store = SqliteStore.builder(root.resolve("live")).database("data", DatabaseOptions.builder()
          .holdWalUntilGate(true)
          .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, v TEXT NOT NULL)").build()).open()) {
        Database db = store.database("data");
        try (Replicator replicator = Replicator.start(db, options)) {
          replicator.write(c -> {
            try (var ps = c.prepareStatement("INSERT INTO t(id, n, v) VALUES (?, 1000, ?)")) {
              for (int i = 0; i < 2000; i++) {
                ps.setInt(1, i); // n starts at 1000: a 2-byte integer until 32767, so counting rewrites in place
                ps.setString(2, "row " + i + " " + "x".repeat(100 + random.nextInt(300)));
                ps.executeUpdate();
              }
            }
            return null;
          }, Durability.REPLICATED).get();
          for (int round = 0; round < 12; round++) {
            // One transaction each (waited for: no group commit), each counting on the hot row 0 and 10 others
            // in place (page views), so a hot page's next image is some 40 KiB further in the segment and
            // differs in a few bytes: version 2 XORs it. Every fourth transaction also rewrites the text of
            // its rows (cells move: there version 1 can be smaller, and the writer keeps it).
            for (int w = 0; w < 40; w++) {
              int[] ids = new int[11];
              for (int k = 1; k < ids.length; k++) {
                ids[k] = random.nextInt(2000);
              }
              String text = w % 4 == 3 ? Long.toHexString(random.nextLong()) : null;
              db.write(c -> {
                try (var count = c.prepareStatement("UPDATE t SET n = n + 1 WHERE id = ?");
                    var rewrite = c.prepareStatement("UPDATE t SET v = substr(v, 1, 390) || ? WHERE id = ?")) {
                  for (int id : ids) {
                    count.setInt(1, id);
                    count.executeUpdate();
                    if (text != null) {
                      rewrite.setString(1, text.substring(0, 1 + id % 3));
                      rewrite.setInt(2, id);
                      rewrite.executeUpdate();
                    }
                  }
                  return null;
                }
              }).get();
            }
            long txid = replicator.write(c -> {
              try (var s = c.createStatement()) {
                return s.executeUpdate("UPDATE t SET n = n + 1 WHERE id = 0");
              }
            }, Durability.REPLICATED).thenApply(x -> db.lastTxid()).get();
            assertTrue(replicator.awaitReplicated(txid, Duration.ofSeconds(30)));
            points.add(new Point(replicator.positionOf(txid).orElseThrow(), db.read(Dumps::dump)));
          }
        }
      }

      List<String> segments = new ArrayList<>();
      int multiTransaction = 0;
      try (var listed = bucket.list(prefix + "/")) {
        for (ObjectInfo o : (Iterable<ObjectInfo>) listed::iterator) {
          if (o.key().endsWith(".lvsg")) {
            segments.add(o.key());
            String range = o.key().substring(o.key().lastIndexOf('/') + 1, o.key().length() - 5);
            multiTransaction += range.substring(0, 16).equals(range.substring(17)) ? 0 : 1;
          }
        }
      }
      assertTrue(multiTransaction >= 3, "segments holding several transactions: " + multiTransaction + " of " + segments);
      int version2 = 0;
      for (String key : segments) {
        try (var in = bucket.get(key)) {
          version2 += SegmentVersions.version(in.readAllBytes()) == 2 ? 1 : 0;
        }
      }
      assertTrue(version2 >= 3, "segments written as version 2: " + version2 + " of " + segments.size());
      restoreEveryPoint(bucket, prefix, points, root, "v2");

      for (int i = 0; i < segments.size(); i++) {
        byte[] v2; // as written: version 2, or version 1 where that was smaller
        try (var in = bucket.get(segments.get(i))) {
          v2 = in.readAllBytes();
        }
        byte[] v1 = SegmentVersions.asVersion1(v2, segments.get(i));
        assertEquals(1, SegmentVersions.version(v1));
        assertTrue(v2.length <= v1.length, "written " + v2.length + " bytes, as version 1 " + v1.length);
        if (i % 2 == 0) {
          bucket.put(segments.get(i), v1);
        }
      }
      restoreEveryPoint(bucket, prefix, points, root, "mixed");
    }
  }

  private static void restoreEveryPoint(ObjectStore bucket, String prefix, List<Point> points, Path root, String label)
      throws Exception {
    int i = 0;
    for (Point p : points) {
      Path out = root.resolve(label + "-" + i++ + ".db");
      Restore.run(RestoreOptions.builder(bucket, prefix, out).lineage(p.position().lineage()).txid(p.position().txid())
          .build());
      assertEquals(p.dump(), Dumps.dump(out), label + ": restore at " + p.position());
      assertEquals("ok", Dumps.integrity(out));
    }
  }
}
