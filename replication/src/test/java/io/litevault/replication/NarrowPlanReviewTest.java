package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import io.litevault.bucket.OperationStats;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
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
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile review of the narrow restore listing (NarrowListing, listAfter, plannedHere). */
class NarrowPlanReviewTest {
  static final String PREFIX = "r/data";
  @TempDir Path dir;

  record Run(Path bucketDir, ObjectStore bucket, String lineage, TreeMap<Long, String> expected, String last) {}

  /** One segment per write (REPLICATED, no upload interval), 1/2/4 s windows, the clock 300 ms a write. */
  private Run history(String name, int writes, long seed) throws Exception {
    Path bucketDir = Files.createDirectories(dir.resolve(name + "-bucket"));
    ObjectStore bucket = FileSystemObjectStore.create(FileSystemOptions.builder(bucketDir).fsync(false).build());
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    Random random = new Random(seed);
    TreeMap<Long, String> expected = new TreeMap<>();
    String lineage = null;
    String last;
    try (SqliteStore store = SqliteStore.builder(dir.resolve(name)).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, PREFIX).clock(clock)
          .snapshotInterval(Duration.ofDays(365)).snapshotChainFraction(0).minUploadInterval(Duration.ZERO)
          .compactionWindows(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4)))
          .workDirectory(dir.resolve(name + "-work")).build())) {
        for (int i = 0; i < writes; i++) {
          int id = i;
          r.write(c -> {
            try (var s = c.createStatement()) {
              s.executeUpdate("INSERT INTO post(author, body) VALUES ('a', '" + "x".repeat(20 + id % 200) + "')");
              if (id % 5 == 4) {
                s.executeUpdate("DELETE FROM post WHERE id = " + (id / 2 + 1));
              }
            }
            return null;
          }, Durability.REPLICATED).get(30, TimeUnit.SECONDS);
          var pos = r.positionOf(db.lastTxid()).orElseThrow();
          lineage = pos.lineage();
          expected.put(pos.txid(), db.read(Dumps::dump));
          clock.advance(Duration.ofMillis(100 + random.nextInt(600)));
        }
        last = db.read(Dumps::dump);
      }
    }
    return new Run(bucketDir, bucket, lineage, expected, last);
  }

  private static Map<Operation, Long> requests(ObjectStore s) {
    Map<Operation, Long> out = new EnumMap<>(Operation.class);
    for (Map.Entry<Operation, OperationStats> e : s.metrics().snapshot().entrySet()) {
      out.put(e.getKey(), e.getValue().requests());
    }
    return out;
  }

  /**
   * A caller plans first (the CLI's dry run, RestoreOnBoot) and runs that plan; a range of it is corrupt, so
   * run re-plans without ranges. The result's request count must be the requests sent: the first plan's, the
   * re-plan's and the downloads. It adds the re-plan's requests twice (they are in the count since
   * {@code before} and in {@code plan.requests()}, plan now being the re-plan) and the first plan's never.
   */
  @Test
  void aPlanMadeBeforeRunThenARangeFailingCountsTheRequestsSent() throws Exception {
    Run run = history("count", 60, 1);
    Path out = dir.resolve("out.db");
    RestoreOptions o = RestoreOptions.builder(run.bucket(), PREFIX, out).build();
    Map<Operation, Long> before = requests(run.bucket());
    RestorePlan plan = Restore.plan(o);
    String range = plan.segments().stream().filter(k -> k.endsWith(".lvcr")).findFirst().orElseThrow();
    Path file = run.bucketDir().resolve(range);
    byte[] b = Files.readAllBytes(file);
    b[b.length / 2] ^= 0x55; // corrupt: the restore falls back to the segments
    Files.write(file, b);
    Map<Operation, Long> afterPlan = requests(run.bucket());
    RestoreResult r = Restore.run(o, plan);
    assertEquals(run.last(), Dumps.dump(out));
    Map<Operation, Long> after = requests(run.bucket());
    long sentLists = after.get(Operation.LIST) - before.get(Operation.LIST);
    assertEquals(sentLists, (long) r.requests().getOrDefault(Operation.LIST, 0L),
        "LIST requests sent: plan " + (afterPlan.get(Operation.LIST) - before.get(Operation.LIST)) + " + run "
            + (after.get(Operation.LIST) - afterPlan.get(Operation.LIST)) + "; reported " + r.requests());
  }

  /**
   * A legacy-layout lineage directory ({@code <lineage>%d}) beside the plain lineages: the full listing
   * refuses the bucket (Listing.refuseLegacyInPlain). The narrow listing's '/' listing of lineages/ does not,
   * skips the name (no LINEAGE match) and restores the older plain lineage silently.
   */
  @Test
  void aLegacyLineageDirectoryIsRefusedNotSkipped() throws Exception {
    Run run = history("legacy", 30, 2);
    Path lineages = run.bucketDir().resolve(PREFIX).resolve("lineages");
    String newer = "29991231T235959999Z-0123abcd"; // sorts after the real lineage
    Path legacyDir = Files.createDirectories(lineages.resolve(newer + "%d").resolve("snapshots%d"));
    Files.writeString(legacyDir.resolve("0000000000000001.lvsn"), "x");
    Path full = dir.resolve("full.db");
    RestoreException refused = null;
    try {
      Restore.run(RestoreOptions.builder(run.bucket(), PREFIX, full).compactedRanges(false).build());
    } catch (RuntimeException e) {
      // the full listing refuses the mixed layout
    }
    assertFalse(Files.exists(full), "the full listing restores nothing");
    Path narrow = dir.resolve("narrow.db");
    String outcome;
    try {
      RestoreResult r = Restore.run(RestoreOptions.builder(run.bucket(), PREFIX, narrow).build());
      outcome = "restored lineage " + r.lineage() + " txid " + r.txid();
    } catch (RuntimeException e) {
      outcome = "refused: " + e;
    }
    assertTrue(outcome.startsWith("refused"), outcome);
  }

  /** Every txid and the latest: the narrow plan restores what the segments alone restore. */
  @Test
  void narrowPlansEqualTheSegmentsAloneAtEveryTxid() throws Exception {
    List<String> failures = new ArrayList<>();
    for (int seed = 3; seed < 5; seed++) {
      Run run = history("eq" + seed, 80, seed);
      long lastTxid = run.expected().lastKey();
      for (long t = 1; t <= lastTxid + 1; t++) {
        String a = restore(run, t, true);
        String b = restore(run, t, false);
        if (!a.equals(b)) {
          failures.add("seed " + seed + " txid " + t + ": narrow " + abbrev(a) + " vs segments " + abbrev(b));
        }
      }
      String a = restore(run, -1, true);
      if (!a.equals(lastTxid + ":" + run.last())) {
        failures.add("seed " + seed + " latest: " + abbrev(a));
      }
    }
    assertEquals(List.of(), failures);
  }

  /**
   * A segment crossing the end of the ranges (the shape the previous compactor, with windows by transaction,
   * left when a process died after closing a range in the middle of the last segment; or any hand-made or
   * foreign bucket): ranges reach R, the last segment is [R..last]. listAfter(segments/R-ffff..) lists
   * nothing, NarrowListing takes the empty listing as "the ranges reach the end" and the plan stops at R; the
   * full listing reaches last. The latest restore silently returns an older state.
   */
  @Test
  void aSegmentAcrossTheRangesEndIsNotSkippedByTheLatestRestore() throws Exception {
    Run run = history("straddle", 60, 5);
    io.litevault.replication.format.BucketLayout layout = new io.litevault.replication.format.BucketLayout(PREFIX);
    io.litevault.replication.format.LineageCatalog.Lineage l =
        io.litevault.replication.format.LineageCatalog.list(run.bucket(), layout).get(run.lineage());
    long last = run.expected().lastKey();
    long r = -1;
    for (var o : l.ranges()) {
      long e = layout.parse(o.key()).orElseThrow().lastTxid();
      if (e < last - 3) {
        r = Math.max(r, e);
      }
    }
    assertTrue(r > 0, "a range ends before the last 3 txids");
    for (var o : l.ranges()) { // the ranges after r are gone (a crash before they were written)
      if (layout.parse(o.key()).orElseThrow().lastTxid() > r) {
        run.bucket().delete(o.key());
      }
    }
    // one segment [r..last] instead of [r..r], [r+1..], ..., [..last]
    List<io.litevault.replication.format.Segment.Txn> txns = new ArrayList<>();
    io.litevault.replication.format.Segment first = null;
    io.litevault.replication.format.Segment lastSeg = null;
    for (var o : l.segments()) {
      var p = layout.parse(o.key()).orElseThrow();
      if (p.lastTxid() >= r) {
        byte[] body;
        try (var in = run.bucket().get(o.key())) {
          body = in.readAllBytes();
        }
        var seg = io.litevault.replication.format.SegmentCodec.decode(body, o.key());
        if (first == null) {
          assertEquals(r, p.firstTxid(), "one segment a write");
          first = seg;
        }
        lastSeg = seg;
        txns.addAll(seg.transactions());
        run.bucket().delete(o.key());
      }
    }
    run.bucket().put(layout.segment(run.lineage(), r, last), io.litevault.replication.format.SegmentCodec.encode(
        new io.litevault.replication.format.Segment(first.lineage(), first.pageSize(), first.checksumBefore(), txns,
            lastSeg.walEnd()), io.litevault.replication.format.Codec.ZSTD));
    assertEquals(last + ":" + run.last(), restore(run, -1, false), "the segments alone reach the last txid");
    assertEquals(last + ":" + run.last(), restore(run, -1, true), "ranges end at " + r + "; plan "
        + Restore.plan(RestoreOptions.builder(run.bucket(), PREFIX, dir.resolve("x.db")).build()).segments());
  }

  private static String abbrev(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "…" : s;
  }

  private String restore(Run run, long txid, boolean ranges) throws Exception {
    Path out = dir.resolve("r-" + System.nanoTime() + ".db");
    try {
      RestoreOptions.Builder b = RestoreOptions.builder(run.bucket(), PREFIX, out).compactedRanges(ranges);
      if (txid >= 0) {
        b.txid(txid);
      }
      RestoreResult r = Restore.run(b.build());
      return r.txid() + ":" + Dumps.dump(out);
    } catch (RestoreException e) {
      return "error " + e.kind();
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
