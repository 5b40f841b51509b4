package io.litevault.replication;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.CheckpointMode;
import io.litevault.store.CheckpointResult;
import io.litevault.store.CommitEvent;
import io.litevault.store.CommitListener;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.store.WalPosition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The four data-loss bugs the spine review reproduced, one named test each (the restore-side ones live
 * beside the restore tests). Each failed on the code before its fix; see the commit that added it.
 */
class SpineRegressionTest {
  @TempDir Path dir;
  FileSystemObjectStore files;
  String prefix = "spine/data";

  @BeforeEach
  void bucket() throws Exception {
    files = FileSystemObjectStore.create(FileSystemOptions.builder(
        java.nio.file.Files.createDirectories(dir.resolve("bucket"))).build());
  }

  @AfterEach
  void close() {
    files.close();
  }

  static final String SCHEMA = "CREATE TABLE post(id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL)";

  SqliteStore openStore(Path where, DatabaseOptions.Builder options) {
    return SqliteStore.builder(where).database("data", options.migration(1, "post", SCHEMA)
        .migration(2, "other", "CREATE TABLE other(id INTEGER PRIMARY KEY, body TEXT NOT NULL)").build()).open();
  }

  Path restoreLatest(ObjectStore bucket, String name) {
    Path out = dir.resolve("restored").resolve(name + ".db");
    Restore.run(RestoreOptions.builder(bucket, prefix, out).build());
    return out;
  }

