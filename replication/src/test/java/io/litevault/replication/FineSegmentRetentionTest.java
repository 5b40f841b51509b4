package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fineSegmentRetention}: five simulated hours of one REPLICATED write every 10 s on a real store,
 * snapshots every 2 h, retention a week, fine segments kept 1 h, the replicator's own retention every 30 min.
 * Then, against the dump the test took after every commit:
 * <ul>
 * <li>segments were dropped, and the latest state restores;
 * <li>every txid from {@code Restore.list}'s {@code everyTxidFrom} on restores, and that includes every
 *     segment of the last hour and every txid after the newest snapshot;
 * <li>every other txid either restores equal to the source or fails with NO_SUCH_POINT, never with other
 *     data and never with a missing object; the end of every kept compacted range restores;
 * <li>a restore to a time gives the source's state at the txid the whole history gives, or (only in the
 *     coarse part) fails with NO_SUCH_POINT naming an earlier restorable point.
 * </ul>
 * Replayable: the writes are seeded ({@link #SEED}).
 */
class FineSegmentRetentionTest {
  @TempDir Path dir;

  private static final long SEED = 20261202L;
  private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");

  @Test
  void oldHistoryKeepsTheRangeEndsAndEveryTxidOfTheLastHourRestores() throws Exception {
    MutableClock clock = new MutableClock(START);
    Path root = Files.createDirectories(dir.resolve("bucket"));
    // objects last modified at the simulated time of their upload: retention ages follow the clock
    ObjectStore bucket = new RetentionCompactionProperties.ClockedBucket(FileSystemObjectStore.create(root), root, clock);
    Random random = new Random(SEED);
    TreeMap<Long, String> dumps = new TreeMap<>(); // lineage txid -> dump after it
    TreeMap<Instant, Long> commits = new TreeMap<>(); // commit time -> lineage txid
    ReplicationMetrics metrics;
    String lineage;
    Instant lastRetention;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("store")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "r/data").clock(clock)
          .snapshotInterval(Duration.ofHours(2)).snapshotChainFraction(0).minUploadInterval(Duration.ZERO)
          .retention(Duration.ofDays(7)).fineSegmentRetention(Duration.ofHours(1))
          .retentionCheckInterval(Duration.ofMinutes(30)).workDirectory(dir.resolve("work")).build())) {
        for (int i = 0; i < 1_800; i++) {
          int id = i;
          int victim = 1 + random.nextInt(i + 1);
          r.write(c -> {
            try (var s = c.createStatement()) {
              s.executeUpdate("INSERT INTO post(author, body) VALUES ('a', 'row " + id + "')");
              if (id % 3 == 0) {
                s.executeUpdate("UPDATE post SET body = body || '+' WHERE id = " + victim);
              }
            }
            return null;
          }, Durability.REPLICATED).get();
          long txid = r.positionOf(db.lastTxid()).orElseThrow().txid();
          dumps.put(txid, db.read(Dumps::dump));
          commits.put(clock.instant(), txid);
          clock.advance(Duration.ofSeconds(10));
        }
        metrics = r.metrics();
        lineage = r.positionOf(db.lastTxid()).orElseThrow().lineage();
        lastRetention = clock.instant();
      }
    }
    assertTrue(metrics.fineSegmentsDropped() > 500, "segments dropped: " + metrics);

    Path out = dir.resolve("out.db");
    RestoreResult latest = Restore.run(RestoreOptions.builder(bucket, "r/data", out).force(true).build());
    assertEquals(dumps.lastKey(), latest.txid());
    assertEquals(dumps.lastEntry().getValue(), Dumps.dump(out), "the latest state");

    Restore.LineageSummary summary = Restore.list(bucket, "r/data").get(0);
    assertTrue(summary.everyTxidFrom() > summary.firstTxid(), "the list shows where every txid restores from: " + summary);
    long newestSnapshot = newestSnapshotTxid(bucket, lineage);
    assertTrue(summary.everyTxidFrom() <= newestSnapshot + 1, summary + ", newest snapshot " + newestSnapshot);
    for (ObjectInfo s : LineageCatalog.list(bucket, new BucketLayout("r/data")).get(lineage).segments()) {
      assertTrue(s.lastModified().isBefore(lastRetention.minus(Duration.ofMinutes(60)))
          || new BucketLayout("r/data").parse(s.key()).orElseThrow().firstTxid() >= summary.everyTxidFrom(),
          "a segment of the last hour is in the unbroken run: " + s);
    }

    List<Long> sample = new ArrayList<>();
    for (int k = 0; k < 40; k++) {
      sample.add(summary.everyTxidFrom() + random.nextInt((int) (dumps.lastKey() - summary.everyTxidFrom() + 1)));
    }
    for (long t : sample) {
      assertEquals(dumps.get(t), restoreAt(bucket, out, t), "txid " + t + " after everyTxidFrom");
    }

    int restored = 0;
    int refused = 0;
    for (int k = 0; k < 60; k++) {
      long t = dumps.firstKey() + random.nextInt((int) (summary.everyTxidFrom() - dumps.firstKey()));
      try {
        assertEquals(dumps.get(t), restoreAt(bucket, out, t), "txid " + t + " in the coarse part");
        restored++;
      } catch (RestoreException e) {
        assertEquals(RestoreException.Kind.NO_SUCH_POINT, e.kind(), e.getMessage());
        refused++;
      }
    }
    assertTrue(refused > 0, "some coarse txids are not restorable: " + restored + " restored");

    int rangeEnds = 0;
    for (ObjectInfo r : LineageCatalog.list(bucket, new BucketLayout("r/data")).get(lineage).ranges()) {
      long end = new BucketLayout("r/data").parse(r.key()).orElseThrow().lastTxid();
      if (end < summary.everyTxidFrom() && random.nextInt(8) == 0) {
        assertEquals(dumps.get(end), restoreAt(bucket, out, end), "the end of range " + r.key());
        rangeEnds++;
      }
    }
    assertTrue(rangeEnds > 5, "range ends checked: " + rangeEnds);

    for (int k = 0; k < 30; k++) {
      Instant at = START.plusSeconds(5 + random.nextInt(18_000));
      long wholeHistory = commits.floorEntry(at).getValue();
      RestoreResult r;
      try {
        r = Restore.run(RestoreOptions.builder(bucket, "r/data", out).timestamp(at).force(true).build());
      } catch (RestoreException e) {
        // A time inside a range whose segments are gone: refused loudly, never an older state quietly.
        assertEquals(RestoreException.Kind.NO_SUCH_POINT, e.kind(), e.getMessage());
        assertTrue(wholeHistory < summary.everyTxidFrom(), "refused in the fine part: " + at + ": " + e.getMessage());
        assertTrue(e.newestRestorable().txid() <= wholeHistory, e.getMessage());
        continue;
      }
      assertEquals(wholeHistory, r.txid(), "time " + at);
      assertEquals(dumps.get(r.txid()), Dumps.dump(out), "time " + at + " restored txid " + r.txid());
    }
    System.out.printf("fine-segment retention: %d dropped, every txid from %d of %d..%d; coarse sample %d restored, "
        + "%d refused; %d range ends restored%n", metrics.fineSegmentsDropped(), summary.everyTxidFrom(),
        summary.firstTxid(), summary.lastTxid(), restored, refused, rangeEnds);
  }

  @Test
  void aFineRetentionThatCannotWorkIsRefusedWhenBuilt() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("b")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReplicatorOptions.builder(bucket, "p").fineSegmentRetention(Duration.ofMinutes(10)));
    assertTrue(e.getMessage().contains("fineSegmentRetention") && e.getMessage().contains("PT10M"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ReplicatorOptions.builder(bucket, "p")
        .retention(Duration.ofDays(1)).fineSegmentRetention(Duration.ofDays(2)).build());
    assertTrue(e.getMessage().contains("at most retention"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ReplicatorOptions.builder(bucket, "p")
        .fineSegmentRetention(Duration.ofDays(2)).compactionWindows(List.of()).build());
    assertTrue(e.getMessage().contains("compaction windows"), e.getMessage());
    assertEquals(Duration.ofDays(3), ReplicatorOptions.builder(bucket, "p").retention(Duration.ofDays(3)).build()
        .fineSegmentRetention(), "unset, it is the retention");
  }

  private static String restoreAt(ObjectStore bucket, Path out, long txid) throws Exception {
    Restore.run(RestoreOptions.builder(bucket, "r/data", out).txid(txid).force(true).build());
    return Dumps.dump(out);
  }

  private static long newestSnapshotTxid(ObjectStore bucket, String lineage) {
    BucketLayout layout = new BucketLayout("r/data");
    List<ObjectInfo> snaps = LineageCatalog.list(bucket, layout).get(lineage).snapshots();
    if (snaps.isEmpty()) {
      fail("no snapshot");
    }
    return layout.parse(snaps.get(snaps.size() - 1).key()).orElseThrow().lastTxid();
  }
}
