package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
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
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile review of 2b26580..40b3ef8: time walk, fine-segment retention, the REPLICATED batch window, the Shipper split. */
class Review17Test {
  @TempDir Path dir;

  private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
  private static final String PREFIX = "r/data";

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
          r.write(ReplicationTest.insert("a", "row " + i), Durability.REPLICATED).get();
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

  private static byte[] read(ObjectStore bucket, String key) throws Exception {
    try (InputStream in = bucket.get(key)) {
      return in.readAllBytes();
    }
  }

  private static LineageCatalog.Lineage lineage(ObjectStore bucket, String id) {
    return LineageCatalog.list(bucket, new BucketLayout(PREFIX)).get(id);
  }

  private static RestoreResult restoreTo(ObjectStore bucket, Path out, Instant at, boolean ranges) {
    return Restore.run(RestoreOptions.builder(bucket, PREFIX, out).timestamp(at).force(true).compactedRanges(ranges)
        .build());
  }

  /**
   * fineSegmentRetention dropped the segments of the coarse part (as documented); one 10 s range there then
   * has an unreadable header. A restore to a time later in the same 1-minute range must either give the state
   * at that time or fail loudly (FORMAT.md: "never an older state quietly"). walkToTime replaced the
   * 1-minute range (a commit after the time) by the 10 s ranges, which reached its end, so timeInside is
   * true; then the corrupt 10 s range is "left out and the chain found again", which reaches nothing past
   * the range before it. timeInside stays true, checkNoGap is skipped: it restores the state at the end of
   * the 10 s range before the corrupt one, silently.
   */
  @Test
  void timeRestoreInTheCoarsePartOverACorruptNestedRangeSilentlyGivesAnOlderState() throws Exception {
    MutableClock clock = new MutableClock(START);
    Path root = Files.createDirectories(dir.resolve("bucket"));
    ObjectStore bucket = new RetentionCompactionProperties.ClockedBucket(FileSystemObjectStore.create(root), root, clock);
    History h = replicate(bucket, clock, 200, Duration.ofSeconds(1), b -> b.snapshotInterval(Duration.ofSeconds(100))
        .compactionWindows(List.of(Duration.ofSeconds(10), Duration.ofMinutes(1))));
    BucketLayout layout = new BucketLayout(PREFIX);
    ReplicationMetrics metrics = new ReplicationMetrics();
    new Retention(bucket, layout, metrics).apply(h.lineage(), clock.instant().minus(Duration.ofDays(7)),
        clock.instant().minus(Duration.ofSeconds(60)));
    assertTrue(metrics.fineSegmentsDropped() > 50, metrics.toString());
    LineageCatalog.Lineage l = lineage(bucket, h.lineage());
    // the 10 s range holding txid 15 (its segments were dropped), and a time in the 10 s range after the next one
    ObjectInfo corrupt = l.ranges().stream().filter(o -> {
      BucketLayout.Parsed p = layout.parse(o.key()).orElseThrow();
      return p.level() == 1 && p.firstTxid() <= 15 && p.lastTxid() >= 15;
    }).findFirst().orElseThrow();
    long corruptFirst = layout.parse(corrupt.key()).orElseThrow().firstTxid();
    assertTrue(l.segments().stream().noneMatch(o -> {
      BucketLayout.Parsed p = layout.parse(o.key()).orElseThrow();
      return p.firstTxid() <= 15 && p.lastTxid() >= 15;
    }), "txid 15's segment was dropped by fineSegmentRetention");
    long x = 36;
    Instant at = h.commits().entrySet().stream().filter(e -> e.getValue() == x).findFirst().orElseThrow().getKey()
        .plusMillis(500);
    Path out = dir.resolve("out.db");
    // Before the corruption: loud (the time is inside a 10 s range whose segments were dropped), as documented.
    RestoreException before = org.junit.jupiter.api.Assertions.assertThrows(RestoreException.class,
        () -> restoreTo(bucket, out, at, true));
    assertEquals(RestoreException.Kind.NO_SUCH_POINT, before.kind(), before.getMessage());

    byte[] b = read(bucket, corrupt.key());
    b[0] ^= 0x01;
    bucket.put(corrupt.key(), b);
    RestoreResult r;
    try {
      r = restoreTo(bucket, out, at, true);
    } catch (RestoreException e) {
      return; // loud: fine
    }
    assertEquals(x, r.txid(), "restore to the time of txid " + x + " (range " + corrupt.key()
        + " has a corrupt header) returned txid " + r.txid() + "; the range before it ends at " + (corruptFirst - 1));
    assertEquals(h.dumps().get(x), Dumps.dump(out));
  }

