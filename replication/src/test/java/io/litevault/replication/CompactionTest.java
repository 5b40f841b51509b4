package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestorePlan;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction levels end to end: a real store and replicator on a clock the test moves, one upload per
 * simulated step, then restores of the latest state and of sampled txids compared with what the database
 * held at each (Dumps, SQLite's own dump). The cost of a restore must not grow with the history.
 */
class CompactionTest {
  @TempDir Path dir;

  /** What a run left: the bucket, the expected dump at sampled lineage txids, and the final dump. */
  /**
   * What a run left: the bucket, the expected dump at sampled lineage txids, the final dump, and the restore
   * of the latest state made while the replicator still ran (its open ranges not flushed, as after a crash).
   */
  private record History(ObjectStore bucket, TreeMap<Long, String> samples, String last, long segments,
      ReplicationMetrics metrics, RestoreResult live, RestorePlan livePlan) {}

  private History run(String name, Duration length, Duration step, int samples, List<Duration> windows)
      throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve(name + "-bucket")));
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    long writes = length.toMillis() / step.toMillis();
    long every = Math.max(1, writes / samples);
    TreeMap<Long, String> expected = new TreeMap<>();
    Random random = new Random(42);
    String last;
    ReplicationMetrics metrics;
    RestoreResult live;
    RestorePlan livePlan;
    try (SqliteStore store = SqliteStore.builder(dir.resolve(name)).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      // No periodic snapshot within the run: the whole history is ranges and segments after one snapshot.
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "r/data").clock(clock)
          .snapshotInterval(length.multipliedBy(2)).snapshotChainFraction(0)
          .minUploadInterval(Duration.ZERO).compactionWindows(windows).workDirectory(dir.resolve(name + "-work"))
          .build())) {
        for (long i = 0; i < writes; i++) {
          long id = i;
          r.write(c -> {
            try (var s = c.createStatement()) {
              s.executeUpdate("INSERT INTO post(author, body) VALUES ('a', '" + "x".repeat(50 + (int) (id % 200)) + "')");
              if (id % 3 == 0) {
                s.executeUpdate("DELETE FROM post WHERE id = " + (1 + random.nextInt((int) id + 1)));
              }
            }
            return null;
          }, Durability.REPLICATED).get();
          if (i % every == 0) {
            expected.put(r.positionOf(db.lastTxid()).orElseThrow().txid(), db.read(Dumps::dump));
          }
          clock.advance(step);
        }
        last = db.read(Dumps::dump);
        metrics = r.metrics();
        Path out = dir.resolve(name + "-live.db");
        livePlan = Restore.plan(RestoreOptions.builder(bucket, "r/data", out).build());
        live = Restore.run(RestoreOptions.builder(bucket, "r/data", out).build());
        assertEquals(last, Dumps.dump(out), "the latest state, restored while the replicator runs");
      }
    }
    return new History(bucket, expected, last, metrics.segmentsUploaded(), metrics, live, livePlan);
  }

  private RestoreResult restore(History h, Path out, Long txid) {
    RestoreOptions.Builder b = RestoreOptions.builder(h.bucket(), "r/data", out);
    if (txid != null) {
      b.txid(txid);
    }
    return Restore.run(b.build());
  }

  private static long rangesIn(RestorePlan plan) {
    return plan.segments().stream().filter(k -> k.endsWith(".lvcr")).count();
  }

  @Test
  void anHourOfOneUploadASecondRestoresFromFewObjectsAndEveryTxidStillRestores() throws Exception {
    History h = run("hour", Duration.ofHours(1), Duration.ofSeconds(1), 110, CompactionLevels.DEFAULT);
    assertTrue(h.segments() >= 3_500, "one segment per write: " + h.segments());
    assertTrue(h.metrics().rangesUploaded() > 0, "ranges uploaded: " + h.metrics());
    assertEquals(0, h.metrics().rangeErrors());

    RestorePlan plan = h.livePlan();
    assertTrue(h.live().objects() <= 40, "latest from " + h.live().objects() + " objects (plan " + plan.segments() + ")");
    assertTrue(rangesIn(plan) > 0, "the plan uses compacted ranges: " + plan.segments());
    // Listed narrowly: the lineages, the newest one's snapshots and ranges, the segments after the ranges.
    // Counted on the quiet bucket after the close: while the replicator runs, a range landing between the
    // LISTs sends the planner to a full listing, one LIST more (CI saw 5 under load).
    RestorePlan quiet = Restore.plan(RestoreOptions.builder(h.bucket(), "r/data", dir.resolve("planned.db")).build());
    assertEquals(4L, quiet.requests().get(io.litevault.bucket.Operation.LIST), quiet.requests().toString());
    assertTrue(plan.requests().get(io.litevault.bucket.Operation.LIST) <= 5, plan.requests().toString());
    RestoreResult closed = restore(h, dir.resolve("latest.db"), null);
    assertEquals(h.last(), Dumps.dump(dir.resolve("latest.db")));
    assertTrue(closed.objects() <= h.live().objects(), "the close flushed the open ranges: " + closed.objects());
    System.out.printf("hour: %d segments, %d ranges uploaded; latest restored from %d objects (%d ranges) while "
        + "running, %d after close%n", h.segments(), h.metrics().rangesUploaded(), h.live().objects(), rangesIn(plan),
        closed.objects());

    for (Map.Entry<Long, String> e : h.samples().entrySet()) {
      Path out = dir.resolve("at-" + e.getKey() + ".db");
      RestoreResult r = restore(h, out, e.getKey());
      assertEquals(e.getKey(), r.txid());
      assertEquals(e.getValue(), Dumps.dump(out), "restore at txid " + e.getKey());
      assertTrue(r.objects() <= 40, "txid " + e.getKey() + " from " + r.objects() + " objects");
      Files.delete(out);
    }
    assertTrue(h.samples().size() >= 100, "sampled txids: " + h.samples().size());
    assertNoRangeFilesLeft();
  }

  @Test
  void aDayRestoresFromAboutAsManyObjectsAsAnHour() throws Exception {
    // One upload a simulated minute: 1,440 segments over a day (a test's time budget; the day at one upload
    // a second is CompactionHarness's, in RESULTS.md), with the same windows: every level closes many times.
    History h = run("day", Duration.ofDays(1), Duration.ofMinutes(1), 20, CompactionLevels.DEFAULT);
    RestoreResult latest = h.live();
    System.out.printf("day: %d segments, %d ranges uploaded; latest restored from %d objects while running%n",
        h.segments(), h.metrics().rangesUploaded(), latest.objects());
    assertTrue(latest.objects() <= 40, "a day of " + h.segments() + " segments restored from " + latest.objects()
        + " objects");
    for (Map.Entry<Long, String> e : h.samples().entrySet()) {
      Path out = dir.resolve("at-" + e.getKey() + ".db");
      restore(h, out, e.getKey());
      assertEquals(e.getValue(), Dumps.dump(out), "restore at txid " + e.getKey());
    }
  }

  @Test
  void withCompactionOffEverySegmentIsRead() throws Exception {
    History h = run("off", Duration.ofMinutes(10), Duration.ofSeconds(1), 5, List.of());
    assertEquals(0, h.metrics().rangesUploaded());
    RestoreResult latest = restore(h, dir.resolve("latest.db"), null);
    assertEquals(h.last(), Dumps.dump(dir.resolve("latest.db")));
    assertEquals(1 + h.segments(), latest.objects(), "snapshot and every segment");
  }

  @Test
  void aCorruptRangeFallsBackToTheSegments() throws Exception {
    History h = run("corrupt", Duration.ofMinutes(5), Duration.ofSeconds(1), 5, CompactionLevels.DEFAULT);
    LineageCatalog.Lineage l = LineageCatalog.list(h.bucket(), new BucketLayout("r/data")).values().iterator().next();
    assertFalse(l.ranges().isEmpty());
    for (var r : l.ranges()) { // every range damaged: the restore must still give the latest state
      byte[] body = h.bucket().get(r.key()).readAllBytes();
      body[body.length / 2] ^= 0x55;
      h.bucket().put(r.key(), body);
    }
    restore(h, dir.resolve("latest.db"), null);
    assertEquals(h.last(), Dumps.dump(dir.resolve("latest.db")));
    assertNoRangeFilesLeft();
  }

  /** Ranges are downloaded beside the restore's temporary file: none may stay behind. */
  private void assertNoRangeFilesLeft() throws java.io.IOException {
    try (var files = Files.list(dir)) {
      assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.contains("-range-")).toList());
    }
  }

  @Test
  void retentionDropsRangesNoRestoreCanUseAndKeepsEveryPointRestorable() throws Exception {
    History h = run("retention", Duration.ofMinutes(10), Duration.ofSeconds(1), 20, CompactionLevels.DEFAULT);
    BucketLayout layout = new BucketLayout("r/data");
    LineageCatalog.Lineage l = LineageCatalog.list(h.bucket(), layout).values().iterator().next();
    int rangesBefore = l.ranges().size();
    // Everything is after the only snapshot: retention has nothing to take.
    new Retention(h.bucket(), layout, new ReplicationMetrics()).apply(l.id(), Instant.now().plusSeconds(3600));
    LineageCatalog.Lineage after = LineageCatalog.list(h.bucket(), layout).values().iterator().next();
    assertEquals(rangesBefore, after.ranges().size());
    for (Map.Entry<Long, String> e : h.samples().entrySet()) {
      Path out = dir.resolve("at-" + e.getKey() + ".db");
      restore(h, out, e.getKey());
      assertEquals(e.getValue(), Dumps.dump(out), "restore at txid " + e.getKey());
    }
    List<String> keys = new ArrayList<>();
    after.ranges().forEach(o -> keys.add(o.key()));
    assertTrue(keys.stream().allMatch(k -> layout.parse(k).orElseThrow().compacted()));
  }
}
