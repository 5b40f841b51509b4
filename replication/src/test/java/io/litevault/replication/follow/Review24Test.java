package io.litevault.replication.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreMetrics;
import io.litevault.bucket.PutResult;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.MaintenancePlan;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.EmbeddedS3Extension;
import java.io.InputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Review of 8cc2c9c (followers): each test reproduces one bug found in review. */
class Review24Test {
  @RegisterExtension static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();
  @TempDir Path dir;

  static S3Options s3Options() {
    return S3Options.builder(S3.server().bucket()).endpoint(S3.server().endpoint().toString()).region(S3.server().region())
        .credentials(S3.server().accessKey(), S3.server().secretKey()).build();
  }

  /** A decorator that runs a hook once before the first GET of a key containing a given string. */
  static final class GetHookStore implements ObjectStore {
    final ObjectStore delegate;
    final AtomicReference<String> armedFor = new AtomicReference<>();
    volatile Consumer<String> hook;

    GetHookStore(ObjectStore delegate) {
      this.delegate = delegate;
    }

    void beforeGet(String keyContains, Consumer<String> h) {
      hook = h;
      armedFor.set(keyContains);
    }

    private void before(String key) {
      String k = armedFor.get();
      if (k != null && key.contains(k) && armedFor.compareAndSet(k, null)) {
        hook.accept(key);
      }
    }

    @Override public PutResult put(String key, InputStream body, long length) { return delegate.put(key, body, length); }
    @Override public boolean putIfAbsent(String key, byte[] body) { return delegate.putIfAbsent(key, body); }
    /** Arms a one-shot rewrite of the body of the next GET of a key containing {@code keyContains}. */
    void rewriteNextGet(String keyContains, java.util.function.UnaryOperator<byte[]> f) {
      rewrite = f;
      rewriteFor.set(keyContains);
    }

    final AtomicReference<String> rewriteFor = new AtomicReference<>();
    volatile java.util.function.UnaryOperator<byte[]> rewrite;

    /** The body of the next GET of a key containing {@code keyContains} breaks off (a connection reset). */
    void breakNextGet(String keyContains) {
      breakFor.set(keyContains);
    }

    final AtomicReference<String> breakFor = new AtomicReference<>();

