package io.litevault.replication;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.Codec;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.Segment;
import io.litevault.replication.format.SegmentCodec;
import io.litevault.replication.format.SnapshotCodec;
import io.litevault.replication.restore.IntegrityCheck;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestorePlan;
import io.litevault.replication.restore.RestoreResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overlapping segments: a PUT whose answer was lost is retried by the shipper with more commits batched,
 * under a new key ({@code first..last'}), so the bucket holds segments covering the same transactions
 * twice. Restore chains them, cutting the transactions already applied, with the fewest objects, and
 * treats two segments that disagree about a transaction as corruption.
 */
class OverlappingSegmentsTest {
  private static final String PREFIX = "o/data";

  @TempDir Path dir;

  /**
   * The case that made overlapping segments in the field, through a real replicator and a real S3
   * server: since the shipper retries a failed put with the same key and bytes, it now leaves no
   * overlap, and the bucket restores through both clients. (Older buckets may still hold overlaps:
   * the hand-made cases below cover those.)
   */
  @Test
  void aLostPutAnswerRetriedWhileMoreCommitsWaitLeavesNoOverlapAndRestores() throws Exception {
    try (EmbeddedS3 s3 = EmbeddedS3.start()) {
      S3Options s3Options = S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString()).region(s3.region())
          .credentials(s3.accessKey(), s3.secretKey()).build();
      String expected;
      long lastTxid;
      try (ObjectStore minio = MinioObjectStore.create(s3Options)) {
        FaultyObjectStore bucket = new FaultyObjectStore(minio);
        try (SqliteStore store = open(dir.resolve("live"))) {
          Database db = store.database("data");
          try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, PREFIX)
              .minUploadInterval(Duration.ofMillis(10)).retryBackoff(Duration.ofMillis(400), Duration.ofSeconds(1)).build())) {
            for (int i = 0; i < 3; i++) {
              r.write(ReplicationTest.insert("ada", "before " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
            }
            bucket.failAfterPut(1, ErrorKind.TIMEOUT); // stored, but the shipper hears a timeout
            var lost = r.write(ReplicationTest.insert("ada", "answer lost"), Durability.REPLICATED);
            Thread.sleep(100); // the put failed; the shipper waits 400 ms before it retries
            for (int i = 0; i < 3; i++) {
              r.write(ReplicationTest.insert("bob", "during the backoff " + i), Durability.LOCAL).get(10, TimeUnit.SECONDS);
            }
            lost.get(10, TimeUnit.SECONDS);
            r.write(ReplicationTest.insert("cy", "after"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
            expected = db.read(Dumps::dump);
            lastTxid = r.positionOf(db.lastTxid()).orElseThrow().txid();
          }
        }
        assertFalse(hasOverlap(minio), "the retry wrote an overlapping segment: " + segmentKeys(minio));
      }
      for (ObjectStore client : List.of(MinioObjectStore.create(s3Options), S3ObjectStore.create(s3Options))) {
        try (client) {
          Path out = dir.resolve("restored-" + client.getClass().getSimpleName() + ".db");
          RestoreResult result = Restore.run(RestoreOptions.builder(client, PREFIX, out).build());
          assertEquals(lastTxid, result.txid());
          assertEquals(expected, Dumps.dump(out));
          assertEquals("ok", Dumps.integrity(out));
        }
      }
    }
  }

  /** {@code …02-…02} and {@code …02-…03} side by side (and the rest of the chain after them). */
  @Test
  void aDuplicateAndALongerSegmentWithTheSameFirstTxidRestoreAtEveryTxid() throws Exception {
    Source src = Source.replicate(dir.resolve("src"), 8);
    ObjectStore bucket = bucket("dup");
    src.copySnapshot(bucket);
    src.put(bucket, 2, 2);
    src.put(bucket, 2, 3);
    src.put(bucket, 4, src.last);
    for (long t = 1; t <= src.last; t++) {
      Path out = dir.resolve("dup-" + t + ".db");
      RestoreResult r = Restore.run(RestoreOptions.builder(bucket, PREFIX, out).txid(t).build());
      assertEquals(t, r.txid());
      assertEquals(-1, Files.mismatch(out, src.reference(t)), "txid " + t + " restores the same bytes as the original bucket");
    }
    Path latest = dir.resolve("dup-latest.db");
    Restore.run(RestoreOptions.builder(bucket, PREFIX, latest).build());
    assertEquals(src.states.get(src.last), Dumps.dump(latest));
    assertEquals(List.of(src.key(2, 3), src.key(4, src.last)), Restore.plan(RestoreOptions.builder(bucket, PREFIX, latest)
        .build()).segments(), "the fewest objects: the duplicate is not downloaded");
  }

  @Test
  void theChainIsTheOneWithTheFewestObjects() throws Exception {
    Source src = Source.replicate(dir.resolve("src"), 10);
    ObjectStore bucket = bucket("fewest");
    src.copySnapshot(bucket);
    for (long t = 2; t <= src.last; t++) {
      src.put(bucket, t, t); // one per transaction, as a quiet replicator uploads them
    }
    src.put(bucket, 2, 6);
    src.put(bucket, 3, 9);
    src.put(bucket, 5, src.last);
    Path out = dir.resolve("fewest.db");
    RestorePlan plan = Restore.plan(RestoreOptions.builder(bucket, PREFIX, out).build());
    assertEquals(List.of(src.key(2, 6), src.key(5, src.last)), plan.segments());
    Restore.run(RestoreOptions.builder(bucket, PREFIX, out).build());
    assertEquals(-1, Files.mismatch(out, src.reference(src.last)));
    RestorePlan toFour = Restore.plan(RestoreOptions.builder(bucket, PREFIX, out).txid(4).build());
    assertEquals(1, toFour.segments().size(), toFour.toString());
  }

  /** The replicator resumes from the tip: the segment reaching furthest, not the last in key order. */
  @Test
  void theTipOfALineageIsTheSegmentThatReachesFurthest() throws Exception {
    Source src = Source.replicate(dir.resolve("src"), 6);
    ObjectStore bucket = bucket("tip");
    src.copySnapshot(bucket);
    src.put(bucket, 2, 6);
    src.put(bucket, 3, 4); // sorts after 2..6 by key
    LineageCatalog.Tip tip = LineageCatalog.newestTip(bucket, new BucketLayout(PREFIX));
    assertEquals(6, tip.txid());
    assertEquals(src.checksumAfter(6), tip.checksumAfter());
  }

  /** The message named the range backwards ("txids 3..1") when an overlapping segment followed. */
  @Test
  void aGapAfterOverlappingSegmentsIsNamedAsAForwardRange() throws Exception {
    Source src = Source.replicate(dir.resolve("src"), 8);
    ObjectStore bucket = bucket("gap");
    src.copySnapshot(bucket);
    src.put(bucket, 2, 2);
    src.put(bucket, 2, 3);
    src.put(bucket, 6, src.last); // 4..5 missing
    RestoreException e = assertThrows(RestoreException.class,
        () -> Restore.run(RestoreOptions.builder(bucket, PREFIX, dir.resolve("gap.db")).build()));
    assertEquals(RestoreException.Kind.MISSING_OBJECT, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("segments for txids 4..5 "), e.getMessage());
    assertEquals(3, e.newestRestorable().txid(), e.getMessage());
    assertFalse(Files.exists(dir.resolve("gap.db")));
  }

  @Test
  void overlappingSegmentsThatDisagreeAboutATransactionAreCorruptionNamingBothKeys() throws Exception {
    Source src = Source.replicate(dir.resolve("src"), 8);
    ObjectStore bucket = bucket("fork");
    src.copySnapshot(bucket);
    src.put(bucket, 2, 4);
    // Another history for txid 3..6: internally consistent (its own CRC, its own checksums), but its
    // txid 3 is not the one the first segment holds.
    List<Segment.Txn> forked = new ArrayList<>();
    for (long t = 3; t <= 6; t++) {
      Segment.Txn x = src.txns.get(t);
      forked.add(new Segment.Txn(t, x.timestampMillis(), x.dbSizePages(), x.checksumAfter() ^ (t == 3 ? 1 : 0), x.pages()));
    }
    String forkKey = src.key(3, 6);
    bucket.put(forkKey, SegmentCodec.encode(new Segment(src.lineage, src.pageSize, src.checksumAfter(2), forked,
        src.walEnd), Codec.ZSTD));
    src.put(bucket, 7, src.last);
    RestoreException e = assertThrows(RestoreException.class,
        () -> Restore.run(RestoreOptions.builder(bucket, PREFIX, dir.resolve("fork.db")).build()));
    assertEquals(RestoreException.Kind.CONFLICTING_SEGMENTS, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains(src.key(2, 4)) && e.getMessage().contains(forkKey), e.getMessage());
    assertTrue(e.getMessage().contains("txid 3"), e.getMessage());
    assertFalse(e.getMessage().contains("--"), "no command-line flag in a library message: " + e.getMessage());
    assertFalse(Files.exists(dir.resolve("fork.db")));
  }

  /**
   * Random splits of the same transactions into overlapping segments (duplicates, longer retries,
   * stragglers) always restore the same database, at the latest txid and at a random one. A plain seeded
   * loop: the seed of a failing try is in the message.
   */
  @Test
  void randomOverlappingSplitsAlwaysRestoreTheSameDatabase() throws Exception {
    Source src = Source.replicate(dir.resolve("src"), 24);
    long base = Long.getLong("litevault.seed", System.nanoTime());
    int tries = Integer.getInteger("litevault.tries", 40);
    for (int i = 0; i < tries; i++) {
      long seed = base + i;
      try {
        Random random = new Random(seed);
        ObjectStore bucket = bucket("split-" + i);
        src.copySnapshot(bucket);
        List<long[]> ranges = randomCover(random, 2, src.last);
        for (long[] r : ranges) {
          src.put(bucket, r[0], r[1]);
        }
        if (random.nextBoolean()) { // a later snapshot, which segments straddle
          src.putSnapshot(bucket, 2 + random.nextInt((int) src.last - 2));
        }
        Path out = dir.resolve("split-" + i + ".db");
        RestoreResult latest = Restore.run(RestoreOptions.builder(bucket, PREFIX, out).parallelism(1 + random.nextInt(4))
            .build());
        assertEquals(src.last, latest.txid());
        assertEquals(-1, Files.mismatch(out, src.reference(src.last)), "latest");
        long t = 1 + random.nextInt((int) src.last);
        Path at = dir.resolve("split-" + i + "-at.db");
        Restore.run(RestoreOptions.builder(bucket, PREFIX, at).txid(t).integrityCheck(IntegrityCheck.QUICK).build());
        assertEquals(-1, Files.mismatch(at, src.reference(t)), "txid " + t);
        assertEquals(src.states.get(t), Dumps.dump(at), "txid " + t);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("try " + i + " failed; rerun with -Dlitevault.seed=" + seed + " -Dlitevault.tries=1: " + e, e);
      }
    }
  }

  /** Ranges covering first..last without gaps, overlapping at random, plus duplicates and stragglers. */
  private static List<long[]> randomCover(Random random, long first, long last) {
    List<long[]> out = new ArrayList<>();
    long covered = first - 1;
    while (covered < last) {
      long from = Math.max(first, covered + 1 - random.nextInt(4)); // overlap up to 3 applied transactions
      long to = Math.min(last, covered + 1 + random.nextInt(5));
      out.add(new long[] {from, to});
      if (random.nextInt(4) == 0) {
        out.add(new long[] {from, Math.min(last, to + 1 + random.nextInt(3))}); // a retry with more commits
      }
      covered = to;
    }
    for (int i = random.nextInt(4); i > 0; i--) {
      long from = first + random.nextInt((int) (last - first + 1));
      out.add(new long[] {from, Math.min(last, from + random.nextInt(4))});
    }
    return out;
  }

  private ObjectStore bucket(String name) throws Exception {
    return FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("bucket-" + name)))
        .fsync(false).build());
  }

  private static SqliteStore open(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder().migration(1, "post", ReplicationTest.SCHEMA)
        .build()).open();
  }

  private static boolean hasOverlap(ObjectStore bucket) {
    BucketLayout layout = new BucketLayout(PREFIX);
    long end = -1;
    for (String key : segmentKeys(bucket)) {
      BucketLayout.Parsed p = layout.parse(key).orElseThrow();
      if (p.firstTxid() <= end) {
        return true;
      }
      end = Math.max(end, p.lastTxid());
    }
    return false;
  }

  private static List<String> segmentKeys(ObjectStore bucket) {
    List<String> keys = new ArrayList<>();
    for (LineageCatalog.Lineage l : LineageCatalog.list(bucket, new BucketLayout(PREFIX)).values()) {
      l.segments().forEach(o -> keys.add(o.key()));
    }
    return keys;
  }

  /**
   * A replicated source database: its snapshot, every transaction (decoded from the segments the
   * replicator wrote), the content at every txid, and reference restores of the original bucket.
   */
  private static final class Source {
    final ObjectStore original;
    final Path dir;
    final TreeMap<Long, Segment.Txn> txns = new TreeMap<>();
    final Map<Long, String> states = new LinkedHashMap<>();
    final Map<Long, Path> references = new TreeMap<>();
    String lineage;
    String snapshotKey;
    long snapshotChecksum;
    int pageSize;
    io.litevault.store.WalPosition walEnd;
    long last;

    private Source(ObjectStore original, Path dir) {
      this.original = original;
      this.dir = dir;
    }

    /** Replicates a schema and {@code writes} varied transactions (one segment each, mostly). */
    static Source replicate(Path dir, int writes) throws Exception {
      ObjectStore original = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(
          dir.resolve("bucket"))).fsync(false).build());
      Source s = new Source(original, dir);
      Random random = new Random(42);
      try (SqliteStore store = open(dir.resolve("live"))) {
        Database db = store.database("data");
        try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(original, PREFIX).minUploadInterval(Duration.ZERO)
            .build())) {
          for (int i = 0; i < writes; i++) {
            int kind = i % 5;
            int n = i;
            r.write(c -> {
              try (var st = c.createStatement()) {
                switch (kind) {
                  case 0, 1 -> st.executeUpdate("INSERT INTO post(author, body) SELECT 'w" + n + "', hex(randomblob("
                      + (50 + random.nextInt(3000)) + ")) FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)");
                  case 2 -> st.executeUpdate("UPDATE post SET body = body || 'x' WHERE id % 3 = " + (n % 3));
                  case 3 -> st.executeUpdate("DELETE FROM post WHERE id % 4 = " + (n % 4));
                  default -> {
                    st.executeUpdate("CREATE TABLE IF NOT EXISTS t" + n + "(v TEXT)");
                    st.executeUpdate("INSERT INTO post(author, body) VALUES ('s', hex(randomblob(5000)))");
                  }
                }
              }
              return null;
            }, Durability.REPLICATED).get(10, TimeUnit.SECONDS);
            s.states.put(r.positionOf(db.lastTxid()).orElseThrow().txid(), db.read(Dumps::dump));
          }
        }
      }
      BucketLayout layout = new BucketLayout(PREFIX);
      Map<String, LineageCatalog.Lineage> lineages = LineageCatalog.list(original, layout);
      assertEquals(1, lineages.size(), lineages.keySet().toString());
      LineageCatalog.Lineage l = lineages.values().iterator().next();
      assertEquals(1, l.snapshots().size(), l.snapshots().toString());
      s.lineage = l.id();
      s.snapshotKey = l.snapshots().get(0).key();
      assertEquals(1, layout.parse(s.snapshotKey).orElseThrow().lastTxid(), "the snapshot is txid 1");
      for (ObjectInfo o : l.segments()) {
        byte[] body;
        try (InputStream in = original.get(o.key())) {
          body = in.readAllBytes();
        }
        Segment seg = SegmentCodec.decode(body, o.key());
        if (seg.firstTxid() == 2) {
          s.snapshotChecksum = seg.checksumBefore();
        }
        s.pageSize = seg.pageSize();
        s.walEnd = seg.walEnd();
        seg.transactions().forEach(t -> s.txns.put(t.txid(), t));
      }
      s.last = s.txns.lastKey();
      assertEquals(List.copyOf(s.txns.keySet()), java.util.stream.LongStream.rangeClosed(2, s.last).boxed().toList());
      assertTrue(s.last >= writes, "txids: " + s.last);
      // The content at txid 1 (the snapshot: the schema) is what a restore of it gives.
      s.states.put(1L, Dumps.dump(s.reference(1)));
      return s;
    }

    /** A restore of the original bucket at txid {@code t} (made once). */
    Path reference(long t) {
      return references.computeIfAbsent(t, k -> {
        Path out = dir.resolve("reference-" + k + ".db");
        Restore.run(RestoreOptions.builder(original, PREFIX, out).txid(k).build());
        return out;
      });
    }

    long checksumAfter(long t) {
      return t == 1 ? snapshotChecksum : txns.get(t).checksumAfter();
    }

    String key(long first, long lastTxid) {
      return new BucketLayout(PREFIX).segment(lineage, first, lastTxid);
    }

    void copySnapshot(ObjectStore to) throws Exception {
      try (InputStream in = original.get(snapshotKey)) {
        to.put(snapshotKey, in.readAllBytes());
      }
    }

    /** Writes a snapshot at txid {@code t} from the pages of the reference restore at {@code t}. */
    void putSnapshot(ObjectStore to, long t) throws Exception {
      byte[] db = Files.readAllBytes(reference(t));
      Path file = dir.resolve("snapshot-" + t + "-" + System.nanoTime() + ".lvsn");
      long checksum = SnapshotCodec.write(file, new SnapshotCodec.Header(Codec.ZSTD, pageSize, db.length / pageSize, t,
          txns.get(t).timestampMillis(), walEnd, lineage), pgno -> java.util.Arrays.copyOfRange(db, (pgno - 1) * pageSize,
          pgno * pageSize));
      assertEquals(txns.get(t).checksumAfter(), checksum, "the reference restore at txid " + t + " is the source's file");
      to.put(new BucketLayout(PREFIX).snapshot(lineage, t), Files.readAllBytes(file));
    }

    /** Writes transactions first..lastTxid as one segment, exactly as a shipper would. */
    void put(ObjectStore to, long first, long lastTxid) throws Exception {
      List<Segment.Txn> list = new ArrayList<>(txns.subMap(first, true, lastTxid, true).values());
      to.put(key(first, lastTxid), SegmentCodec.encode(new Segment(lineage, pageSize, checksumAfter(first - 1), list, walEnd),
          Codec.ZSTD));
    }
  }
}