  /**
   * One segment lost: the last one before a snapshot that covered commits waiting for an upload (a
   * requested snapshot under minUploadInterval). A restore to a time after that segment's commit and before
   * the snapshot's commit starts from the snapshot before; its chain stops one txid short. checkNoGap's
   * "a later snapshot continues the chain" (the snapshot's txid lies between the chain's end and the next
   * segment) takes the gap for the normal pause before a snapshot and returns: the restore silently gives
   * the state before the lost commit. From the segments alone, the same: the rule is not about ranges.
   */
  @Test
  void aLostSegmentJustBeforeASnapshotIsTakenForTheSnapshotsPause() throws Exception {
    MutableClock clock = new MutableClock(START);
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    TreeMap<Long, String> dumps = new TreeMap<>();
    TreeMap<Long, Instant> times = new TreeMap<>();
    String lineageId;
    long n;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("store")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, PREFIX).clock(clock)
          .snapshotInterval(Duration.ofDays(2)).snapshotChainFraction(0).minUploadInterval(Duration.ofHours(1))
          .replicatedBatchWindow(Duration.ZERO).compactionWindows(List.of()).workDirectory(dir.resolve("work")).build())) {
        for (int i = 0; i < 5; i++) {
          r.write(ReplicationTest.insert("a", "row " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
          long txid = r.positionOf(db.lastTxid()).orElseThrow().txid();
          dumps.put(txid, db.read(Dumps::dump));
          times.put(txid, clock.instant());
          clock.advance(Duration.ofSeconds(1));
        }
        n = dumps.lastKey();
        // a LOCAL commit waits for the next upload (an hour away); a requested snapshot takes it
        r.write(ReplicationTest.insert("a", "local"), Durability.LOCAL).get(10, TimeUnit.SECONDS);
        clock.advance(Duration.ofSeconds(1));
        r.maintenanceStep().run("data", null);
        assertTrue(r.awaitReplicated(db.lastTxid(), Duration.ofSeconds(20)));
        assertEquals(n + 1, r.positionOf(db.lastTxid()).orElseThrow().txid(), "the snapshot took the LOCAL commit");
        for (int i = 0; i < 2; i++) {
          r.write(ReplicationTest.insert("a", "after " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
          clock.advance(Duration.ofSeconds(1));
        }
        lineageId = r.positionOf(db.lastTxid()).orElseThrow().lineage();
      }
    }
    BucketLayout layout = new BucketLayout(PREFIX);
    LineageCatalog.Lineage l = lineage(bucket, lineageId);
    long last = n;
    ObjectInfo lost = l.segments().stream().filter(o -> layout.parse(o.key()).orElseThrow().lastTxid() == last)
        .findFirst().orElseThrow();
    assertEquals(n, layout.parse(lost.key()).orElseThrow().firstTxid());
    bucket.deleteAll(List.of(lost.key()));
    Instant at = times.get(n).plusMillis(500); // after commit n, before the LOCAL commit the snapshot holds
    for (boolean ranges : new boolean[] {false, true}) {
      Path out = dir.resolve("out-" + ranges + ".db");
      RestoreResult r;
      try {
        r = restoreTo(bucket, out, at, ranges);
      } catch (RestoreException e) {
        continue; // loud: fine
      }
      assertEquals(n, r.txid(), "time of txid " + n + " (its segment lost, snapshot at " + (n + 1) + "), ranges "
          + ranges + ": restored txid " + r.txid() + " silently");
      assertEquals(dumps.get(n), Dumps.dump(out));
    }
  }

  /**
   * README / ReplicatorOptions: the batch window "applies only while REPLICATED writers run concurrently: one
   * caller waiting for each ack never waits". One caller, each write acknowledged before the next, after
   * idle pauses longer than minUploadInterval: no ack should take anywhere near the (1 s) window.
   */
  @Test
  void oneSequentialReplicatedWriterNeverPaysTheBatchWindow() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, PREFIX).compactionWindows(List.of())
          .replicatedBatchWindow(Duration.ofSeconds(1)).build())) {
        r.write(ReplicationTest.insert("a", "first"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        for (int round = 0; round < 8; round++) {
          Thread.sleep(1_100); // past minUploadInterval (1 s): the next commit's upload is due on its own
          for (int i = 0; i < 3; i++) {
            r.write(ReplicationTest.insert("a", "r" + round + "w" + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
          }
        }
        // Counted, not timed (the ack of a held write took ~1 s before the fix: 4 groups of 8).
        assertEquals(0, r.metrics().uploadsHeldByBatchWindow(), "one sequential caller paid the batch window: "
            + r.metrics());
      }
    }
  }
}
