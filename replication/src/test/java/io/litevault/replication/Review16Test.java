package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of the shortest-chain planner, time restores over ranges and fineSegmentRetention (6e9c865..2b26580). */
class Review16Test {
  @TempDir Path dir;

  private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
  private static final String PREFIX = "r/data";

  /** What the source went through: the dump after each lineage txid, and each commit's time. */
  record History(String lineage, TreeMap<Long, String> dumps, TreeMap<Instant, Long> commits) {}

  private History replicate(ObjectStore bucket, MutableClock clock, int writes, Duration step,
      UnaryOperator<ReplicatorOptions.Builder> options) throws Exception {
    TreeMap<Long, String> dumps = new TreeMap<>();
    TreeMap<Instant, Long> commits = new TreeMap<>();
    String lineage;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("store")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options.apply(ReplicatorOptions.builder(bucket, PREFIX).clock(clock)
          .snapshotInterval(Duration.ofDays(2)).snapshotChainFraction(0).minUploadInterval(Duration.ZERO)
          .compactionWindows(CompactionLevels.DEFAULT).workDirectory(dir.resolve("work"))).build())) {
        for (int i = 0; i < writes; i++) {
          int id = i;
          r.write(c -> {
            try (var s = c.createStatement()) {
              s.executeUpdate("INSERT INTO post(author, body) VALUES ('a', 'row " + id + "')");
              if (id % 3 == 0) {
                s.executeUpdate("UPDATE post SET body = body || '+' WHERE id = " + (1 + id / 2));
              }
            }
            return null;
          }, Durability.REPLICATED).get();
          long txid = r.positionOf(db.lastTxid()).orElseThrow().txid();
          dumps.put(txid, db.read(Dumps::dump));
          commits.put(clock.instant(), txid);
          clock.advance(step);
        }
        lineage = r.positionOf(db.lastTxid()).orElseThrow().lineage();
      }
    }
    return new History(lineage, dumps, commits);
  }

  private static ObjectStore fileBucket(Path root) throws Exception {
    return FileSystemObjectStore.create(Files.createDirectories(root));
  }

  private static LineageCatalog.Lineage lineage(ObjectStore bucket, String id) {
    return LineageCatalog.list(bucket, new BucketLayout(PREFIX)).get(id);
  }

  private static byte[] read(ObjectStore bucket, String key) throws Exception {
    try (InputStream in = bucket.get(key)) {
      return in.readAllBytes();
    }
  }

  /** A version-2 range rewritten as version 1 (what Litevault wrote before 00c4d64): no maxTimestampMillis. */
  private static byte[] toVersion1(byte[] b) {
    byte[] v1 = new byte[b.length - 8];
    System.arraycopy(b, 0, v1, 0, 44);
    System.arraycopy(b, 52, v1, 44, b.length - 52 - 4);
    v1[5] = 1;
    CRC32C crc = new CRC32C();
    crc.update(v1, 0, v1.length - 4);
    java.nio.ByteBuffer.wrap(v1, v1.length - 4, 4).putInt((int) crc.getValue());
    return v1;
  }

  private RestoreResult restoreTo(ObjectStore bucket, Path out, Instant at, boolean ranges) {
    return Restore.run(RestoreOptions.builder(bucket, PREFIX, out).timestamp(at).force(true).compactedRanges(ranges)
        .build());
  }

  /**
   * A replica whose ranges were written by the version before this change (format 1, no
   * maxTimestampMillis), every object intact: a restore to a time after the whole history must give the
   * latest state, as it does from the segments alone. FORMAT.md: "A version-1 range has no maximum and is
   * never applied whole to a time" - but walkToTime replaces it by its finer objects and then stops at its
   * end ("nothing after it is needed"), which only holds when the range really contains a commit after the
   * time.
   */
  @Test
  void timeRestoreOverVersion1RangesStopsSilentlyAtTheFirstRangesEnd() throws Exception {
    ObjectStore bucket = fileBucket(dir.resolve("bucket"));
    MutableClock clock = new MutableClock(START);
    History h = replicate(bucket, clock, 150, Duration.ofSeconds(1), b -> b);
    List<ObjectInfo> ranges = lineage(bucket, h.lineage()).ranges();
    for (ObjectInfo r : ranges) {
      bucket.put(r.key(), toVersion1(read(bucket, r.key())));
    }
    Instant after = h.commits().lastKey().plusSeconds(5);
    Path out = dir.resolve("out.db");
    Path plain = dir.resolve("plain.db");
    RestoreResult without = restoreTo(bucket, plain, after, false);
    assertEquals(h.dumps().lastKey(), without.txid(), "the segments alone give the latest state");
    RestoreResult with = restoreTo(bucket, out, after, true);
    assertEquals(without.txid(), with.txid(), "txid restored for a time after every commit, with " + ranges.size()
        + " version-1 ranges");
    assertEquals(h.dumps().lastEntry().getValue(), Dumps.dump(out));
  }

  /**
   * The same with version-2 ranges, one of which has a damaged header (a bit flip in its magic): the time
   * restore silently stops at that range's end instead of using the segments (or failing).
   */
  @Test
  void timeRestoreStopsSilentlyAtARangeWhoseHeaderIsCorrupt() throws Exception {
    ObjectStore bucket = fileBucket(dir.resolve("bucket"));
    MutableClock clock = new MutableClock(START);
    // windows of 10 s and 1 min over 150 s: the latest chain is three 1-minute ranges
    History h = replicate(bucket, clock, 150, Duration.ofSeconds(1),
        b -> b.compactionWindows(List.of(Duration.ofSeconds(10), Duration.ofMinutes(1))));
    BucketLayout layout = new BucketLayout(PREFIX);
    LineageCatalog.Lineage l = lineage(bucket, h.lineage());
    long snap = layout.parse(l.snapshots().get(0).key()).orElseThrow().lastTxid();
    List<io.litevault.replication.format.Chains.Link> links = new java.util.ArrayList<>();
    l.segments().forEach(o -> links.add(io.litevault.replication.format.Chains.Link.of(layout, o).orElseThrow()));
    l.ranges().forEach(o -> links.add(io.litevault.replication.format.Chains.Link.of(layout, o).orElseThrow()));
    io.litevault.replication.format.Chains.Link first = io.litevault.replication.format.Chains
        .shortest(snap, Long.MAX_VALUE, links).links().stream().filter(k -> k.range()).findFirst().orElseThrow();
    byte[] b = read(bucket, first.info().key());
    b[0] ^= 0x01;
    bucket.put(first.info().key(), b);
    Instant after = h.commits().lastKey().plusSeconds(5);
    RestoreResult without = restoreTo(bucket, dir.resolve("plain.db"), after, false);
    assertEquals(h.dumps().lastKey(), without.txid());
    Path out = dir.resolve("out.db");
    RestoreResult with = restoreTo(bucket, out, after, true);
    assertEquals(without.txid(), with.txid(), "txid restored for a time after every commit; range "
        + first.info().key() + " has a corrupt header");
    assertEquals(h.dumps().lastEntry().getValue(), Dumps.dump(out));
  }

  /**
   * One segment lost (txid 45, inside a 10 s range); the ranges and every other object intact. A restore to
   * a time two commits after it cannot be exact. From the segments alone it fails with MISSING_OBJECT (the
   * planner's "never quietly restore an older state"); with ranges, walkToTime replaces the 10 s range the
   * time falls in by its segments, which stop at the hole, and marks the time "inside" the walk, so the gap
   * check is skipped: it silently restores txid 44.
   */
  @Test
  void timeRestoreOverAMissingSegmentInsideARangeSilentlyGivesAnOlderState() throws Exception {
    ObjectStore bucket = fileBucket(dir.resolve("bucket"));
    MutableClock clock = new MutableClock(START);
    History h = replicate(bucket, clock, 150, Duration.ofSeconds(1),
        b -> b.compactionWindows(List.of(Duration.ofSeconds(10), Duration.ofMinutes(1))));
    BucketLayout layout = new BucketLayout(PREFIX);
    ObjectInfo lost = lineage(bucket, h.lineage()).segments().stream().filter(o -> {
      BucketLayout.Parsed p = layout.parse(o.key()).orElseThrow();
      return p.firstTxid() <= 45 && p.lastTxid() >= 45;
    }).findFirst().orElseThrow();
    assertEquals(45, layout.parse(lost.key()).orElseThrow().lastTxid(), "one transaction per segment");
    bucket.deleteAll(List.of(lost.key()));
    Instant at = h.commits().entrySet().stream().filter(e -> e.getValue() == 47).findFirst().orElseThrow().getKey()
        .plusMillis(500);
    io.litevault.replication.restore.RestoreException plain = org.junit.jupiter.api.Assertions.assertThrows(
        io.litevault.replication.restore.RestoreException.class, () -> restoreTo(bucket, dir.resolve("plain.db"), at,
            false), "from the segments alone");
    assertEquals(io.litevault.replication.restore.RestoreException.Kind.MISSING_OBJECT, plain.kind(), plain.getMessage());
    Path out = dir.resolve("out.db");
    io.litevault.replication.restore.RestoreException withRanges = org.junit.jupiter.api.Assertions.assertThrows(
        io.litevault.replication.restore.RestoreException.class, () -> {
          RestoreResult r = restoreTo(bucket, out, at, true);
          System.out.println("with ranges restored txid " + r.txid() + " equal to the source's txid " + r.txid() + ": "
              + h.dumps().get(r.txid()).equals(Dumps.dump(out)));
        }, "a restore to the time of txid 47 with txid 45 missing");
    // With ranges the chain is not simply cut: a range holds the time, so the planner says which (NO_SUCH_POINT);
    // either way loudly, naming the same newest restorable point.
    assertEquals(io.litevault.replication.restore.RestoreException.Kind.NO_SUCH_POINT, withRanges.kind(),
        withRanges.getMessage());
    assertEquals(plain.newestRestorable(), withRanges.newestRestorable(), withRanges.getMessage());
  }

  /**
   * fineSegmentRetention on a replica whose ranges are format 1 (written before this change; FORMAT.md: "a
   * version-1 range ... is never applied whole to a time"). FineSegments counts them as covering the
   * segments anyway and drops those. A restore to a time in the fine part (after B: every segment kept,
   * the txid itself restores), before the newest snapshot's time, starts from the snapshot before and must
   * cross the coarse part by time: with v1 ranges it cannot (their commit times are unknown) and the
   * segments are gone, so it restores an old state. Before retention the same time restores from the segments.
   */
  @Test
  void fineRetentionOverVersion1RangesLosesTimeRestoresInTheFinePart() throws Exception {
    MutableClock clock = new MutableClock(START);
    Path root = Files.createDirectories(dir.resolve("bucket"));
    ObjectStore bucket = new RetentionCompactionProperties.ClockedBucket(FileSystemObjectStore.create(root), root, clock);
    // 4.5 h, a write every 30 s, snapshots every 2 h (txid 1, ~2 h, ~4 h)
    History h = replicate(bucket, clock, 540, Duration.ofSeconds(30), b -> b.snapshotInterval(Duration.ofHours(2)));
    BucketLayout layout = new BucketLayout(PREFIX);
    LineageCatalog.Lineage l = lineage(bucket, h.lineage());
    org.junit.jupiter.api.Assertions.assertTrue(l.snapshots().size() >= 3, "snapshots: " + l.snapshots());
    for (ObjectInfo r : l.ranges()) {
      bucket.put(r.key(), toVersion1(read(bucket, r.key())));
    }
    Instant at = START.plus(Duration.ofMinutes(225)).plusSeconds(5); // 3h45m: after now - 1 h, before the 4 h snapshot
    long expected = h.commits().floorEntry(at).getValue();
    Path out = dir.resolve("out.db");
    assertEquals(expected, restoreTo(bucket, out, at, false).txid(), "before retention, from the segments");

    ReplicationMetrics metrics = new ReplicationMetrics();
    new Retention(bucket, layout, metrics).apply(h.lineage(), clock.instant().minus(Duration.ofDays(7)),
        clock.instant().minus(Duration.ofHours(1)));
    org.junit.jupiter.api.Assertions.assertTrue(metrics.fineSegmentsDropped() > 100, metrics.toString());
    long everyTxidFrom = Restore.list(bucket, PREFIX).get(0).everyTxidFrom();
    org.junit.jupiter.api.Assertions.assertTrue(everyTxidFrom <= expected, "txid " + expected + " is in the fine part, "
        + "every txid from " + everyTxidFrom);
    Restore.run(RestoreOptions.builder(bucket, PREFIX, out).txid(expected).force(true).build());
    assertEquals(h.dumps().get(expected), Dumps.dump(out), "the txid itself restores");
    RestoreResult r = restoreTo(bucket, out, at, true);
    assertEquals(expected, r.txid(), "time " + at + " in the fine part (every txid from " + everyTxidFrom + ")");
  }

  /**
   * fineSegmentRetention promises every transaction of the last hour restorable, and a lost range to cost
   * only "the coarse points after it" (FORMAT.md, "Dropping fine segments"). But B is capped by the newest
   * snapshot, not by the snapshot before the fine part: a txid of the last hour that is before the newest
   * snapshot restores from the snapshot before, through the coarse part. Here the run ends 25 minutes into
   * a 10-minute window pair so B falls inside a 10-minute window: the chain to B ends with 1-minute ranges
   * whose segments are dropped, and the 10-minute range over them ends after B. Losing the last 1-minute
   * range before B (its segments are gone and its 10-minute container ends past the target) makes a txid
   * of the last hour, two after B, unrestorable.
   */
  @Test
  void oneLostRangeInTheCoarsePartMakesATxidOfTheLastHourUnrestorable() throws Exception {
    MutableClock clock = new MutableClock(START);
    Path root = Files.createDirectories(dir.resolve("bucket"));
    ObjectStore bucket = new RetentionCompactionProperties.ClockedBucket(FileSystemObjectStore.create(root), root, clock);
    // 4h25m, a write every 30 s, snapshots every 2 h; fine cutoff at 3h25m: B is mid 10-minute window
    History h = replicate(bucket, clock, 530, Duration.ofSeconds(30), b -> b.snapshotInterval(Duration.ofHours(2)));
    BucketLayout layout = new BucketLayout(PREFIX);
    ReplicationMetrics metrics = new ReplicationMetrics();
    Instant fineCutoff = clock.instant().minus(Duration.ofHours(1));
    new Retention(bucket, layout, metrics).apply(h.lineage(), clock.instant().minus(Duration.ofDays(7)), fineCutoff);
    org.junit.jupiter.api.Assertions.assertTrue(metrics.fineSegmentsDropped() > 100, metrics.toString());
    LineageCatalog.Lineage l = lineage(bucket, h.lineage());
    // B + 1: the first txid of the first segment uploaded after the fine cutoff
    long b1 = l.segments().stream().filter(o -> o.lastModified().isAfter(fineCutoff))
        .mapToLong(o -> layout.parse(o.key()).orElseThrow().firstTxid()).min().orElseThrow();
    long newestSnapshot = layout.parse(l.snapshots().get(l.snapshots().size() - 1).key()).orElseThrow().lastTxid();
    long x = b1 + 1;
    org.junit.jupiter.api.Assertions.assertTrue(x < newestSnapshot, "x " + x + ", newest snapshot " + newestSnapshot);
    long everyTxidFrom = Restore.list(bucket, PREFIX).get(0).everyTxidFrom();
    org.junit.jupiter.api.Assertions.assertTrue(everyTxidFrom <= x, "every txid from " + everyTxidFrom + ", x " + x);
    Path out = dir.resolve("out.db");
    Restore.run(RestoreOptions.builder(bucket, PREFIX, out).txid(x).force(true).build());
    assertEquals(h.dumps().get(x), Dumps.dump(out), "txid " + x + " restores before the loss");
    int finest = l.ranges().stream().mapToInt(o -> layout.parse(o.key()).orElseThrow().level()).min().orElseThrow();
    ObjectInfo lost = l.ranges().stream().filter(o -> layout.parse(o.key()).orElseThrow().level() == finest
        && layout.parse(o.key()).orElseThrow().lastTxid() < b1)
        .max(java.util.Comparator.comparingLong(o -> layout.parse(o.key()).orElseThrow().lastTxid())).orElseThrow();
    bucket.deleteAll(List.of(lost.key()));
    Instant xTime = h.commits().entrySet().stream().filter(e -> e.getValue() == x).findFirst().orElseThrow().getKey();
    try {
      RestoreResult t = restoreTo(bucket, dir.resolve("t.db"), xTime.plusMillis(500), true);
      System.out.println("time restore of txid " + x + "'s time after the loss: txid " + t.txid());
    } catch (io.litevault.replication.restore.RestoreException e) {
      System.out.println("time restore of txid " + x + "'s time after the loss: " + e.kind() + " " + e.getMessage());
    }
    try {
      Restore.run(RestoreOptions.builder(bucket, PREFIX, out).txid(x).force(true).build());
    } catch (io.litevault.replication.restore.RestoreException e) {
      org.junit.jupiter.api.Assertions.fail("txid " + x + " (fine part: every txid from " + everyTxidFrom
          + ") after losing coarse range " + lost.key() + ": " + e.kind() + ": " + e.getMessage(), e);
    }
    assertEquals(h.dumps().get(x), Dumps.dump(out), "txid " + x + " after losing coarse range " + lost.key());
  }
}