    @Override public InputStream get(String key) {
      before(key);
      String bk = breakFor.get();
      if (bk != null && key.contains(bk) && breakFor.compareAndSet(bk, null)) {
        InputStream real = delegate.get(key);
        return new java.io.FilterInputStream(real) {
          int left = 10;

          @Override public int read() throws java.io.IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override public int read(byte[] b, int off, int len) throws java.io.IOException {
            if (left <= 0) {
              throw new java.net.SocketException("Connection reset (injected)");
            }
            int n = super.read(b, off, Math.min(len, left));
            left -= Math.max(n, 0);
            return n;
          }
        };
      }
      String k = rewriteFor.get();
      if (k != null && key.contains(k) && rewriteFor.compareAndSet(k, null)) {
        try (InputStream in = delegate.get(key)) {
          return new java.io.ByteArrayInputStream(rewrite.apply(in.readAllBytes()));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      return delegate.get(key);
    }
    @Override public InputStream get(String key, long offset, long length) { before(key); return delegate.get(key, offset, length); }
    @Override public Optional<ObjectInfo> stat(String key) { return delegate.stat(key); }
    @Override public Stream<ObjectInfo> list(String prefix) { return delegate.list(prefix); }
    @Override public Stream<ObjectInfo> listAfter(String prefix, String startAfter) { return delegate.listAfter(prefix, startAfter); }
    @Override public Stream<ListEntry> list(String prefix, String delimiter) { return delegate.list(prefix, delimiter); }
    @Override public void delete(String key) { delegate.delete(key); }
    @Override public void deleteAll(Collection<String> keys) { delegate.deleteAll(keys); }
    @Override public void copy(String sourceKey, String targetKey) { delegate.copy(sourceKey, targetKey); }
    @Override public void verify() { delegate.verify(); }
    @Override public ObjectStoreMetrics metrics() { return delegate.metrics(); }
    @Override public String describe() { return "hooked " + delegate.describe(); }
    @Override public void close() { delegate.close(); }
  }

  /** A clock the test can step. */
  static final class StepClock extends Clock {
    volatile long offsetMillis;

    @Override public ZoneId getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(ZoneId zone) { return this; }
    @Override public Instant instant() { return Instant.now().plusMillis(offsetMillis); }
  }

  /** Waits until the lineage holds a snapshot at {@code minTxid} or later (the maintenance step uploads it). */
  static void awaitSnapshot(ObjectStore bucket, String prefix, String lineage, long minTxid) throws Exception {
    io.litevault.replication.format.BucketLayout layout = new io.litevault.replication.format.BucketLayout(prefix);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (Stream<ObjectInfo> snaps = bucket.list(layout.snapshots(lineage))) {
        if (snaps.map(o -> layout.parse(o.key())).anyMatch(p -> p.isPresent() && p.get().lastTxid() >= minTxid)) {
          return;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no snapshot at txid " + minTxid + " or later in " + lineage);
  }

  static long count(Connection c, String sql) throws Exception {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Retention removes a segment between the follower's LIST and its GET (a snapshot now covers it). The GET's
   * ObjectNotFoundException is not turned into a RestoreException (DownloadedSegment.download lets it through),
   * so the tailer does not mark the file for a rebuild; the next LIST no longer shows the segment, the poll
   * counts as "caught up", and the follower stays at the old txid (reporting lastError null and a fresh
   * caughtUpAt) until the primary happens to upload another segment.
   */
  @Test
  void aSegmentRemovedBetweenListAndGetIsRecoveredByARebuild() throws Exception {
    String prefix = "removed";
    Random rnd = new Random(3);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        GetHookStore followerBucket = new GetHookStore(S3ObjectStore.create(s3Options()));
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(100)).build())) {
          CountDownLatch removed = new CountDownLatch(1);
          followerBucket.beforeGet("/segments/", key -> {
            bucket.delete(key); // retention: the GET that follows finds nothing
            removed.countDown();
          });
          ReplicaPosition next = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
          assertTrue(removed.await(10, TimeUnit.SECONDS), "the follower listed the new segment");
          // the snapshot that lets retention remove the segment: the bucket's newest point is still `next`
          store.maintenance(MaintenancePlan.builder().step("replication snapshot", r.maintenanceStep()).build());
          awaitSnapshot(bucket, prefix, next.lineage(), next.txid());
          Thread.sleep(500); // let the snapshot's upload settle
          var newest = Restore.run(RestoreOptions.builder(bucket, prefix, dir.resolve("check.db")).build());
          ReplicaPosition bucketNewest = new ReplicaPosition(newest.lineage(), newest.txid());
          assertTrue(bucketNewest.txid() >= next.txid(), "the bucket restores past the removed segment");
          assertTrue(f.await(bucketNewest, Duration.ofSeconds(10)), "the follower rebuilds past the removed segment to "
              + bucketNewest + ": " + f.health());
        }
      }
    }
  }

