package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreMetrics;
import io.litevault.bucket.PutResult;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestorePlan;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.CheckpointMode;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import io.litevault.testing.Unchecked;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Retention proven against restore, with compaction levels (Litestream #224, #805, and the TXID chains
 * that broke after L0 retention, #753, #1084): over random histories on a real SQLite database and a
 * simulated clock — small and multi-page commits, commits too big for a segment (they land as snapshots),
 * clock advances that stay inside a one-second window or cross every compaction window (1 s to 6 h),
 * requested snapshots, periodic snapshots (every simulated 2 h), checkpoints, restarts of the replicator
 * (with or without the store), {@link Retention} runs of the test's own with random windows (1 s to about
 * 11 h, or a random share of the history so far), and, for a third of the replicator's starts, the
 * replicator's own retention after every upload (1 s to about 5 h) —
 *
 * <ol>
 * <li><b>Every protected point restores</b>, equal to the source's content at that txid, both with compacted
 *     ranges and without ({@code compactedRanges(false)}), and passes {@code integrity_check}; a restore
 *     with ranges must not have fallen back to the segments (a fallback would hide a broken range). A
 *     replicated point (lineage L, txid t) is <i>protected</i> when, for every retention run so far, L was
 *     not dropped by it and t is at or after that run's base snapshot of L (the newest snapshot of L last
 *     modified at or before the cutoff; no such snapshot: no base, the whole lineage is protected). For the
 *     replicator's own retention, whose cutoffs are not known exactly, one bound stands for all its runs: the
 *     cutoff the clock gave at its close, with the snapshots and upload times every step's listing showed,
 *     and its lineage at close as the current one (a conservative bound: it protects no more than they did). This is
 *     Retention's promise ("restore points inside the period always keep their snapshot and every segment
 *     after it"), and it implies the user's: every point committed after the newest cutoff is protected
 *     (checked too). At most {@value #SAMPLES} protected points per try are restored: the newest, the first
 *     one of each lineage at or after its base, and a random choice of the rest seeded by the history.
 * <li><b>The latest restore</b> (no lineage, no txid) equals the last state.
 * <li><b>Nothing kept without a reason, nothing needed deleted</b>, after every run of the test's, against the
 *     listing taken just before it (cutoff C, current lineage Lc): a lineage other than Lc whose newest
 *     object was last modified before C is gone entirely; in every other lineage with a base snapshot B
 *     (as above), every snapshot whose txid is below B's, every segment whose last txid is at or below B's,
 *     and every compacted range whose <i>first</i> txid is at or below B's is gone (a restore from B or a
 *     later snapshot applies a range only right after the txid it reached, which is past such a range's
 *     start: FORMAT.md, "Planning with ranges"); and every other object of the listing is still there (not
 *     checked while the replicator's own retention is on: it may run meanwhile, after an upload the clock
 *     triggered). Objects uploaded after the listing are not judged by that run. Before the replicator's
 *     first upload after a start, Lc is the newest lineage, the one it resumes.
 * </ol>
 *
 * <p>Object ages are upload times on the simulated clock: the test's bucket is a {@link FileSystemObjectStore}
 * whose files get the clock's time as their last-modified time as soon as they are written (what an S3 server
 * on that clock would report). The clock starts in 2020, before the machine's wall clock, so a file the
 * replicator is still writing looks newer than any cutoff, never older.
 *
 * <p>Defaults: {@value #DEFAULT_EXAMPLES} tries of 10 to 70 steps (about 1 to 2 s each on 2 loaded cores);
 * {@code -Dlitevault.retention.examples=N} raises them. A failure shrinks and reports "Seed was N";
 * {@code -DQT_SEED=N} replays it.
 */
class RetentionCompactionProperties {
  static final int DEFAULT_EXAMPLES = 20;
  static final int SAMPLES = 30;
  static final String PREFIX = "rc/data";
  static final Instant START = Instant.parse("2020-01-01T00:00:00Z");

  enum Kind { SMALL, MULTI_PAGE, HUGE, TICK, JUMP, LEAP, SNAPSHOT, CHECKPOINT, RESTART, RESTART_STORE, RETENTION }

  /** One step; {@code arg} sizes it (rows, bytes, a clock advance, a retention window). */
  record Step(Kind kind, int arg) {
    @Override
    public String toString() {
      return kind + "(" + arg + ")";
    }
  }

  static Gen<List<Step>> histories() {
    Gen<Integer> arg = integers().between(0, 999_999);
    Gen<Step> step = Generate.frequency(List.of(
        Pair.of(14, arg.map(a -> new Step(Kind.SMALL, a))),
        Pair.of(4, arg.map(a -> new Step(Kind.MULTI_PAGE, a))),
        Pair.of(1, arg.map(a -> new Step(Kind.HUGE, a))),
        Pair.of(6, arg.map(a -> new Step(Kind.TICK, a))),
        Pair.of(3, arg.map(a -> new Step(Kind.JUMP, a))),
        Pair.of(2, arg.map(a -> new Step(Kind.LEAP, a))),
        Pair.of(2, arg.map(a -> new Step(Kind.SNAPSHOT, a))),
        Pair.of(2, arg.map(a -> new Step(Kind.CHECKPOINT, a))),
        Pair.of(1, arg.map(a -> new Step(Kind.RESTART, a))),
        Pair.of(1, arg.map(a -> new Step(Kind.RESTART_STORE, a))),
        Pair.of(3, arg.map(a -> new Step(Kind.RETENTION, a)))));
    return lists().of(step).ofSizeBetween(10, 70);
  }

  /** A replicated transaction: where it is in the bucket, when it committed, what the database held. */
  private record Point(ReplicaPosition position, Instant committed, String dump) {}

  /** What one retention run decided, to judge the points by afterwards. */
  private record Run(Instant cutoff, Set<String> droppedLineages, Map<String, Long> baseTxids) {}

  private static final AtomicLong restores = new AtomicLong();
  private static final AtomicLong restoresWithRanges = new AtomicLong();
  private static final AtomicLong retentionDeletes = new AtomicLong();
  private static final AtomicLong ownDeletes = new AtomicLong();

  @Test
  void everyPointRetentionKeepsRestoresWithAndWithoutRangesAndNothingElseIsKept() {
    int examples = Integer.getInteger("litevault.retention.examples", DEFAULT_EXAMPLES);
    long t0 = System.nanoTime();
    qt().withExamples(examples).withShrinkCycles(20).forAll(histories())
        .checkAssert(steps -> Unchecked.run(() -> tryOnce(steps)));
    System.out.printf("RetentionCompactionProperties: %d tries in %d ms; %d restores, %d of them through ranges; "
        + "%d objects deleted by the test's retention runs, %d by the replicators' own%n", examples,
        (System.nanoTime() - t0) / 1_000_000, restores.get(), restoresWithRanges.get(), retentionDeletes.get(),
        ownDeletes.get());
  }

  void tryOnce(List<Step> steps) throws Exception {
    Path root = Files.createTempDirectory("retprop");
    MutableClock clock = new MutableClock(START);
    BucketLayout layout = new BucketLayout(PREFIX);
    Random random = new Random(steps.hashCode());
    Path bucketDir = Files.createDirectories(root.resolve("bucket"));
    try (ObjectStore bucket = new ClockedBucket(FileSystemObjectStore.create(bucketDir), bucketDir, clock)) {
      Path live = root.resolve("live");
      SqliteStore store = open(live, clock);
      Duration ownRetention = null; // the running replicator's own retention window, null while it is off
      Replicator replicator = Replicator.start(store.database("data"), options(bucket, clock, root, ownRetention));
      List<Point> points = new ArrayList<>();
      List<Run> runs = new ArrayList<>();
      Seen seen = new Seen(layout);
      String last;
      int nextId = 0;
      try {
        for (Step step : steps) {
          Database db = store.database("data");
          int a = step.arg();
          switch (step.kind()) {
            case SMALL -> {
              int rows = 1 + a % 4;
              int from = nextId;
              nextId += rows;
              replicator.write(c -> {
                try (var ps = c.prepareStatement("INSERT INTO t(id, v, b) VALUES (?, ?, NULL)")) {
                  for (int i = from; i < from + rows; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "row " + i + " " + a);
                    ps.executeUpdate();
                  }
                }
                if (a % 3 == 0) {
                  exec(c, "UPDATE t SET v = v || '+' WHERE id % " + (2 + a % 5) + " = 0");
                }
                if (a % 5 == 0) {
                  exec(c, "DELETE FROM t WHERE id % " + (3 + a % 7) + " = 1");
                }
                return null;
              }, Durability.REPLICATED).get();
            }
            case MULTI_PAGE, HUGE -> {
              // Several pages (overflow chains); HUGE passes maxSegmentBytes and lands as a snapshot.
              int bytes = step.kind() == Kind.HUGE ? 80_000 + a % 120_000 : 5_000 + a % 30_000;
              int id = nextId++;
              replicator.write(c -> {
                try (var ps = c.prepareStatement("INSERT INTO t(id, v, b) VALUES (?, ?, ?)")) {
                  byte[] b = new byte[bytes];
                  new Random(a).nextBytes(b);
                  ps.setInt(1, id);
                  ps.setString(2, "blob " + id);
                  ps.setBytes(3, b);
                  ps.executeUpdate();
                }
                if (a % 2 == 0) {
                  exec(c, "DELETE FROM t WHERE b IS NOT NULL AND id < " + id + " AND id % 2 = " + (a / 2 % 2));
                }
                return null;
              }, Durability.REPLICATED).get();
            }
            case TICK -> clock.advance(Duration.ofMillis(1 + a % 900));
            case JUMP -> clock.advance(Duration.ofMillis(1_000 + a % 120_000));
            case LEAP -> clock.advance(Duration.ofMillis(300_000 + (long) a * 29));  // 5 min to ~8 h
            case SNAPSHOT -> {
              long before = replicator.metrics().snapshotsUploaded();
              replicator.maintenanceStep().run("data", null);
              long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
              while (replicator.metrics().snapshotsUploaded() == before) {
                assertTrue(System.nanoTime() < deadline, "the requested snapshot landed within 30 s");
                Thread.sleep(2);
              }
            }
            case CHECKPOINT -> db.checkpoint(a % 2 == 0 ? CheckpointMode.TRUNCATE : CheckpointMode.PASSIVE).get();
            case RESTART, RESTART_STORE -> {
              closeReplicator(replicator, ownRetention, bucket, seen, clock, runs);
              if (step.kind() == Kind.RESTART_STORE) {
                store.close();
                store = open(live, clock);
              }
              // A third of the starts run the replicator's own retention, after every upload, 1 s to about 5 h.
              ownRetention = a % 3 == 0 ? Duration.ofMillis(Math.round(Math.pow(10, 3 + (a / 1_000_000.0) * 4.25)))
                  : null;
              replicator = Replicator.start(store.database("data"), options(bucket, clock, root, ownRetention));
            }
            case RETENTION -> {
              // Either 1 s to about 11 h, spread over the orders of magnitude, or a share of the history so far.
              long elapsed = Duration.between(START, clock.instant()).toMillis();
              long windowMillis = a % 2 == 0 ? Math.round(Math.pow(10, 3 + (a / 1_000_000.0) * 4.6))
                  : 1_000 + Math.round(elapsed * (a / 1_000_000.0));
              Instant cutoff = clock.instant().minusMillis(windowMillis);
              runs.add(retain(bucket, layout, lineage(replicator, bucket, layout), clock.instant(), cutoff, seen,
                  ownRetention == null, "after " + steps));
            }
          }
          seen.see(LineageCatalog.list(bucket, layout), clock.instant());
          Database now = store.database("data");
          long txid = now.lastTxid();
          if (txid > 0) {
            assertTrue(replicator.awaitReplicated(txid, Duration.ofSeconds(30)), "replicated after " + step);
            ReplicaPosition p = replicator.positionOf(txid).orElseThrow();
            if (points.isEmpty() || !points.get(points.size() - 1).position().equals(p)) {
              points.add(new Point(p, clock.instant(), now.read(Dumps::dump)));
            }
          }
        }
        last = store.database("data").read(Dumps::dump);
      } finally {
        closeReplicator(replicator, ownRetention, bucket, seen, clock, runs);
        store.close();
      }
      check(bucket, root, points, runs, last, random, steps);
    } finally {
      RestoreReplicateProperties.deleteTree(root);
    }
  }

  /**
   * Found while running the property (its listings showed a second lineage in histories that never forked):
   * a commit, a maintenance window with the replication snapshot step as the store's docs show it (its
   * TRUNCATE checkpoint empties the {@code -wal} file, then {@link Replicator#maintenanceStep()} requests a
   * snapshot), then a commit. The snapshot is read from the empty {@code -wal} file and records the shipped
   * position as offset 0; the next commit starts after the new WAL header, at offset 32, so the shipper sees
   * a gap ("commit 2 starts at WalPosition[salt1=…, salt2=…, offset=32] but replication is at
   * WalPosition[same salts, offset=0]: starting a new lineage") and starts a second lineage with a second
   * snapshot: none of the reasons FORMAT.md gives for a new lineage. No data is lost (every point still
   * restores, by lineage), but the lineage breaks whenever a requested snapshot is taken from an empty WAL
   * (also with a plain {@code db.checkpoint(TRUNCATE)} before the request). Fixed in SegmentBatch.contiguous:
   * offset 0 and offset 32 of one WAL both mean "no frame yet".
   */
  @Test
  void aRequestedSnapshotRightAfterATruncateCheckpointContinuesTheLineage() throws Exception {
    Path root = Files.createTempDirectory("retrepro");
    MutableClock clock = new MutableClock(START);
    Path bucketDir = Files.createDirectories(root.resolve("bucket"));
    try (ObjectStore bucket = new ClockedBucket(FileSystemObjectStore.create(bucketDir), bucketDir, clock);
        SqliteStore store = open(root.resolve("live"), clock)) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options(bucket, clock, root, null))) {
        r.write(c -> exec(c, "INSERT INTO t(id, v) VALUES (1, 'before')"), Durability.REPLICATED).get();
        // The documented window: its TRUNCATE checkpoint, then the replication snapshot step (a request).
        long before = r.metrics().snapshotsUploaded();
        var report = store.maintenance(io.litevault.store.MaintenancePlan.builder()
            .step("replication snapshot", r.maintenanceStep()).gateWait(Duration.ofSeconds(10)).build());
        assertTrue(report.succeeded(), report.toString());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (r.metrics().snapshotsUploaded() == before) {
          assertTrue(System.nanoTime() < deadline, "the requested snapshot landed within 30 s");
          Thread.sleep(2);
        }
        r.write(c -> exec(c, "INSERT INTO t(id, v) VALUES (2, 'after')"), Durability.REPLICATED).get();
        assertEquals(1, r.metrics().lineagesStarted(), "one lineage; the bucket holds "
            + LineageCatalog.list(bucket, new BucketLayout(PREFIX)).keySet() + " and " + keys(bucket));
      }
    } finally {
      RestoreReplicateProperties.deleteTree(root);
    }
  }

  private static ReplicatorOptions options(ObjectStore bucket, MutableClock clock, Path root, Duration ownRetention) {
    return ReplicatorOptions.builder(bucket, PREFIX).clock(clock)
        .minUploadInterval(Duration.ZERO).maxSegmentBytes(64 * 1024)
        .snapshotInterval(Duration.ofHours(2))
        .retention(ownRetention == null ? Duration.ofDays(36_500) : ownRetention)
        .retentionCheckInterval(ownRetention == null ? Duration.ofDays(36_500) : Duration.ofMillis(1))
        .compactionWindows(CompactionLevels.DEFAULT).workDirectory(root.resolve("work")).build();
  }

  /** The replicator's lineage; before its first upload after a start, the one it resumes: the newest. */
  private static String lineage(Replicator replicator, ObjectStore bucket, BucketLayout layout) {
    String current = replicator.health().lineage();
    if (current == null) {
      TreeMap<String, LineageCatalog.Lineage> all = new TreeMap<>(LineageCatalog.list(bucket, layout));
      current = all.isEmpty() ? null : all.lastKey();
    }
    return current;
  }

  /**
   * Closes a replicator; if it ran its own retention, records the most that retention may have deleted: its
   * runs came after uploads, at cutoffs no later than the clock at its close minus its window.
   */
  private static void closeReplicator(Replicator replicator, Duration ownRetention, ObjectStore bucket, Seen seen,
      MutableClock clock, List<Run> runs) {
    String current = lineage(replicator, bucket, seen.layout);
    replicator.close();
    seen.see(LineageCatalog.list(bucket, seen.layout), clock.instant());
    ownDeletes.addAndGet(replicator.metrics().objectsDeletedByRetention());
    if (ownRetention != null) {
      runs.add(seen.bound(clock.instant().minus(ownRetention), current));
    }
  }

  /**
   * What the listings after every step showed: each lineage's snapshots with their upload times, and its
   * newest upload time. A lineage's newest time can only be underestimated (an object deleted before a
   * listing saw it), which makes it look droppable sooner: the bound stays conservative.
   */
  private static final class Seen {
    final BucketLayout layout;
    final Map<String, TreeMap<Long, Instant>> snapshots = new HashMap<>();
    final Map<String, Instant> newest = new HashMap<>();

    Seen(BucketLayout layout) {
      this.layout = layout;
    }

    void see(Map<String, LineageCatalog.Lineage> listing, Instant now) {
      for (LineageCatalog.Lineage l : listing.values()) {
        for (ObjectInfo o : l.all()) {
          if (o.lastModified().isAfter(now)) {
            continue; // still being written: not stamped with the clock yet
          }
          newest.merge(l.id(), o.lastModified(), (x, y) -> x.isAfter(y) ? x : y);
          BucketLayout.Parsed p = layout.parse(o.key()).orElseThrow();
          if (p.snapshot()) {
            snapshots.computeIfAbsent(l.id(), k -> new TreeMap<>()).put(p.lastTxid(), o.lastModified());
          }
        }
      }
    }

    /** The most a retention run at a cutoff no later than {@code cutoff} can have taken. */
    Run bound(Instant cutoff, String current) {
      Set<String> dropped = new HashSet<>();
      Map<String, Long> bases = new HashMap<>();
      newest.forEach((l, t) -> {
        if (!l.equals(current) && t.isBefore(cutoff)) {
          dropped.add(l);
        }
      });
      snapshots.forEach((l, byTxid) -> byTxid.forEach((txid, t) -> {
        if (!t.isAfter(cutoff)) {
          bases.merge(l, txid, Math::max);
        }
      }));
      return new Run(cutoff, dropped, bases);
    }
  }

  /**
   * One retention run, judged against the listing just before it. With the replicator's own retention on,
   * that one may run meanwhile (after an upload the clock triggered) and take more: only what this run left
   * is judged then, not what went.
   */
  private static Run retain(ObjectStore bucket, BucketLayout layout, String current, Instant now, Instant cutoff,
      Seen seen, boolean alone, String what) {
    Map<String, LineageCatalog.Lineage> before = LineageCatalog.list(bucket, layout);
    seen.see(before, now);
    Set<String> dropped = new HashSet<>();
    Map<String, Long> bases = new HashMap<>();
    Set<String> doomed = new TreeSet<>();
    Set<String> kept = new TreeSet<>();
    for (LineageCatalog.Lineage l : before.values()) {
      Instant newest = l.all().stream().map(ObjectInfo::lastModified).max(Instant::compareTo).orElse(null);
      if (!l.id().equals(current) && newest != null && newest.isBefore(cutoff)) {
        dropped.add(l.id());
        l.all().forEach(o -> doomed.add(o.key()));
        continue;
      }
      Long base = null;
      for (ObjectInfo s : l.snapshots()) {
        long txid = layout.parse(s.key()).orElseThrow().lastTxid();
        if (!s.lastModified().isAfter(cutoff) && (base == null || txid > base)) {
          base = txid;
        }
      }
      for (ObjectInfo o : l.all()) {
        BucketLayout.Parsed p = layout.parse(o.key()).orElseThrow();
        boolean gone = base != null && (p.snapshot() ? p.lastTxid() < base
            : p.compacted() ? p.firstTxid() <= base : p.lastTxid() <= base);
        (gone ? doomed : kept).add(o.key());
      }
      if (base != null) {
        bases.put(l.id(), base);
      }
    }
    new Retention(bucket, layout, new ReplicationMetrics()).apply(current, cutoff);
    Set<String> after = new TreeSet<>();
    LineageCatalog.list(bucket, layout).values().forEach(l -> l.all().forEach(o -> after.add(o.key())));
    List<String> keptWithoutReason = doomed.stream().filter(after::contains).toList();
    assertEquals(List.of(), keptWithoutReason, "retention at cutoff " + cutoff + " (current lineage " + current
        + ", bases " + bases + ", dropped lineages " + dropped + ") kept objects no retained point needs; " + what);
    List<String> lost = alone ? kept.stream().filter(k -> !after.contains(k)).toList() : List.of();
    assertEquals(List.of(), lost, "retention at cutoff " + cutoff + " (bases " + bases + ") deleted objects it "
        + "must keep; " + what);
    retentionDeletes.addAndGet(doomed.size());
    return new Run(cutoff, dropped, bases);
  }

  private void check(ObjectStore bucket, Path root, List<Point> points, List<Run> runs, String last, Random random,
      List<Step> steps) throws Exception {
    // The latest state, with and without ranges.
    for (boolean ranges : new boolean[] {true, false}) {
      Path out = root.resolve("latest-" + ranges + ".db");
      Restore.run(RestoreOptions.builder(bucket, PREFIX, out).compactedRanges(ranges).build());
      assertEquals(last, Dumps.dump(out), "latest (ranges " + ranges + ") after " + steps);
      assertEquals("ok", Dumps.integrity(out));
    }
    Instant newestCutoff = runs.stream().map(Run::cutoff).max(Instant::compareTo).orElse(Instant.MIN);
    List<Point> protectedPoints = new ArrayList<>();
    for (Point p : points) {
      boolean kept = runs.stream().allMatch(r -> !r.droppedLineages().contains(p.position().lineage())
          && p.position().txid() >= r.baseTxids().getOrDefault(p.position().lineage(), 0L));
      if (kept) {
        protectedPoints.add(p);
      } else {
        assertFalse(p.committed().isAfter(newestCutoff), "point " + p.position() + " committed at " + p.committed()
            + ", after the newest cutoff " + newestCutoff + ", is not protected by the rule: " + runs);
      }
    }
    // The sample: the newest point, the first protected point of each lineage, then seeded random ones.
    TreeMap<Integer, Point> sample = new TreeMap<>();
    if (!protectedPoints.isEmpty()) {
      sample.put(protectedPoints.size() - 1, protectedPoints.get(protectedPoints.size() - 1));
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < protectedPoints.size() && sample.size() < SAMPLES; i++) {
      if (seen.add(protectedPoints.get(i).position().lineage())) {
        sample.put(i, protectedPoints.get(i));
      }
    }
    List<Integer> rest = new ArrayList<>();
    for (int i = 0; i < protectedPoints.size(); i++) {
      if (!sample.containsKey(i)) {
        rest.add(i);
      }
    }
    java.util.Collections.shuffle(rest, random);
    for (int i : rest) {
      if (sample.size() >= SAMPLES) {
        break;
      }
      sample.put(i, protectedPoints.get(i));
    }
    List<String> objects = keys(bucket);
    System.out.printf("try: %d steps, %d points (%d protected, %d restored), %d retention runs; bucket: %d objects, "
        + "%d of them ranges%n", steps.size(), points.size(), protectedPoints.size(), Math.min(SAMPLES,
        protectedPoints.size()), runs.size(), objects.size(),
        objects.stream().filter(k -> k.contains(".lvcr")).count());
    for (Point p : sample.values()) {
      restorePoint(bucket, root, p, true, steps);
      restorePoint(bucket, root, p, false, steps);
    }
  }

  private static void restorePoint(ObjectStore bucket, Path root, Point p, boolean ranges, List<Step> steps) {
    Path out = root.resolve("at-" + p.position().txid() + "-" + ranges + ".db");
    RestoreOptions o = RestoreOptions.builder(bucket, PREFIX, out).lineage(p.position().lineage())
        .txid(p.position().txid()).compactedRanges(ranges).build();
    String where = "restore at " + p.position() + " (committed " + p.committed() + ", ranges " + ranges + ") of "
        + keys(bucket) + " after " + steps;
    try {
      RestorePlan plan = Restore.plan(o);
      RestoreResult result = Restore.run(o, plan);
      assertEquals(p.position().txid(), result.txid(), where);
      if (plan.ranges() > 0) {
        assertTrue(ranges, "a plan without ranges holds none: " + plan.segments());
        restoresWithRanges.incrementAndGet();
        // A range that fails makes the restore start over without ranges: the plan run must be the one made.
        RestorePlan without = Restore.plan(RestoreOptions.builder(bucket, PREFIX, out).lineage(p.position().lineage())
            .txid(p.position().txid()).compactedRanges(false).build());
        if (without.objects() != plan.objects()) {
          assertEquals(plan.objects(), result.objects(), "fell back to the segments: a range of the plan "
              + plan.segments() + " is unusable; " + where);
        }
      }
      restores.incrementAndGet();
      assertEquals(p.dump(), Dumps.dump(out), where);
      assertEquals("ok", Dumps.integrity(out), where);
      Files.delete(out);
    } catch (AssertionError e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError(where + ": " + e, e);
    }
  }

  /** The bucket's lineage objects, for failure messages. */
  private static List<String> keys(ObjectStore bucket) {
    try (Stream<ObjectInfo> s = bucket.list(PREFIX + "/lineages/")) {
      return s.map(o -> o.key().substring(PREFIX.length() + "/lineages/".length()) + "@" + o.lastModified()).toList();
    }
  }

  private static int exec(java.sql.Connection c, String sql) throws java.sql.SQLException {
    try (var s = c.createStatement()) {
      return s.executeUpdate(sql);
    }
  }

  private static SqliteStore open(Path live, MutableClock clock) {
    return SqliteStore.builder(live).database("data", DatabaseOptions.builder().clock(clock).holdWalUntilGate(true)
        .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)").passiveCheckpointPages(40)
        .build()).open();
  }

  /**
   * A file bucket whose objects are last modified at the simulated clock's time of their upload, so retention
   * ages follow the clock the replicator and the store run on.
   */
  static final class ClockedBucket implements ObjectStore {
    private final ObjectStore delegate;
    private final Path root;
    private final MutableClock clock;

    ClockedBucket(ObjectStore delegate, Path root, MutableClock clock) {
      this.delegate = delegate;
      this.root = root;
      this.clock = clock;
    }

    private void stamp(String key) {
      try {
        Files.setLastModifiedTime(root.resolve(key), FileTime.from(clock.instant()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public PutResult put(String key, InputStream body, long length) {
      PutResult r = delegate.put(key, body, length);
      stamp(key);
      return r;
    }

    @Override
    public PutResult put(String key, byte[] body) {
      PutResult r = delegate.put(key, body);
      stamp(key);
      return r;
    }

    @Override
    public boolean putIfAbsent(String key, byte[] body) {
      boolean created = delegate.putIfAbsent(key, body);
      if (created) {
        stamp(key);
      }
      return created;
    }

    @Override
    public InputStream get(String key) {
      return delegate.get(key);
    }

    @Override
    public InputStream get(String key, long offset, long length) {
      return delegate.get(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
      return delegate.stat(key);
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
      return delegate.list(prefix);
    }

    @Override
    public Stream<ObjectInfo> listAfter(String prefix, String startAfter) {
      return delegate.listAfter(prefix, startAfter);
    }

    @Override
    public Stream<ListEntry> list(String prefix, String delimiter) {
      return delegate.list(prefix, delimiter);
    }

    @Override
    public void delete(String key) {
      delegate.delete(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) {
      delegate.deleteAll(keys);
    }

    @Override
    public void copy(String sourceKey, String targetKey) {
      delegate.copy(sourceKey, targetKey);
      stamp(targetKey);
    }

    @Override
    public void verify() {
      delegate.verify();
    }

    @Override
    public ObjectStoreMetrics metrics() {
      return delegate.metrics();
    }

    @Override
    public String describe() {
      return delegate.describe();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
