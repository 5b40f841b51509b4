package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreMetrics;
import io.litevault.bucket.PutResult;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.ReplicationPort;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile review of 40b3ef8..7225fd6: walkToTime's bound, checkNoGap, the REPLICATED batch window. */
class Review18Test {
  @TempDir Path dir;

  private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
  private static final String PREFIX = "r/data";

  private static RestoreResult restoreTo(ObjectStore bucket, Path out, Instant at, boolean ranges) {
    return Restore.run(RestoreOptions.builder(bucket, PREFIX, out).timestamp(at).force(true).compactedRanges(ranges)
        .build());
  }

  /**
   * The clock steps back while LOCAL commits wait for an upload: A commits at +100 s, then (clock back) B at
   * +10 s, then REPLICATED C at +11 s ships A, B, C as one segment. A restore to +50 s must not hold A (it
   * committed at +100 s; the restore "stops at the first commit after the time"). DownloadedSegment.prepare
   * decides "wholly inside the target" from the segment header's lastTimestampMillis (+11 s <= +50 s) and
   * applies the segment's net effect whole, A included; FORMAT.md itself says the *last* commit time does
   * not do after the clock steps back (it uses maxTimestampMillis for ranges only).
   */
  @Test
  void clockStepBackInsideOneSegmentMakesATimeRestoreApplyACommitAfterTheTime() throws Exception {
    MutableClock clock = new MutableClock(START);
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    String before;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("store")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, PREFIX).clock(clock)
          .snapshotInterval(Duration.ofDays(2)).snapshotChainFraction(0).minUploadInterval(Duration.ofHours(1))
          .replicatedBatchWindow(Duration.ZERO).compactionWindows(List.of()).workDirectory(dir.resolve("work")).build())) {
        r.write(ReplicationTest.insert("a", "w0"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        before = db.read(Dumps::dump);
        clock.set(START.plusSeconds(100));
        r.write(ReplicationTest.insert("a", "A at +100s"), Durability.LOCAL).get(10, TimeUnit.SECONDS);
        clock.set(START.plusSeconds(10)); // NTP steps the clock back
        r.write(ReplicationTest.insert("a", "B at +10s"), Durability.LOCAL).get(10, TimeUnit.SECONDS);
        clock.set(START.plusSeconds(11));
        r.write(ReplicationTest.insert("a", "C at +11s"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
      }
    }
    Instant at = START.plusSeconds(50);
    Path out = dir.resolve("out.db");
    RestoreResult res = restoreTo(bucket, out, at, false);
    assertEquals(before, Dumps.dump(out), "restore to " + at + " (txid " + res.txid() + ", stamped "
        + res.timestamp() + ") holds commit A, made at +100 s");
  }

  /**
   * The same clock step back, but a requested snapshot takes the waiting LOCAL commits: it is stamped with
   * its newest commit's time (B, +10 s), so a restore to +50 s takes it as its base, and with it A (+100 s).
   */
  @Test
  void clockStepBackBeforeARequestedSnapshotMakesATimeRestoreHoldACommitAfterTheTime() throws Exception {
    MutableClock clock = new MutableClock(START);
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    String before;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("store")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, PREFIX).clock(clock)
          .snapshotInterval(Duration.ofDays(2)).snapshotChainFraction(0).minUploadInterval(Duration.ofHours(1))
          .replicatedBatchWindow(Duration.ZERO).compactionWindows(List.of()).workDirectory(dir.resolve("work")).build())) {
        r.write(ReplicationTest.insert("a", "w0"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        before = db.read(Dumps::dump);
        clock.set(START.plusSeconds(100));
        r.write(ReplicationTest.insert("a", "A at +100s"), Durability.LOCAL).get(10, TimeUnit.SECONDS);
        clock.set(START.plusSeconds(10)); // NTP steps the clock back
        r.write(ReplicationTest.insert("a", "B at +10s"), Durability.LOCAL).get(10, TimeUnit.SECONDS);
        r.maintenanceStep().run("data", null);
        assertTrue(r.awaitReplicated(db.lastTxid(), Duration.ofSeconds(20)));
      }
    }
    Instant at = START.plusSeconds(50);
    Path out = dir.resolve("out.db");
    RestoreResult res = restoreTo(bucket, out, at, false);
    assertEquals(before, Dumps.dump(out), "restore to " + at + " (txid " + res.txid() + ", stamped "
        + res.timestamp() + ") holds commit A, made at +100 s");
  }

  /** A bucket whose next segment PUT and next LIST can be made slow (a slow S3 request, nothing else). */
  static final class SlowBucket implements ObjectStore {
    private final ObjectStore delegate;
    volatile long nextSegmentPutMillis;
    volatile long nextListMillis;

    SlowBucket(ObjectStore delegate) {
      this.delegate = delegate;
    }

    private static void sleep(long ms) {
      if (ms > 0) {
        try {
          Thread.sleep(ms);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    private void beforePut(String key) {
      if (key.contains("/segments/")) {
        long ms = nextSegmentPutMillis;
        nextSegmentPutMillis = 0;
        sleep(ms);
      }
    }

    private void beforeList() {
      long ms = nextListMillis;
      nextListMillis = 0;
      sleep(ms);
    }

    @Override public PutResult put(String key, InputStream body, long length) {
      beforePut(key);
      return delegate.put(key, body, length);
    }
    @Override public PutResult put(String key, byte[] body) {
      beforePut(key);
      return delegate.put(key, body);
    }
    @Override public boolean putIfAbsent(String key, byte[] body) {
      beforePut(key);
      return delegate.putIfAbsent(key, body);
    }
    @Override public InputStream get(String key) { return delegate.get(key); }
    @Override public InputStream get(String key, long offset, long length) { return delegate.get(key, offset, length); }
    @Override public Optional<ObjectInfo> stat(String key) { return delegate.stat(key); }
    @Override public Stream<ObjectInfo> list(String prefix) {
      beforeList();
      return delegate.list(prefix);
    }
    @Override public Stream<ObjectInfo> listAfter(String prefix, String startAfter) {
      return delegate.listAfter(prefix, startAfter);
    }
    @Override public Stream<ListEntry> list(String prefix, String delimiter) {
      beforeList();
      return delegate.list(prefix, delimiter);
    }
    @Override public void delete(String key) { delegate.delete(key); }
    @Override public void deleteAll(Collection<String> keys) { delegate.deleteAll(keys); }
    @Override public void copy(String sourceKey, String targetKey) { delegate.copy(sourceKey, targetKey); }
    @Override public void verify() { delegate.verify(); }
    @Override public ObjectStoreMetrics metrics() { return delegate.metrics(); }
    @Override public String describe() { return delegate.describe(); }
    @Override public void close() { delegate.close(); }
  }

  /**
   * ReplicationMetrics.uploadsHeldByBatchWindow: "a single caller waiting for each ack never adds to it".
   * One caller; its first write after an idle pause is uploaded as soon as it commits (minUploadInterval has
   * passed), so its replicatedWrite() arrives while that upload runs and stays counted in urgentAsks. The
   * ack comes; the shipper then runs retention (a LIST, here 300 ms; on a week of segments it is seconds)
   * before it parks, so the caller's next write asks too: urgentAsks = 2, "writers run concurrently". That
   * write waits for the window, and (lastUrgentShared) so does the one after it, the whole window.
   */
  @Test
  void oneSequentialWriterPaysTheWindowWhenTheShipperIsBusyAfterTheAck() throws Exception {
    SlowBucket bucket = new SlowBucket(FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket"))));
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, PREFIX).compactionWindows(List.of())
          .retentionCheckInterval(Duration.ofMillis(1)).replicatedBatchWindow(Duration.ofSeconds(1)).build())) {
        r.write(ReplicationTest.insert("a", "first"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        // The writer thread is descheduled for a moment after its commit (here: another commit listener):
        // the shipper, woken by the commit, has begun the upload when the write asks for it.
        AtomicBoolean slowOnce = new AtomicBoolean();
        ReplicationPort.of(db).addCommitListener(e -> {
          if (slowOnce.getAndSet(false)) {
            try {
              Thread.sleep(150);
            } catch (InterruptedException x) {
              Thread.currentThread().interrupt();
            }
          }
        });
        Thread.sleep(1_200); // past minUploadInterval: the next commit's upload is due on its own
        slowOnce.set(true);
        bucket.nextSegmentPutMillis = 400;
        bucket.nextListMillis = 300; // retention's LIST, after the ack
        r.write(ReplicationTest.insert("a", "w1"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        r.write(ReplicationTest.insert("a", "w2"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        long t1 = System.nanoTime();
        r.write(ReplicationTest.insert("a", "w3"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        long t2 = System.nanoTime();
        assertEquals(0, r.metrics().uploadsHeldByBatchWindow(), "one sequential caller was held by the batch window"
            + " (acks of w2, w3: " + TimeUnit.NANOSECONDS.toMillis(t1 - t0) + " ms, "
            + TimeUnit.NANOSECONDS.toMillis(t2 - t1) + " ms): " + r.metrics());
      }
    }
  }

  /**
   * A real lineage (a snapshot, two segments) plus {@code txids} synthetic one-txid segments after it and the
   * compacted ranges a 1-upload-a-second history has over them (10 s, 1 min, 10 min, 1 h, 6 h), written by
   * the version before maxTimestampMillis. Synthetic objects read as empty (an unreadable header: the same
   * MAX_TIMESTAMP_UNKNOWN as a version-1 range); only the planner runs.
   */
  static final class SyntheticBucket implements ObjectStore {
    private final ObjectStore delegate;
    private final java.util.TreeMap<String, ObjectInfo> synthetic = new java.util.TreeMap<>();

    SyntheticBucket(ObjectStore delegate, String lineage, long firstTxid, long txids) {
      this.delegate = delegate;
      io.litevault.replication.format.BucketLayout layout = new io.litevault.replication.format.BucketLayout(PREFIX);
      int[] widths = {10, 60, 600, 3600, 21600};
      for (long i = 0; i < txids; i++) {
        long t = firstTxid + i;
        add(layout.segment(lineage, t, t), 300);
        for (int l = 0; l < widths.length; l++) {
          if ((i + 1) % widths[l] == 0) {
            add(layout.compacted(lineage, l + 1, t - widths[l] + 1, t), 4000L * (l + 1));
          }
        }
      }
    }

    private void add(String key, long size) {
      synthetic.put(key, new ObjectInfo(key, size, "e", START));
    }

    @Override public PutResult put(String key, InputStream body, long length) { return delegate.put(key, body, length); }
    @Override public PutResult put(String key, byte[] body) { return delegate.put(key, body); }
    @Override public boolean putIfAbsent(String key, byte[] body) { return delegate.putIfAbsent(key, body); }
    @Override public InputStream get(String key) {
      return synthetic.containsKey(key) ? InputStream.nullInputStream() : delegate.get(key);
    }
    @Override public InputStream get(String key, long offset, long length) {
      return synthetic.containsKey(key) ? InputStream.nullInputStream() : delegate.get(key, offset, length);
    }
    @Override public Optional<ObjectInfo> stat(String key) {
      return synthetic.containsKey(key) ? Optional.of(synthetic.get(key)) : delegate.stat(key);
    }
    @Override public Stream<ObjectInfo> list(String prefix) {
      java.util.TreeMap<String, ObjectInfo> all = new java.util.TreeMap<>(synthetic.subMap(prefix, prefix + Character.MAX_VALUE));
      try (Stream<ObjectInfo> real = delegate.list(prefix)) {
        real.forEach(o -> all.put(o.key(), o));
      }
      return all.values().stream();
    }
    @Override public Stream<ObjectInfo> listAfter(String prefix, String startAfter) {
      return list(prefix).filter(o -> o.key().compareTo(startAfter) > 0);
    }
    @Override public Stream<ListEntry> list(String prefix, String delimiter) { return delegate.list(prefix, delimiter); }
    @Override public void delete(String key) { delegate.delete(key); }
    @Override public void deleteAll(Collection<String> keys) { delegate.deleteAll(keys); }
    @Override public void copy(String sourceKey, String targetKey) { delegate.copy(sourceKey, targetKey); }
    @Override public void verify() { delegate.verify(); }
    @Override public ObjectStoreMetrics metrics() { return delegate.metrics(); }
    @Override public String describe() { return delegate.describe(); }
    @Override public void close() { delegate.close(); }
  }

  private long planMillis(ObjectStore real, String lineage, long firstTxid, long txids) {
    SyntheticBucket bucket = new SyntheticBucket(real, lineage, firstTxid, txids);
    long t0 = System.nanoTime();
    try {
      Restore.plan(RestoreOptions.builder(bucket, PREFIX, dir.resolve("plan.db")).timestamp(START.plus(Duration.ofDays(30)))
          .build());
    } catch (io.litevault.replication.restore.RestoreException e) {
      // the synthetic last segment has no header: planning is over by then
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  /**
   * walkToTime re-runs Chains.shortest over every link of the lineage each time it leaves a range out, and a
   * version-1 (or unreadable) range sets no bound, so a time restore over a replica whose ranges are all
   * version 1 (a week after upgrading) leaves out every range between its snapshot and the end, one
   * search each: quadratic. The segments alone plan in one pass.
   */
  @Test
  void timePlanningOverVersion1RangesIsNotQuadratic() throws Exception {
    MutableClock clock = new MutableClock(START);
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    String lineage;
    long next;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("store")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(real, PREFIX).clock(clock)
          .snapshotInterval(Duration.ofDays(2)).snapshotChainFraction(0).minUploadInterval(Duration.ZERO)
          .compactionWindows(List.of()).workDirectory(dir.resolve("work")).build())) {
        r.write(ReplicationTest.insert("a", "w0"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        lineage = r.positionOf(db.lastTxid()).orElseThrow().lineage();
        next = r.positionOf(db.lastTxid()).orElseThrow().txid() + 1;
      }
    }
    planMillis(real, lineage, next, 3600); // warm up (JIT)
    planMillis(real, lineage, next, 3600);
    long hours2 = planMillis(real, lineage, next, 2 * 3600);
    long hours8 = planMillis(real, lineage, next, 8 * 3600);
    long hours8Plain;
    {
      SyntheticBucket bucket = new SyntheticBucket(real, lineage, next, 8 * 3600);
      long t0 = System.nanoTime();
      try {
        Restore.plan(RestoreOptions.builder(bucket, PREFIX, dir.resolve("plan.db")).timestamp(START.plus(Duration.ofDays(30)))
            .compactedRanges(false).build());
      } catch (io.litevault.replication.restore.RestoreException e) {
        // as above
      }
      hours8Plain = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
    // linear: about 4 times; quadratic: about 16 (measured here: 1 h 231 ms, 2 h 670, 4 h 2,669, 8 h 15,028,
    // 16 h 67,703; the segments alone, 8 h: 86 ms)
    // No timed assertion in a unit test (the house rule): the figures are printed, and the fix (each search
    // after leaving a range out spans only that range's txids) is judged by them, not by a threshold here.
    System.out.printf("planning a time restore over unreadable ranges: 2 h of history %d ms, 8 h %d ms (segments "
        + "alone: %d ms); 4 times the history took %.1f times as long%n", hours2, hours8, hours8Plain,
        (double) hours8 / Math.max(1, hours2));
  }
}
