package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestorePlan;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.CheckpointMode;
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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of the compaction change: scenarios mixing ranges with snapshots, checkpoints and clock steps. */
class CompactionReviewTest {
  @TempDir Path dir;

  static final List<Duration> WINDOWS = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));

  record Run(ObjectStore bucket, String lineage, TreeMap<Long, String> expected, String last) {}

  private static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("timed out");
      }
      Thread.sleep(5);
    }
  }

  /**
   * Writes with requested snapshots, big transactions shipped as snapshots, checkpoints and clock steps,
   * recording the dump at every lineage txid.
   */
  private Run mixed(String name, int writes) throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve(name + "-bucket")));
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    TreeMap<Long, String> expected = new TreeMap<>();
    String lineage = null;
    String last;
    try (SqliteStore store = SqliteStore.builder(dir.resolve(name)).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "r/data").clock(clock)
          .snapshotInterval(Duration.ofDays(365)).snapshotChainFraction(0).maxSegmentBytes(64 * 1024)
          .minUploadInterval(Duration.ZERO).compactionWindows(WINDOWS).workDirectory(dir.resolve(name + "-work"))
          .build())) {
        for (int i = 0; i < writes; i++) {
          int id = i;
          boolean big = i % 29 == 28;
          r.write(c -> {
            try (var s = c.createStatement()) {
              s.executeUpdate("INSERT INTO post(author, body) VALUES ('a', '" + "x".repeat(big ? 120_000 : 50 + id % 300)
                  + "')");
              if (id % 5 == 4) {
                s.executeUpdate("DELETE FROM post WHERE id = " + (id / 2 + 1));
              }
            }
            return null;
          }, Durability.REPLICATED).get(30, TimeUnit.SECONDS);
          var pos = r.positionOf(db.lastTxid()).orElseThrow();
          lineage = pos.lineage();
          expected.put(pos.txid(), db.read(Dumps::dump));
          if (i % 17 == 16) {
            long before = r.metrics().snapshotsUploaded();
            r.maintenanceStep().run("data", null);
            waitFor(() -> r.metrics().snapshotsUploaded() > before);
          }
          if (i % 13 == 12) {
            db.checkpoint(i % 2 == 0 ? CheckpointMode.TRUNCATE : CheckpointMode.RESTART).get(30, TimeUnit.SECONDS);
          }
          if (i == 40) {
            clock.advance(Duration.ofSeconds(-5));
          } else if (i == 60) {
            clock.advance(Duration.ofDays(3));
          } else if (i == 80) {
            clock.advance(Duration.ofDays(-1));
          } else {
            clock.advance(Duration.ofMillis(700));
          }
        }
        last = db.read(Dumps::dump);
      }
    }
    return new Run(bucket, lineage, expected, last);
  }

  private long snapshotsAndRanges(Run run, List<Long> snaps) {
    BucketLayout layout = new BucketLayout("r/data");
    LineageCatalog.Lineage l = LineageCatalog.list(run.bucket(), layout).get(run.lineage());
    for (ObjectInfo s : l.snapshots()) {
      snaps.add(layout.parse(s.key()).orElseThrow().lastTxid());
    }
    return l.ranges().size();
  }

  @Test
  void everyTxidRestoresWithSnapshotsCheckpointsAndClockStepsAmongRanges() throws Exception {
    Run run = mixed("mixed", 110);
    List<Long> snaps = new ArrayList<>();
    long ranges = snapshotsAndRanges(run, snaps);
    assertTrue(ranges > 5, "ranges: " + ranges);
    assertTrue(snaps.size() > 5, "snapshots: " + snaps);
    long lastTxid = run.expected().lastKey();
    int usedRanges = 0;
    List<String> failures = new ArrayList<>();
    for (long t = 1; t <= lastTxid; t++) {
      Path out = dir.resolve("at-" + t + ".db");
      try {
        RestoreOptions o = RestoreOptions.builder(run.bucket(), "r/data", out).lineage(run.lineage()).txid(t).build();
        RestorePlan plan = Restore.plan(o);
        usedRanges += plan.segments().stream().anyMatch(k -> k.endsWith(".lvcr")) ? 1 : 0;
        RestoreResult r = Restore.run(o);
        assertEquals(t, r.txid());
        Map.Entry<Long, String> want = run.expected().floorEntry(t);
        if (want != null && !want.getValue().equals(Dumps.dump(out))) {
          failures.add("txid " + t + " (plan " + plan.segments() + ")");
        }
      } catch (RuntimeException e) {
        failures.add("txid " + t + ": " + e);
      }
      Files.deleteIfExists(out);
    }
    assertTrue(usedRanges > 10, "plans using ranges: " + usedRanges);
    assertEquals(List.of(), failures, "snapshots at " + snaps);
    Path latest = dir.resolve("latest.db");
    Restore.run(RestoreOptions.builder(run.bucket(), "r/data", latest).build());
    assertEquals(run.last(), Dumps.dump(latest));
  }

  /** Runs {@link RestoreChildMain} in a JVM with {@code heap} of heap; returns its output line. */
  private static String restoreInChild(Path bucket, String prefix, Path out, String heap) throws Exception {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap,
        "-cp", System.getProperty("java.class.path"), RestoreChildMain.class.getName(), bucket.toString(), prefix,
        out.toString());
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String output = new String(p.getInputStream().readAllBytes()).trim();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS));
    String[] lines = output.split("\n");
    return lines[lines.length - 1];
  }

  /**
   * A restore that reads a compacted range holds every page of it in the heap at once (prepareRange
   * builds a NetEffect of the whole range), while a snapshot streams and a segment is at most
   * maxSegmentBytes: the same bucket that restores in a small heap from its segments fails with an
   * OutOfMemoryError once a range covers them, and no fallback catches it.
   */
  @Test
  void aRangeOfALargeDatabaseRestoresInTheHeapItsSegmentsNeed() throws Exception {
    Path bucketDir = Files.createDirectories(dir.resolve("big-bucket"));
    ObjectStore bucket = FileSystemObjectStore.create(bucketDir);
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    java.util.Random random = new java.util.Random(7);
    String last;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("big")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "blob", "CREATE TABLE blob(id INTEGER PRIMARY KEY, b BLOB NOT NULL)").build())
        .open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "r/data").clock(clock)
          .snapshotInterval(Duration.ofDays(365)).snapshotChainFraction(0).maxSegmentBytes(1 << 20).minUploadInterval(Duration.ZERO)
          .compactionWindows(List.of(Duration.ofHours(1))).workDirectory(dir.resolve("big-work")).build())) {
        for (int t = 0; t < 240; t++) { // 240 transactions of 64 x 4,000 random bytes: about 60 MiB of pages
          r.write(c -> {
            try (var ps = c.prepareStatement("INSERT INTO blob(b) VALUES (?)")) {
              for (int i = 0; i < 64; i++) {
                byte[] b = new byte[4000];
                random.nextBytes(b);
                ps.setBytes(1, b);
                ps.executeUpdate();
              }
            }
            return null;
          }, Durability.REPLICATED).get(60, TimeUnit.SECONDS);
          clock.advance(Duration.ofSeconds(1));
        }
        last = db.read(c -> {
          try (var s = c.createStatement(); var rs = s.executeQuery("SELECT count(*), sum(length(b)) FROM blob")) {
            rs.next();
            return rs.getLong(1) + "/" + rs.getLong(2);
          }
        });
      } // the orderly close flushes the open range: one object for the whole hour
    }
    LineageCatalog.Lineage l = LineageCatalog.list(bucket, new BucketLayout("r/data")).values().iterator().next();
    assertEquals(1, l.ranges().size(), "one range for the hour: " + l.ranges());
    assertTrue(l.segments().size() >= 200, "segments: " + l.segments().size());

    // Without the range (moved aside) the bucket restores in a 64 MiB heap...
    Path aside = Files.createDirectories(dir.resolve("aside"));
    Path rangeFile = bucketDir.resolve(l.ranges().get(0).key());
    Files.move(rangeFile, aside.resolve("range"));
    String withoutRange = restoreInChild(bucketDir, "r/data", dir.resolve("without.db"), "64m");
    assertTrue(withoutRange.startsWith("restored "), withoutRange);
    // ...and with it must too: the range only replaces the segments.
    Files.move(aside.resolve("range"), rangeFile);
    String withRange = restoreInChild(bucketDir, "r/data", dir.resolve("with.db"), "64m");
    assertTrue(withRange.startsWith("restored "), "with the range: " + withRange + " (without it: " + withoutRange
        + "; rows/bytes " + last + ")");
  }

  /** A replicator closed and started again on the same files (with commits in between) continues its ranges. */
  @Test
  void resumedLineageRangesRestoreAtEveryTxid() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("resume-bucket")));
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    TreeMap<Long, String> expected = new TreeMap<>();
    String lineage = null;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("resume")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      for (int round = 0; round < 3; round++) {
        try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "r/data").clock(clock)
            .snapshotInterval(Duration.ofDays(365)).snapshotChainFraction(0).minUploadInterval(Duration.ZERO).compactionWindows(WINDOWS)
            .workDirectory(dir.resolve("resume-work")).build())) {
          for (int i = 0; i < 25; i++) {
            int id = round * 100 + i;
            r.write(ReplicationTest.insert("a", "post " + id), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
            var pos = r.positionOf(db.lastTxid()).orElseThrow();
            if (lineage != null) {
              assertEquals(lineage, pos.lineage(), "the lineage continues");
            }
            lineage = pos.lineage();
            expected.put(pos.txid(), db.read(Dumps::dump));
            clock.advance(Duration.ofMillis(700));
          }
        }
        for (int i = 0; i < 3; i++) { // commits while no replicator runs: the next one catches up
          db.writeAndWait(ReplicationTest.insert("b", "between " + round + "/" + i));
          clock.advance(Duration.ofMillis(700));
        }
      }
    }
    List<String> failures = new ArrayList<>();
    int usedRanges = 0;
    for (long t = 1; t <= expected.lastKey(); t++) {
      Path out = dir.resolve("r-" + t + ".db");
      try {
        RestoreOptions o = RestoreOptions.builder(bucket, "r/data", out).txid(t).build();
        RestorePlan plan = Restore.plan(o);
        usedRanges += plan.segments().stream().anyMatch(k -> k.endsWith(".lvcr")) ? 1 : 0;
        Restore.run(o);
        Map.Entry<Long, String> want = expected.floorEntry(t);
        if (expected.containsKey(t) && !want.getValue().equals(Dumps.dump(out))) {
          failures.add("txid " + t + " (plan " + plan.segments() + ")");
        }
      } catch (RuntimeException e) {
        failures.add("txid " + t + ": " + e);
      }
      Files.deleteIfExists(out);
    }
    assertTrue(usedRanges > 10, "plans with ranges: " + usedRanges);
    assertEquals(List.of(), failures);
  }
}