  /**
   * Bug 1. After a checkpoint that copied the whole WAL (nBackfill == mxFrame), SQLite restarts the WAL
   * on the next write with no checkpoint call, overwriting frames from offset 32 on. A snapshot that
   * mapped pages to WAL offsets and read them later read the new transactions' frames.
   */
  @Test
  void aSnapshotTakenWhileSqliteRestartsTheWalReadsTheDatabaseAsOfItsPin() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder()
        .passiveCheckpointPages(1_000_000).idleCheckpointAfter(Duration.ZERO))) {
      Database db = store.database("data");
      String blob = "x".repeat(300);
      for (int batch = 0; batch < 40; batch++) { // ~12 MB of rows
        int b = batch;
        db.writeAndWait(c -> {
          try (var ps = c.prepareStatement("INSERT INTO post(author, body) VALUES (?, ?)")) {
            for (int i = 0; i < 1000; i++) {
              ps.setString(1, "bulk" + b);
              ps.setString(2, blob + i);
              ps.executeUpdate();
            }
          }
          return null;
        });
      }
      db.checkpoint(CheckpointMode.TRUNCATE).get();
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(files, prefix)
          .minUploadInterval(Duration.ofMillis(5)).build())) {
        r.write(ReplicationTest.insert("one", "replicated"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < 50; i++) {
          CheckpointResult res = db.checkpoint(CheckpointMode.PASSIVE).get();
          if (res.ran() && res.walFrames() == res.checkpointedFrames()) {
            break;
          }
          Thread.sleep(20);
        }
        // The snapshot pins its commit boundary while the WAL is fully copied (the writer is idle, so
        // its pin runs at once); the writes start once it reads (its temporary file appears), and the
        // first one restarts the WAL.
        long snapshots = r.metrics().snapshotsUploaded();
        Path work = db.path().resolveSibling(".litevault").resolve("data");
        r.maintenanceStep().run("data", null);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < until) {
          try (var tmp = java.nio.file.Files.list(work)) {
            if (tmp.anyMatch(f -> f.getFileName().toString().endsWith(".tmp"))) {
              break;
            }
          }
        }
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
          int i = 0;
          while (!stop.get()) {
            String body = "w" + i++ + blob;
            db.write(c -> { // another table: the pages the snapshot reads from the WAL are not written again
              try (var ps = c.prepareStatement("INSERT INTO other(body) VALUES (?)")) {
                ps.setString(1, body);
                return ps.executeUpdate();
              }
            });
            if (i % 20 == 0) {
              db.writeAndWait(c -> null);
            }
          }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (r.metrics().snapshotsUploaded() == snapshots && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        stop.set(true);
        writes.get();
        assertTrue(r.metrics().snapshotsUploaded() > snapshots, "the requested snapshot was taken");
        // (Into the other table: a write to post would rewrite the page the snapshot read wrongly.)
        r.write(c -> c.createStatement().executeUpdate("INSERT INTO other(body) VALUES ('last')"), Durability.REPLICATED)
            .get(30, TimeUnit.SECONDS);
        String source = db.read(Dumps::dump);
        Path restored = restoreLatest(files, "latest");
        assertEquals("ok", Dumps.integrity(restored));
        assertEquals(source, Dumps.dump(restored));
      }
    }
  }

  /**
   * Bug 4. The background PASSIVE checkpoint checked the gates against the WAL end it read in Java,
   * then copied up to SQLite's own, later end: a commit in between was checkpointed unshipped, the next
   * write restarted the WAL, and the shipper retried "the WAL was reset" forever. A gate that waits for
   * a commit widens that window from microseconds to every checkpoint.
   */
  @Test
  void aCommitBetweenTheGateCheckAndTheCheckpointIsNeverCheckpointedUnshipped() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder()
        .idleCheckpointAfter(Duration.ofMillis(20)))) {
      Database db = store.database("data");
      AtomicLong commits = new AtomicLong();
      AtomicReference<WalPosition> lastEnd = new AtomicReference<>(new WalPosition(0, 0, 0));
      io.litevault.store.ReplicationPort.of(db).addCommitListener(new CommitListener() {
        @Override
        public void onCommit(CommitEvent e) {
          lastEnd.set(e.walEnd());
          commits.incrementAndGet();
        }
      });
      io.litevault.store.ReplicationPort.of(db).addCheckpointGate(() -> { // releases what is committed, but only after the next commit
        long seen = commits.get();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        while (commits.get() == seen && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        return lastEnd.get();
      });
      // Uploads at most every 200 ms unless a REPLICATED write asks: the LOCAL writes below wait in the
      // WAL while the idle checkpoint runs.
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(files, prefix)
          .minUploadInterval(Duration.ofMillis(200)).build())) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("replicated", "r" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
          Thread.sleep(60); // the writer goes idle: the idle checkpoint asks the gates, ours waits for a commit
          db.write(ReplicationTest.insert("local", "a" + i)).get(); // the commit it waits for
          Thread.sleep(10); // the checkpoint copies it
          db.write(ReplicationTest.insert("local", "b" + i)).get(); // a fully copied WAL restarts here
        }
        r.write(ReplicationTest.insert("last", "r"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        assertEquals(0, db.health().continuityBreaks(), "nothing was checkpointed unshipped");
        String source = db.read(Dumps::dump);
        Path restored = restoreLatest(files, "latest");
        assertEquals(source, Dumps.dump(restored));
      }
    }
  }

  /**
   * Bug 2 (the shipper's half). A PUT that stored the segment but lost its answer was retried with more
   * commits batched under a new key, leaving overlapping segments. A retry must send the same key and
   * the same bytes.
   */
  @Test
  void aSegmentWhoseAnswerWasLostIsRetriedWithTheSameKeyAndBytes() throws Exception {
    FaultyObjectStore bucket = new FaultyObjectStore(files);
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder())) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .minUploadInterval(Duration.ofMillis(1)).retryBackoff(Duration.ofMillis(300), Duration.ofSeconds(1)).build())) {
        r.write(ReplicationTest.insert("first", "a"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        long segmentsBefore = segments(bucket);
        bucket.failAfterPut(1, ErrorKind.TIMEOUT);
        CompletableFuture<Long> a = r.write(ReplicationTest.insert("a", "a"), Durability.REPLICATED);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (segments(bucket) == segmentsBefore && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        CompletableFuture<Long> b = r.write(ReplicationTest.insert("b", "b"), Durability.REPLICATED);
        a.get(20, TimeUnit.SECONDS);
        b.get(20, TimeUnit.SECONDS);
        String source = db.read(Dumps::dump);
        Path restored = restoreLatest(bucket, "latest");
        assertEquals(source, Dumps.dump(restored));
        for (var o : (Iterable<ObjectInfo>) files.list(prefix + "/lineages/")::iterator) {
          assertFalse(o.key().endsWith(".tmp"), o.key());
        }
      }
    }
  }

  /**
   * A segment whose upload failed waits for its retry; if the store then forces a checkpoint past its
   * hard WAL limit, the new lineage's snapshot covers it, and the stale segment must never land after it
   * (it would move the shipper back onto the broken chain).
   */
  @Test
  void aSegmentWaitingForItsRetryDoesNotLandAfterAContinuityBreak() throws Exception {
    FaultyObjectStore bucket = new FaultyObjectStore(files);
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder()
        .restartWalBytes(64 * 1024).hardWalLimitBytes(128 * 1024))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .minUploadInterval(Duration.ofMillis(1)).retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build())) {
        r.write(ReplicationTest.insert("first", "a"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        bucket.down(true);
        for (int i = 0; i < 200 && db.health().continuityBreaks() == 0; i++) {
          db.write(ReplicationTest.insert("outage", "y".repeat(2000))).get(); // past the hard limit
          Thread.sleep(2);
        }
        assertTrue(db.health().continuityBreaks() > 0, "the store forced a checkpoint");
        bucket.down(false);
        r.write(ReplicationTest.insert("after", "b"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < 5; i++) {
          r.write(ReplicationTest.insert("more", "c" + i), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        }
        // The first lineage and the one the break started; before the fix the stale segment landed,
        // moved the shipper back to the old WAL, and the next commit started a third.
        assertEquals(2, r.metrics().lineagesStarted(), r.metrics().toString());
        String source = db.read(Dumps::dump);
        Path restored = restoreLatest(bucket, "latest");
        assertEquals(source, Dumps.dump(restored));
      }
    }
  }

  /**
   * The bucket wins. With synchronous=NORMAL a power loss can roll the local file back past commits
   * the bucket already has; starting a new lineage from it made "restore latest" drop acknowledged
   * REPLICATED writes. Here an older copy of the file is put back, as a power loss would leave it.
   */
  @Test
  void aLocalFileBehindTheBucketStopsReplicationInsteadOfForkingPastAcknowledgedWrites() throws Exception {
    Path live = dir.resolve("live");
    Path old = dir.resolve("old.db");
    try (SqliteStore store = openStore(live, DatabaseOptions.builder());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      for (int i = 0; i < 5; i++) {
        r.write(ReplicationTest.insert("before", "b" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
    java.nio.file.Files.copy(live.resolve("data.db"), old); // closed cleanly: the WAL was checkpointed away
    String acknowledged;
    try (SqliteStore store = openStore(live, DatabaseOptions.builder());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      for (int i = 0; i < 5; i++) {
        r.write(ReplicationTest.insert("acknowledged", "a" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      acknowledged = store.database("data").read(Dumps::dump);
      assertEquals(1, LineageCatalog.list(files, new BucketLayout(prefix)).size());
    }
    for (String side : new String[] {"data.db-wal", "data.db-shm"}) {
      java.nio.file.Files.deleteIfExists(live.resolve(side));
    }
    java.nio.file.Files.copy(old, live.resolve("data.db"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    try (SqliteStore store = openStore(live, DatabaseOptions.builder());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      var e = assertThrows(java.util.concurrent.ExecutionException.class,
          () -> r.write(ReplicationTest.insert("after", "x"), Durability.REPLICATED).get(20, TimeUnit.SECONDS));
      LocalBehindBucketException behind = assertInstanceOf(LocalBehindBucketException.class, e.getCause());
      assertTrue(behind.localTxid() < behind.bucketTxid(), behind.getMessage());
      assertTrue(behind.getMessage().contains("txid " + behind.localTxid()) && behind.getMessage().contains(
          "txid " + behind.bucketTxid()), "names both positions: " + behind.getMessage());
      assertFalse(r.health().healthy(), r.health().toString());
    }
    assertEquals(1, LineageCatalog.list(files, new BucketLayout(prefix)).size(), "no lineage was forked");
    assertEquals(acknowledged, Dumps.dump(restoreLatest(files, "latest")), "restore latest has every acknowledged write");

    try (SqliteStore store = openStore(live, DatabaseOptions.builder());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix)
            .allowFork(true).build())) {
      r.write(ReplicationTest.insert("forked", "f"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
    assertEquals(2, LineageCatalog.list(files, new BucketLayout(prefix)).size(), "a fork when allowed");
  }

  /**
   * Found by the torture harness: a restore to a time before a snapshot that continues the chain (a
   * transaction too big for a segment ships as one) failed with "segments for txids N..N are missing",
   * the planner taking the snapshot's txid for a hole.
   */
  @Test
  void aRestoreToATimeJustBeforeASnapshotInTheChainReturnsThePointBeforeIt() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"), DatabaseOptions.builder())) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(files, prefix)
          .minUploadInterval(Duration.ofMillis(1)).maxSegmentBytes(64 * 1024).build())) {
        r.write(ReplicationTest.insert("a", "1"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        r.write(ReplicationTest.insert("a", "2"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        String before = db.read(Dumps::dump);
        Thread.sleep(30);
        java.time.Instant between = java.time.Instant.now();
        Thread.sleep(30);
        r.write(c -> { // ~400 KiB in one transaction: it ships as a snapshot
          try (var ps = c.prepareStatement("INSERT INTO other(body) VALUES (?)")) {
            for (int i = 0; i < 100; i++) {
              ps.setString(1, "b".repeat(4000) + i);
              ps.executeUpdate();
            }
          }
          return null;
        }, Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        r.write(ReplicationTest.insert("a", "3"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        assertTrue(r.metrics().snapshotsUploaded() >= 2, r.metrics().toString());
        Path out = dir.resolve("restored").resolve("between.db");
        RestoreResult result = Restore.run(RestoreOptions.builder(files, prefix, out).timestamp(between).build());
        assertEquals(before, Dumps.dump(out), "the state at that time: " + result);
      }
    }
  }

  /**
   * A snapshot whose put stored the object but lost its answer is retried from the same file (same key,
   * same bytes), and a snapshot file a killed process left behind is deleted at the next start.
   */
  @Test
  void aSnapshotWhoseAnswerWasLostIsRetriedAsIsAndAnOrphanSnapshotFileIsDeletedAtStart() throws Exception {
    FaultyObjectStore bucket = new FaultyObjectStore(files);
    Path live = dir.resolve("live");
    Path work = live.resolve(".litevault").resolve("data");
    java.nio.file.Files.createDirectories(work);
    Path orphan = work.resolve("snapshot-20200101T000000000Z-00000000-1.tmp");
    java.nio.file.Files.writeString(orphan, "left by a kill -9");
    try (SqliteStore store = openStore(live, DatabaseOptions.builder())) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .minUploadInterval(Duration.ofMillis(1)).retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build())) {
        r.write(ReplicationTest.insert("a", "1"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        assertFalse(java.nio.file.Files.exists(orphan), "the orphan snapshot file was deleted at start");
        long snapshots = r.metrics().snapshotsUploaded();
        bucket.failAfterPut(1, ErrorKind.TIMEOUT); // the snapshot's put: stored, answer lost
        r.maintenanceStep().run("data", null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (r.metrics().snapshotsUploaded() == snapshots && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertEquals(snapshots + 1, r.metrics().snapshotsUploaded(), "the retried snapshot landed once");
        assertTrue(r.metrics().uploadErrors() >= 1, "the snapshot's lost answer was seen: " + r.metrics());
        r.write(ReplicationTest.insert("a", "2"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        assertEquals(1, r.metrics().lineagesStarted(), r.metrics().toString());
        String source = db.read(Dumps::dump);
        assertEquals(source, Dumps.dump(restoreLatest(bucket, "latest")));
        try (var left = java.nio.file.Files.list(work)) {
          assertEquals(0, left.filter(f -> f.toString().endsWith(".tmp")).count(), "no snapshot file left");
        }
      }
    }
  }

  private long segments(ObjectStore bucket) {
    try (var s = files.list(prefix + "/lineages/")) {
      return s.filter(o -> o.key().endsWith(".lvsg")).count();
    }
  }
}
