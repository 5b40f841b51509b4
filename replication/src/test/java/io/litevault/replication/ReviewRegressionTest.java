package io.litevault.replication;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.ObjectStoreMetrics;
import io.litevault.bucket.PutResult;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.CheckpointMode;
import io.litevault.store.CheckpointResult;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bugs found by the review of the read-pin / prepared-upload change (9b8bf67..213e52d). */
class ReviewRegressionTest {
  @TempDir Path dir;
  FileSystemObjectStore files;
  String prefix = "review/data";

  @BeforeEach
  void bucket() throws Exception {
    files = FileSystemObjectStore.create(FileSystemOptions.builder(
        Files.createDirectories(dir.resolve("bucket"))).build());
  }

  @AfterEach
  void close() {
    files.close();
  }

  SqliteStore openStore(Path where, DatabaseOptions.Builder options) {
    return SqliteStore.builder(where).database("data", options.migration(1, "post", SpineRegressionTest.SCHEMA)
        .build()).open();
  }

  Path restoreLatest(ObjectStore bucket, String name) {
    Path out = dir.resolve("restored").resolve(name + ".db");
    Restore.run(RestoreOptions.builder(bucket, prefix, out).build());
    return out;
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Fails every put of a segment object while {@link #failSegments} is set (a bucket outage for segments). */
  static class SegmentOutage implements ObjectStore {
    final ObjectStore delegate;
    final AtomicBoolean failSegments = new AtomicBoolean();
    final AtomicInteger failedSegmentPuts = new AtomicInteger();
    /** Fail only this many segment puts (then clear the flag); -1 for as long as the flag is set. */
    final AtomicInteger budget = new AtomicInteger(-1);

    SegmentOutage(ObjectStore delegate) {
      this.delegate = delegate;
    }

    private void outage(String key) {
      if (key.endsWith(".lvsg") && failSegments.get()) {
        failedSegmentPuts.incrementAndGet();
        if (budget.get() > 0 && budget.decrementAndGet() == 0) {
          failSegments.set(false);
        }
        throw new ObjectStoreException(ErrorKind.SERVER_ERROR, "put", key, "put " + key + ": injected outage", null);
      }
    }

    @Override
    public PutResult put(String key, InputStream body, long length) {
      outage(key);
      return delegate.put(key, body, length);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] body) {
      outage(key); // segments are written create-only
      return delegate.putIfAbsent(key, body);
    }

    @Override public InputStream get(String key) { return delegate.get(key); }
    @Override public InputStream get(String key, long offset, long length) { return delegate.get(key, offset, length); }
    @Override public Optional<ObjectInfo> stat(String key) { return delegate.stat(key); }
    @Override public Stream<ObjectInfo> list(String prefix) { return delegate.list(prefix); }
    @Override public Stream<ListEntry> list(String prefix, String delimiter) { return delegate.list(prefix, delimiter); }
    @Override public void delete(String key) { delegate.delete(key); }
    @Override public void deleteAll(Collection<String> keys) { delegate.deleteAll(keys); }
    @Override public void copy(String sourceKey, String targetKey) { delegate.copy(sourceKey, targetKey); }
    @Override public void verify() { delegate.verify(); }
    @Override public ObjectStoreMetrics metrics() { return delegate.metrics(); }
    @Override public String describe() { return "segment-outage " + delegate.describe(); }
    @Override public void close() { delegate.close(); }
  }

  static io.litevault.store.WriteTask<Integer> bulk(String author, int rows) {
    return c -> {
      try (var ps = c.prepareStatement("INSERT INTO post(author, body) VALUES (?, ?)")) {
        for (int i = 0; i < rows; i++) {
          ps.setString(1, author);
          ps.setString(2, author + i + "y".repeat(300));
          ps.executeUpdate();
        }
      }
      return rows;
    };
  }

  /**
   * Starts a replicator that resumes the lineage of {@code db} with commit {@code lateWrite} made after
   * its thread started but before it pinned (the shipper's first bucket listing is held until then),
   * and with its catch-up segment's first put failing.
   */
  Replicator resumeWithFailedCatchUp(Database db, SegmentOutage bucket, java.util.concurrent.CountDownLatch listed,
      java.util.concurrent.CountDownLatch go) {
    ObjectStore held = new SegmentOutage(bucket) {
      @Override
      public Stream<ObjectInfo> list(String prefix) {
        if (Thread.currentThread().getName().startsWith("litevault-replicator")) {
          listed.countDown();
          try {
            go.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return delegate.list(prefix);
      }

      @Override
      public Stream<ListEntry> list(String prefix, String delimiter) {
        list(prefix).close();
        return delegate.list(prefix, delimiter);
      }
    };
    bucket.budget.set(1);
    bucket.failSegments.set(true); // the catch-up segment's first put fails; its retry succeeds
    return Replicator.start(db, ReplicatorOptions.builder(held, prefix)
        .minUploadInterval(Duration.ofMillis(1)).retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build());
  }

  /**
   * Bug A, symptom 1. A REPLICATED write committed while a replicator resumes its lineage ships in the
   * catch-up segment; that segment's first put fails and its retry lands it, but the retry path never
   * runs resumeAt's {@code progress.replicated(pin.txid())}: the write's future never completes, though
   * its data is in the bucket (until some later commit happens to ship).
   */
  @Test
  void aReplicatedWriteShippedInARetriedCatchUpSegmentCompletes() throws Exception {
    SegmentOutage bucket = new SegmentOutage(files);
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder()
        .passiveCheckpointPages(1_000_000).idleCheckpointAfter(Duration.ZERO))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .minUploadInterval(Duration.ofMillis(1)).build())) {
        r.write(ReplicationTest.insert("first", "a"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
      }
      db.writeAndWait(ReplicationTest.insert("offline", "b")); // written while no replicator runs
      var listed = new java.util.concurrent.CountDownLatch(1);
      var go = new java.util.concurrent.CountDownLatch(1);
      try (Replicator r = resumeWithFailedCatchUp(db, bucket, listed, go)) {
        assertTrue(listed.await(30, TimeUnit.SECONDS));
        long before = db.lastTxid();
        var c = r.write(ReplicationTest.insert("during resume", "c"), Durability.REPLICATED);
        await("the commit of c", () -> db.lastTxid() > before);
        go.countDown(); // now the shipper pins: c is before its pin, so it goes in the catch-up segment
        await("the catch-up segment's retry", () -> bucket.failedSegmentPuts.get() == 1 && !bucket.failSegments.get());
        try {
          c.get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          fail("a REPLICATED write whose commit is in the bucket never completed: replicated store txid "
              + r.replicatedTxid() + ", write's txid " + (before + 1) + ", " + r.health() + ", " + r.metrics());
        }
      }
    }
  }

  /**
   * Bug A, symptom 2. Same failure: start() threw out of resume() before {@code holdGate = false}; the
   * retry lands the segment, the lineage is set, start() never runs again, and the gate reports nothing
   * shipped for ever: no checkpoint runs (until the next periodic snapshot), the WAL grows to the hard
   * limit, and the store then forces a checkpoint and breaks continuity.
   */
  @Test
  void aResumeWhoseCatchUpSegmentFailedOnceStillReleasesCheckpoints() throws Exception {
    SegmentOutage bucket = new SegmentOutage(files);
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder()
        .passiveCheckpointPages(1_000_000).idleCheckpointAfter(Duration.ZERO))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .minUploadInterval(Duration.ofMillis(1)).build())) {
        r.write(ReplicationTest.insert("first", "a"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
      }
      db.writeAndWait(ReplicationTest.insert("offline", "b")); // written while no replicator runs
      var listed = new java.util.concurrent.CountDownLatch(1);
      var go = new java.util.concurrent.CountDownLatch(1);
      go.countDown();
      try (Replicator r = resumeWithFailedCatchUp(db, bucket, listed, go)) {
        await("the catch-up segment's retry", () -> bucket.failedSegmentPuts.get() == 1 && !bucket.failSegments.get());
        r.write(ReplicationTest.insert("after", "d"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        // Everything is in the bucket now: the replicator's gate must let a checkpoint copy the WAL.
        CheckpointResult res = db.checkpoint(CheckpointMode.PASSIVE).get(30, TimeUnit.SECONDS);
        assertTrue(res.ran(), "every commit is shipped, yet the replicator's gate still holds the WAL: " + res
            + ", " + r.health());
        assertEquals(db.read(Dumps::dump), Dumps.dump(restoreLatest(files, "latest")));
      }
    }
  }

  /**
   * A segment whose put failed is kept for a retry; a continuity break (forced checkpoint at the hard WAL
   * limit) meanwhile starts a new lineage, and then the stale segment of the OLD lineage is "landed",
   * moving the new lineage's state (txid, checksum, WAL position) back to the old one's. The next
   * commit ships into the new lineage with a txid gap: a REPLICATED write is acknowledged but the
   * latest restore does not have it.
   */
  @Test
  void aSegmentPreparedBeforeAContinuityBreakIsNotLandedIntoTheNewLineage() throws Exception {
    SegmentOutage bucket = new SegmentOutage(files);
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder()
        .passiveCheckpointPages(1_000_000).idleCheckpointAfter(Duration.ZERO)
        .restartWalBytes(256 * 1024).hardWalLimitBytes(256 * 1024))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .minUploadInterval(Duration.ofMillis(1)).retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build())) {
        r.write(ReplicationTest.insert("first", "a"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        assertEquals(1, r.metrics().lineagesStarted());
        bucket.failSegments.set(true);
        db.writeAndWait(ReplicationTest.insert("local", "b")); // its segment is prepared, its put fails
        await("a failed segment put", () -> bucket.failedSegmentPuts.get() >= 1);
        db.writeAndWait(bulk("big", 1000)); // past the hard WAL limit: a forced checkpoint, a continuity break
        await("the store's continuity break", () -> db.health().continuityBreaks() > 0);
        await("the new lineage's snapshot", () -> r.metrics().lineagesStarted() == 2);
        Thread.sleep(300);
        bucket.failSegments.set(false); // the bucket is back
        r.write(ReplicationTest.insert("acknowledged", "c"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        String source = db.read(Dumps::dump);
        Path restored = restoreLatest(files, "latest");
        assertEquals(source, Dumps.dump(restored), "restore(latest) holds every write acknowledged as REPLICATED");
      }
    }
  }

  /**
   * Bug C. The shipper waits 60 s for {@code io.litevault.store.ReplicationPort.of(db).pin()}; when the writer is busy longer (a long write, a
   * maintenance window with a VACUUM), it gives up, but the pin request stays queued and later begins a
   * read transaction that nobody ever closes. That reader stops every checkpoint at its mark and keeps
   * SQLite from restarting or truncating the WAL, for as long as the process lives.
   */
  @Test
  void aPinThatTimedOutInTheShipperDoesNotLeaveAReadTransactionOpen() throws Exception {
    java.time.Duration wait = ReadPins.wait;
    ReadPins.wait = Duration.ofSeconds(2); // the give-up path without waiting its minute
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder())) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(files, prefix)
          .minUploadInterval(Duration.ofMillis(1)).build())) {
        r.write(ReplicationTest.insert("first", "a"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        var slow = db.write(c -> { // the writer is busy for longer than the shipper waits for a pin
          Thread.sleep(5_000);
          return null;
        });
        Thread.sleep(200);
        r.maintenanceStep().run("data", null); // a snapshot: the shipper asks for a pin, waits 2 s, gives up
        slow.get(30, TimeUnit.SECONDS);
        for (int i = 0; i < 20; i++) {
          r.write(ReplicationTest.insert("after", "b" + i), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        }
        // Everything is shipped and nobody reads: a TRUNCATE checkpoint must complete.
        CheckpointResult res = db.checkpoint(CheckpointMode.TRUNCATE).get(30, TimeUnit.SECONDS);
        assertTrue(res.ran() && res.complete(), "a read transaction left open by a pin nobody holds blocks the "
            + "checkpoint: " + res + ", WAL " + io.litevault.store.ReplicationPort.of(db).files().size(io.litevault.store.DatabaseFiles.Kind.WAL) + " bytes");
      }
    } finally {
      ReadPins.wait = wait;
    }
  }

  /**
   * Bug D. A prepared snapshot (or segment) whose put fails is retried before anything else, also once
   * the replicator is closing: sleep() does not wait while closing, and the "give up at close" check
   * looks only at {@code pending}, which is empty. With the bucket down, close() returns after its 30 s
   * join and the replicator thread keeps retrying the put in a tight loop, with no backoff, for ever.
   */
  @Test
  void aReplicatorClosedWithAFailingPreparedSnapshotStopsItsThread() throws Exception {
    FaultyObjectStore bucket = new FaultyObjectStore(files);
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder())) {
      Database db = store.database("data");
      Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .minUploadInterval(Duration.ofMillis(1)).retryBackoff(Duration.ofMillis(50), Duration.ofSeconds(1)).build());
      try {
        r.write(ReplicationTest.insert("first", "a"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        bucket.down(true);
        int calls = bucket.calls();
        r.maintenanceStep().run("data", null); // a snapshot is read, its put fails: it is kept for a retry
        await("the snapshot's failed put", () -> bucket.calls() > calls);
      } finally {
        r.close();
      }
      Thread.sleep(500);
      int before = bucket.calls();
      Thread.sleep(1000);
      int during = bucket.calls() - before;
      assertFalse(r.health().running() && during > 0, "a closed replicator still runs and made " + during
          + " calls to the bucket in the last second");
    }
  }
}