  /**
   * One GET of a new segment returns a corrupted body (a bit flipped on the wire: CRC mismatch). The tailer marks
   * the file for a rebuild (needsRebuild) and must retry at the lineage-check pace. It never does: the
   * throttle computes {@code start - lastRebuildAttemptMillis} with lastRebuildAttemptMillis still
   * Long.MIN_VALUE (no rebuild attempted since open), which overflows to a negative number, so every later poll
   * returns at once: the follower is frozen for good, whatever the bucket holds.
   */
  @Test
  void aFollowerRecoversFromOneCorruptedSegmentRead() throws Exception {
    String prefix = "flip";
    Random rnd = new Random(13);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        io.litevault.bucket.FaultyObjectStore followerBucket =
            new io.litevault.bucket.FaultyObjectStore(S3ObjectStore.create(s3Options()));
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(100)).build())) {
          followerBucket.corruptByteOnRead(44); // inside checksumBefore: the object's CRC-32C fails
          ReplicaPosition next = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          while (f.health().lastError() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
          }
          String error = f.health().lastError();
          assertTrue(error != null, "the corrupted read was seen: " + f.health());
          followerBucket.corruptByteOnRead(-1); // the wire is clean again
          ReplicaPosition last = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
          assertTrue(last.txid() > next.txid());
          assertTrue(f.await(last, Duration.ofSeconds(10)), "the follower recovers after one bad read (" + error
              + "): " + f.health());
        }
      }
    }
  }

  /**
   * A segment whose pages do not produce the checksum it records (a writer's bug, memory corruption before the
   * CRC was computed): Continuation.apply throws its RestoreException "nothing was written" from inside
   * ReplicaDatabase.update, which marks the replica damaged for any exception. The file is untouched, yet every
   * read now fails with ReplicaDamagedException ("reads go on from what it has", says Follower), and since no
   * rebuild ever runs (the throttle overflow) it stays so.
   */
  @Test
  void aSegmentThatFailsItsChecksumLeavesTheReplicaReadable() throws Exception {
    String prefix = "badsum";
    Random rnd = new Random(17);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        GetHookStore followerBucket = new GetHookStore(S3ObjectStore.create(s3Options()));
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(100)).build())) {
          long before = f.read(FollowerTest::total);
          followerBucket.rewriteNextGet("/segments/", body -> {
            try {
              var seg = io.litevault.replication.format.SegmentCodec.decode(body, "tampered");
              var h = io.litevault.replication.format.SegmentCodec.peekHeader(new java.io.ByteArrayInputStream(body), "t");
              var txns = new java.util.ArrayList<io.litevault.replication.format.Segment.Txn>();
              for (var t : seg.transactions()) {
                var pages = new java.util.TreeMap<Integer, byte[]>();
                t.pages().forEach((n, pg) -> {
                  byte[] copy = pg.clone();
                  copy[copy.length - 1] ^= 0x40; // the page's last byte, usually free space
                  pages.put(n, copy);
                });
                txns.add(new io.litevault.replication.format.Segment.Txn(t.txid(), t.timestampMillis(), t.dbSizePages(),
                    t.checksumAfter(), pages));
              }
              return io.litevault.replication.format.SegmentCodec.encode(new io.litevault.replication.format.Segment(
                  seg.lineage(), seg.pageSize(), seg.checksumBefore(), txns, seg.walEnd()), h.codec());
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
          FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          while (f.health().lastError() == null && System.nanoTime() < deadline) {
            Thread.sleep(5);
          }
          String error = f.health().lastError();
          assertTrue(error != null, "the bad segment was seen: " + f.health());
          String read;
          try {
            read = Long.toString(f.read(FollowerTest::total));
          } catch (RuntimeException e) {
            read = e.toString();
          }
          assertEquals(Long.toString(before), read, "after a segment refused before any write (" + error
              + "), the follower still serves " + f.position());
        }
      }
    }
  }

  /**
   * An overlapping retry (FORMAT.md, "Restore planning": an older replicator stored {@code t-t}, lost the answer
   * and retried under {@code t-(t+1)}) lands after the follower restored to {@code t}. The tailer lists from
   * {@code segmentsAfter(lineage, t)} = {@code t-ffff…}, which sorts after {@code t-(t+1)}: the segment is never
   * listed, the follower stays at {@code t} and reports itself caught up (behind 0), while a restore of the
   * bucket reaches {@code t+1}.
   */
  @Test
  void anOverlappingRetryAfterTheRestorePointIsApplied() throws Exception {
    String prefix = "overlap";
    Random rnd = new Random(19);
    io.litevault.replication.format.BucketLayout layout = new io.litevault.replication.format.BucketLayout(prefix);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        ObjectStore followerBucket = S3ObjectStore.create(s3Options());
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        ReplicaPosition t = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofSeconds(5)).lineageCheckInterval(Duration.ofSeconds(5)).build())) {
          assertEquals(t, f.position());
          ReplicaPosition next = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
          assertEquals(t.txid() + 1, next.txid());
          // what an older replicator leaves: t-t (answer lost) and its retry t-(t+1); no (t+1)-(t+1)
          String kt = layout.segment(t.lineage(), t.txid(), t.txid());
          String kNext = layout.segment(t.lineage(), next.txid(), next.txid());
          io.litevault.replication.format.Segment a;
          io.litevault.replication.format.Segment b;
          io.litevault.replication.format.SegmentCodec.Header hb;
          try (InputStream in = bucket.get(kt)) {
            a = io.litevault.replication.format.SegmentCodec.decode(in.readAllBytes(), kt);
          }
          try (InputStream in = bucket.get(kNext)) {
            byte[] body = in.readAllBytes();
            b = io.litevault.replication.format.SegmentCodec.decode(body, kNext);
            hb = io.litevault.replication.format.SegmentCodec.peekHeader(new java.io.ByteArrayInputStream(body), kNext);
          }
          var txns = new java.util.ArrayList<>(a.transactions());
          txns.addAll(b.transactions());
          bucket.put(layout.segment(t.lineage(), t.txid(), next.txid()), io.litevault.replication.format.SegmentCodec.encode(
              new io.litevault.replication.format.Segment(a.lineage(), a.pageSize(), a.checksumBefore(), txns, b.walEnd()),
              hb.codec()));
          bucket.delete(kNext);
          var restored = Restore.run(RestoreOptions.builder(bucket, prefix, dir.resolve("check.db")).build());
          assertEquals(next.txid(), restored.txid(), "precondition: the bucket restores to t+1 through the retry");
          assertEquals(0, f.health().polls(), "precondition: the retry landed before the follower's first poll");
          boolean reached = f.await(next, Duration.ofSeconds(12));
          assertTrue(reached, "the follower applies the overlapping retry: " + f.health());
        }
      }
    }
  }

  /**
   * A segment's body breaks off mid-download (a connection reset: an IOException from the stream, as any
   * InputStream may throw). DownloadedSegment.download turns it into an UncheckedIOException, which nothing in
   * the poll catches: it escapes the task scheduled with scheduleWithFixedDelay, which then never runs again.
   * The follower stops for good after one network hiccup, and health() keeps lastError null.
   */
  @Test
  void aFollowerKeepsPollingAfterASegmentDownloadBreaksOff() throws Exception {
    String prefix = "reset";
    Random rnd = new Random(23);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        GetHookStore followerBucket = new GetHookStore(S3ObjectStore.create(s3Options()));
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(100)).build())) {
          followerBucket.breakNextGet("/segments/");
          FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
          ReplicaPosition last = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
          boolean reached = f.await(last, Duration.ofSeconds(10));
          assertTrue(reached, "the follower carries on after one broken download: " + f.health());
        }
      }
    }
  }

  /**
   * The same broken download during Follower.open's restore: open must fail with FollowerException (its
   * contract) and release the file's lock, so that a second open can succeed. The UncheckedIOException escapes
   * open's catch instead, leaking the lock: every later open of that file in this process is refused as
   * "another follower uses" it.
   */
  @Test
  void aFailedOpenReleasesTheFile() throws Exception {
    String prefix = "openreset";
    Random rnd = new Random(29);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        GetHookStore followerBucket = new GetHookStore(S3ObjectStore.create(s3Options()));
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        ReplicaPosition last = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        Path file = dir.resolve("f/data.db");
        FollowerOptions options = FollowerOptions.builder(followerBucket, prefix, file).build();
        followerBucket.breakNextGet("/segments/");
        String first;
        try (Follower f = Follower.open(options)) {
          first = "opened at " + f.position();
        } catch (RuntimeException e) {
          first = e.toString();
        }
        String second;
        try (Follower f = Follower.open(options)) {
          second = f.position().toString();
        } catch (RuntimeException e) {
          second = e.toString();
        }
        assertEquals(last.toString(), second, "a second open after the first failed with " + first);
      }
    }
  }

  /**
   * An object under a newer lineage id that restore does not take (no snapshot there: a foreign object, the
   * leftover of a lineage whose first snapshot never completed). The lineage check sees "a newer lineage has
   * objects" and rebuilds; the restore returns the same lineage and txid; the next check sees the same object
   * and rebuilds again: an idle follower does a full restore (GETs of the snapshot and segments, a whole-file
   * copy with every reader held off) at every lineageCheckInterval, forever.
   */
  @Test
  void aNewerLineageRestoreDoesNotTakeIsNotRebuiltFromAtEveryCheck() throws Exception {
    String prefix = "strayline";
    Random rnd = new Random(31);
    io.litevault.replication.format.BucketLayout layout = new io.litevault.replication.format.BucketLayout(prefix);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        ObjectStore followerBucket = S3ObjectStore.create(s3Options());
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        ReplicaPosition at = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(100)).build())) {
          String newer = io.litevault.replication.format.BucketLayout.newLineage(Instant.now(), at.lineage());
          bucket.put(layout.lineage(newer) + "README.txt", "not a lineage of this database".getBytes());
          Thread.sleep(300);
          long rebuilds0 = f.health().rebuilds();
          var before = followerBucket.metrics().snapshot();
          Thread.sleep(1500);
          var after = followerBucket.metrics().snapshot();
          long gets = after.get(io.litevault.bucket.Operation.GET).requests()
              - before.get(io.litevault.bucket.Operation.GET).requests();
          FollowerHealth h = f.health();
          assertEquals(at, h.position(), "precondition: nothing to follow");
          assertEquals(0, gets, "an idle follower GETs nothing; rebuilds went from " + rebuilds0 + " to " + h.rebuilds()
              + ": " + h);
        }
      }
    }
  }

  /**
   * The follower cannot reach the bucket for a while; meanwhile the primary commits, takes a snapshot, and
   * retention (or compaction into ranges) removes the fine segments that snapshot covers. When the bucket is
   * back, the LIST after the follower's last key finds no segment, so the poll counts as caught up: the
   * follower serves its old state and health() reports lastError null, behind 0 and staleness ~0, until the
   * primary happens to upload another segment (an idle primary: never).
   */
  @Test
  void segmentsRemovedWhileTheFollowerWasAwayAreNoticed() throws Exception {
    String prefix = "away";
    Random rnd = new Random(37);
    io.litevault.replication.format.BucketLayout layout = new io.litevault.replication.format.BucketLayout(prefix);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        io.litevault.bucket.FaultyObjectStore followerBucket =
            new io.litevault.bucket.FaultyObjectStore(S3ObjectStore.create(s3Options()));
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        ReplicaPosition at = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(100)).build())) {
          followerBucket.down(true);
          ReplicaPosition lastWrite = at;
          for (int i = 0; i < 3; i++) {
            lastWrite = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
          }
          store.maintenance(MaintenancePlan.builder().step("replication snapshot", r.maintenanceStep()).build());
          awaitSnapshot(bucket, prefix, at.lineage(), lastWrite.txid());
          Thread.sleep(500); // let the snapshot's upload settle
          // retention: the segments after `at` that the newest snapshot covers
          try (Stream<ObjectInfo> segs = bucket.listAfter(layout.segments(at.lineage()), layout.segmentsAfter(at.lineage(), at.txid()))) {
            segs.map(ObjectInfo::key).toList().forEach(bucket::delete);
          }
          var again = Restore.run(RestoreOptions.builder(bucket, prefix, dir.resolve("check2.db")).build());
          assertTrue(again.txid() >= lastWrite.txid(), "precondition: the snapshot covers the removed segments");
          ReplicaPosition bucketNewest = new ReplicaPosition(again.lineage(), again.txid());
          followerBucket.down(false);
          boolean reached = f.await(bucketNewest, Duration.ofSeconds(10));
          assertTrue(reached, "the follower reaches " + bucketNewest + " once the bucket is back: " + f.health());
        }
      }
    }
  }

  /**
   * Read-your-writes through the cache: once {@code await(p)} says the follower has applied {@code p}, a cached
   * read must not return a value older than {@code p}. The tailer publishes the new position (waking await)
   * inside the update, before the header write and before the cache is made stale (invalidateAll in update's
   * finally); cached() takes no lock on a hit, so a caller that returns from await in that window gets the entry
   * cached before the update.
   */
  @Test
  void aCachedReadAfterAwaitIsNotOlderThanThePosition() throws Exception {
    String prefix = "ryw";
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        ObjectStore followerBucket = S3ObjectStore.create(s3Options());
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        io.litevault.store.WriteTask<Void> bump = c -> {
          try (Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE account SET balance = balance + 1 WHERE id = 1");
          }
          return null;
        };
        ReplicaPosition start = FollowerTest.writeReplicated(db, r, bump); // balance 101 at start.txid()
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofMillis(10)).lineageCheckInterval(Duration.ofMinutes(10)).build())) {
          int rounds = 100;
          java.util.concurrent.ConcurrentLinkedQueue<String> stale = new java.util.concurrent.ConcurrentLinkedQueue<>();
          java.util.concurrent.Semaphore observed = new java.util.concurrent.Semaphore(0);
          java.util.concurrent.atomic.AtomicBoolean stopSpinning = new java.util.concurrent.atomic.AtomicBoolean();
          Thread spinner = new Thread(() -> {
            try {
              for (int i = 1; i <= rounds; i++) {
                ReplicaPosition want = new ReplicaPosition(start.lineage(), start.txid() + i);
                while (!f.await(want, Duration.ZERO)) {
                  if (stopSpinning.get()) {
                    return;
                  }
                  Thread.onSpinWait();
                }
                long balance = f.cached("account", 1, c -> count(c, "SELECT balance FROM account WHERE id = 1"));
                if (balance < 101 + i) {
                  stale.add("after await(" + want + ") returned true, cached balance " + balance + " < " + (101 + i));
                }
                observed.release();
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
          long warm = f.cached("account", 1, c -> count(c, "SELECT balance FROM account WHERE id = 1"));
          assertEquals(101, warm);
          spinner.start();
          try {
          for (int i = 1; i <= rounds; i++) {
            ReplicaPosition p = FollowerTest.writeReplicated(db, r, bump);
            assertEquals(new ReplicaPosition(start.lineage(), start.txid() + i), p, "precondition: one txid a write");
            // A segment the follower misses (see aStrayKeyInSegmentsDoesNotHideTheNextSegment) is only made up
            // for by the next one (a gap: a rebuild), so go on writing rather than wait for it.
            observed.tryAcquire(5, TimeUnit.SECONDS);
          }
          for (int extra = 0; spinner.isAlive() && extra < 50; extra++) {
            FollowerTest.writeReplicated(db, r, bump);
            spinner.join(2000);
          }
          spinner.join(30_000);
          } finally {
            stopSpinning.set(true);
            spinner.join();
          }
          assertTrue(stale.isEmpty(), stale.size() + " of " + rounds + " cached reads were older than the position "
              + "await had just confirmed, first: " + stale.peek());
        }
      }
    }
  }

  /**
   * await's contract: true once the follower has applied the position, "or a newer lineage, which starts from
   * the primary's state at that point or later". A fork back in time (restore to an earlier txid + allowFork,
   * what FollowerTest.aNewLineageIsFollowedBackInTime does) starts a newer lineage from an EARLIER state: a caller
   * holding the position of its REPLICATED write in the old lineage is told the follower has it, and its read
   * does not see the write.
   */
  @Test
  void awaitDoesNotConfirmAWriteANewerLineageDoesNotHold() throws Exception {
    String prefix = "awaitfork";
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        ObjectStore followerBucket = S3ObjectStore.create(s3Options())) {
      ReplicaPosition middle;
      ReplicaPosition mine;
      try (SqliteStore store = FollowerTest.primaryStore(dir.resolve("a"));
          Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix).build())) {
        middle = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(new Random(43)));
        mine = FollowerTest.writeReplicated(store.database("data"), r, c -> {
          try (Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO kv VALUES(424242, x'01')");
          }
          return null;
        });
      }
      Path b = dir.resolve("b");
      Restore.run(RestoreOptions.builder(bucket, prefix, b.resolve("data.db")).txid(middle.txid()).build());
      try (SqliteStore store = FollowerTest.primaryStore(b); Replicator r = Replicator.start(store.database("data"),
          ReplicatorOptions.builder(bucket, prefix).allowFork(true).build())) {
        ReplicaPosition forked = FollowerTest.writeReplicated(store.database("data"), r,
            FollowerTest.randomWrite(new Random(47)));
        assertNotEquals(mine.lineage(), forked.lineage(), "precondition: a new lineage");
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofMillis(20)).build())) {
          assertEquals(forked, f.position());
          boolean confirmed;
          try {
            confirmed = f.await(mine, Duration.ofMillis(500));
          } catch (FollowerException movedOn) { // the contract since the fix: a newer lineage is not a confirmation
            assertTrue(movedOn.getMessage().contains("newer"), movedOn.getMessage());
            confirmed = false;
          }
          long rows = f.read(c -> count(c, "SELECT count(*) FROM kv WHERE k = 424242"));
          assertTrue(!confirmed || rows == 1, "await(" + mine + ") returned true at " + f.position()
              + ", but a read finds " + rows + " rows of that write");
        }
      }
    }
  }

  /**
   * A key under segments/ that is not a segment's is skipped by moving startAfter past it. When that key sorts
   * after the key of a segment not uploaded yet, the segment is never listed: S3Proxy's NIO2 blob stores (the
   * project's EmbeddedS3) list an upload in progress as "{@code <key>-<uuid>}", which is how this was found (a
   * follower stuck one txid behind, health "caught up"); a foreign "{@code <key>.bak}" does the same. Here the
   * object is put by hand before the primary uploads the segment it sorts after.
   */
  @Test
  void aStrayKeyInSegmentsDoesNotHideTheNextSegment() throws Exception {
    String prefix = "strayseg";
    Random rnd = new Random(53);
    io.litevault.replication.format.BucketLayout layout = new io.litevault.replication.format.BucketLayout(prefix);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        ObjectStore followerBucket = S3ObjectStore.create(s3Options());
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        ReplicaPosition at = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
            .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(100)).build())) {
          // what S3Proxy lists while the next segment's PUT is in progress
          bucket.put(layout.segment(at.lineage(), at.txid() + 1, at.txid() + 1) + "-0b5c6a3e-4f1d-4c57-9a3e-1d2f3a4b5c6d",
              new byte[] {1, 2, 3});
          long polls = f.health().polls();
          while (f.health().polls() < polls + 3) {
            Thread.sleep(10); // the follower lists it
          }
          ReplicaPosition next = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
          assertEquals(at.txid() + 1, next.txid());
          boolean reached = f.await(next, Duration.ofSeconds(10));
          assertTrue(reached, "the follower applies segment " + layout.segment(next.lineage(), next.txid(), next.txid())
              + ": " + f.health());
        }
      }
    }
  }

  /**
   * A fork back in time whose schema change brings the schema cookie (offset 40) to the value the old
   * lineage had, with a different schema. The follower rebuilds into the new lineage; its pooled readers
   * must see the new schema.
   */
  @Test
  void aRebuildIntoANewLineageWithTheSameSchemaCookieServesTheNewSchema() throws Exception {
    String prefix = "cookie";
    Random rnd = new Random(5);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        ObjectStore followerBucket = S3ObjectStore.create(s3Options())) {
      ReplicaPosition middle;
      long oldCookie;
      try (SqliteStore store = FollowerTest.primaryStore(dir.resolve("a"));
          Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix).build())) {
        Database db = store.database("data");
        middle = FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        FollowerTest.writeReplicated(db, r, c -> {
          try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE old_only(x INTEGER)");
            s.execute("INSERT INTO old_only VALUES(1)");
          }
          return null;
        });
        FollowerTest.writeReplicated(db, r, FollowerTest.randomWrite(rnd));
        oldCookie = db.read(c -> count(c, "PRAGMA schema_version"));
      }
      try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
          .databaseOptions(DatabaseOptions.builder().readers(1).build())
          .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(100)).build())) {
        long oldRows = f.read(c -> count(c, "SELECT count(*) FROM old_only"));
        assertEquals(1, oldRows, "the pooled reader loads the schema");
        Path b = dir.resolve("b");
        Restore.run(RestoreOptions.builder(bucket, prefix, b.resolve("data.db")).txid(middle.txid()).build());
        try (SqliteStore store = FollowerTest.primaryStore(b); Replicator r = Replicator.start(store.database("data"),
            ReplicatorOptions.builder(bucket, prefix).allowFork(true).build())) {
          Database db = store.database("data");
          ReplicaPosition forked = FollowerTest.writeReplicated(db, r, c -> {
            try (Statement s = c.createStatement()) {
              s.execute("CREATE TABLE new_only(y TEXT, z TEXT)");
              s.execute("INSERT INTO new_only VALUES('a', 'b'), ('c', 'd')");
            }
            return null;
          });
          assertNotEquals(middle.lineage(), forked.lineage(), "a new lineage");
          long newCookie = db.read(c -> count(c, "PRAGMA schema_version"));
          assertEquals(oldCookie, newCookie, "precondition: same schema cookie");
          assertTrue(f.await(forked, Duration.ofSeconds(30)), f.health().toString());
          String rows;
          try {
            long n = f.read(c -> count(c, "SELECT count(*) FROM new_only"));
            rows = Long.toString(n);
          } catch (RuntimeException e) {
            rows = e.toString();
          }
          assertEquals("2", rows, "the follower at " + f.position() + " serves the new lineage's table");
        }
      }
    }
  }

  /**
   * health() says the follower caught up at the start of its last poll ("every upload the primary finished
   * before it is applied", staleness ~0, behindTxids 0), while the primary has moved to a new lineage and
   * uploaded there long before: the follower only looks for a new lineage every lineageCheckInterval.
   */
  @Test
  void healthDoesNotClaimCaughtUpWhileANewLineageIsUnapplied() throws Exception {
    String prefix = "health";
    Random rnd = new Random(9);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        ObjectStore followerBucket = S3ObjectStore.create(s3Options())) {
      ReplicaPosition end;
      try (SqliteStore store = FollowerTest.primaryStore(dir.resolve("a"));
          Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix).build())) {
        for (int i = 0; i < 3; i++) {
          FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
        }
        end = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
      }
      long back = end.txid() - 2;
      try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
          .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMinutes(10)).build())) {
        Path b = dir.resolve("b");
        Restore.run(RestoreOptions.builder(bucket, prefix, b.resolve("data.db")).txid(back).build());
        ReplicaPosition forked;
        try (SqliteStore store = FollowerTest.primaryStore(b); Replicator r = Replicator.start(store.database("data"),
            ReplicatorOptions.builder(bucket, prefix).allowFork(true).build())) {
          forked = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
        }
        Instant uploaded = Instant.now();
        assertNotEquals(end.lineage(), forked.lineage(), "precondition: the primary started a new lineage");
        Thread.sleep(1000);
        FollowerHealth h = f.health();
        boolean claimsCaughtUp = h.caughtUpAt() != null && h.caughtUpAt().isAfter(uploaded)
            && h.behindTxids() == 0 && h.lastError() == null;
        boolean isCaughtUp = h.position().lineage().equals(forked.lineage()) && h.position().txid() >= forked.txid();
        assertTrue(!claimsCaughtUp || isCaughtUp, "health claims every upload finished before " + h.caughtUpAt()
            + " is applied (staleness " + h.staleness() + ", behind " + h.behindTxids() + "), but the follower is at "
            + h.position() + " while " + forked + " was uploaded at " + uploaded);
      }
    }
  }

  /**
   * The follower's clock steps back (NTP) by an hour after open. Its lineage check compares clock readings,
   * so it stops looking for a new lineage until the clock has caught up with the old reading: a fork made
   * meanwhile is not followed for an hour, although lineageCheckInterval is 100 ms.
   */
  @Test
  void aClockStepBackDoesNotStopLineageChecks() throws Exception {
    String prefix = "clockback";
    Random rnd = new Random(11);
    StepClock clock = new StepClock();
    long back;
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        ObjectStore followerBucket = S3ObjectStore.create(s3Options())) {
      try (SqliteStore store = FollowerTest.primaryStore(dir.resolve("a"));
          Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix).build())) {
        ReplicaPosition first = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
        back = first.txid();
        for (int i = 0; i < 3; i++) {
          FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
        }
      }
      try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
          .clock(clock).pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(100)).build())) {
        Thread.sleep(300);
        clock.offsetMillis = -Duration.ofHours(1).toMillis();
        Path b = dir.resolve("b");
        Restore.run(RestoreOptions.builder(bucket, prefix, b.resolve("data.db")).txid(back).build());
        try (SqliteStore store = FollowerTest.primaryStore(b); Replicator r = Replicator.start(store.database("data"),
            ReplicatorOptions.builder(bucket, prefix).allowFork(true).build())) {
          ReplicaPosition forked = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
          assertNotEquals(f.position().lineage(), forked.lineage(), "precondition: the primary started a new lineage");
          assertTrue(f.await(forked, Duration.ofSeconds(10)), "a new lineage is followed after the clock stepped back: "
              + f.health());
        }
      }
    }
  }
}
