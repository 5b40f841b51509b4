package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under a steady load, commits are always waiting for the next upload (one a second by default): a
 * snapshot that waited for an empty queue never came, and the restore chain grew with history. A due
 * snapshot covers the waiting commits instead (as a requested one does).
 */
class SnapshotUnderLoadTest {
  @TempDir Path dir;

  @Test
  void dueSnapshotsAreTakenWhileCommitsKeepArriving() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "l/data")
          .minUploadInterval(Duration.ofMillis(500)).snapshotInterval(Duration.ofSeconds(1)).build())) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int i = 0;
        while (System.nanoTime() < deadline) {
          db.writeAndWait(ReplicationTest.insert("load", "row " + i++)); // LOCAL, back to back
        }
        long snapshots = r.metrics().snapshotsUploaded();
        assertTrue(snapshots >= 3, "one snapshot a second asked for, under 5 s of steady writes: " + r.metrics());
        r.write(ReplicationTest.insert("load", "last"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(bucket, "l/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out));
      }
    }
  }

  /**
   * The same when every upload is due at once (no minUploadInterval), made exact: each segment PUT is
   * held until the next commit is pending, so the shipper never finds the queue empty. Snapshots that
   * came only after the uploads starved for as long as the load lasted (simulated hours here; in CI,
   * a Review16Test snapshot came 45 simulated minutes late). Now an overdue snapshot lets at most
   * {@link Shipper#MAX_UPLOADS_AHEAD_OF_OVERDUE_SNAPSHOT} uploads go first.
   */
  @Test
  void anOverdueSnapshotGoesAheadOfPendingCommits() throws Exception {
    overdueSnapshotUnderHeldPuts(Fault.NONE);
  }

  /** What befalls the overdue snapshot's PUT. */
  enum Fault {
    NONE,
    /** The bucket stores it, and the answer is lost: the same key and bytes are put again. */
    ANSWER_LOST,
    /**
     * Before its PUT, writes push the WAL past the store's hard limit: SQLite checkpoints and restarts
     * the WAL past the gate, the snapshot read before is discarded, and a new lineage covers the commits.
     */
    HARD_WAL_LIMIT
  }

  /** The overdue snapshot (with commits pending) meeting a fault at its PUT: nothing acknowledged is lost. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(value = Fault.class, names = {"ANSWER_LOST", "HARD_WAL_LIMIT"})
  void anOverdueSnapshotMeetingAFaultStillCoversItsCommits(Fault fault) throws Exception {
    overdueSnapshotUnderHeldPuts(fault);
  }

  private void overdueSnapshotUnderHeldPuts(Fault fault) throws Exception {
    java.util.concurrent.Semaphore nextCommitPending = new java.util.concurrent.Semaphore(0);
    io.litevault.bucket.FaultyObjectStore bucket = new io.litevault.bucket.FaultyObjectStore(
        FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket"))));
    io.litevault.testing.MutableClock clock = new io.litevault.testing.MutableClock(
        java.time.Instant.parse("2026-12-01T00:00:00Z"));
    DatabaseOptions.Builder options = DatabaseOptions.builder().clock(clock).migration(1, "post", ReplicationTest.SCHEMA);
    if (fault == Fault.HARD_WAL_LIMIT) {
      options.hardWalLimitBytes(256 * 1024).restartWalBytes(128 * 1024);
    }
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", options.build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "l/data").clock(clock)
          .minUploadInterval(Duration.ZERO).snapshotInterval(Duration.ofHours(1)).snapshotChainFraction(0).build())) {
        r.write(ReplicationTest.insert("load", "first"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        long before = r.metrics().snapshotsUploaded();
        java.util.concurrent.atomic.AtomicBoolean faulted = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.function.Consumer<String> atSnapshotPut = key -> {
          if (fault == Fault.NONE || !faulted.compareAndSet(false, true)) {
            return;
          }
          if (fault == Fault.ANSWER_LOST) {
            bucket.failAfterPut(1, io.litevault.bucket.ErrorKind.SERVER_ERROR);
          } else {
            for (int i = 0; i < 40; i++) { // ~400 KB of WAL with the gate held: past the hard limit
              db.writeAndWait(ReplicationTest.insert("big", "x".repeat(10_000)));
            }
          }
        };
        java.util.concurrent.Semaphore putHeld = new java.util.concurrent.Semaphore(0);
        holdSegmentPuts(bucket, putHeld, nextCommitPending, atSnapshotPut);
        db.writeAndWait(ReplicationTest.insert("load", "row 0")); // its PUT waits for the next commit
        for (int i = 1; i <= 24; i++) { // 4 simulated hours: overdue after 1, then 8 uploads may go first
          awaitShipper(putHeld, r, before);
          clock.advance(Duration.ofMinutes(10));
          db.writeAndWait(ReplicationTest.insert("load", "row " + i));
          nextCommitPending.release();
        }
        awaitShipper(putHeld, r, before);
        long snapshots = r.metrics().snapshotsUploaded() - before;
        nextCommitPending.release(1_000);
        assertTrue(snapshots >= 1, "4 simulated hours of steady writes, snapshotInterval 1 h: " + r.metrics());
        assertEquals(fault != Fault.NONE, faulted.get(), "the fault met the overdue snapshot's PUT");
        r.write(ReplicationTest.insert("load", "last"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        if (fault == Fault.HARD_WAL_LIMIT) {
          assertTrue(r.metrics().continuityBreaks() >= 1, "the hard limit broke the WAL's continuity: " + r.metrics());
        }
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(bucket, "l/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out));
      }
    }
  }

  /**
   * Every segment PUT from now says it is held, then waits (up to 10 s) for "the next commit is pending";
   * every snapshot PUT first runs {@code atSnapshotPut}. (The bucket has one hook: it serves both.)
   */
  private static void holdSegmentPuts(io.litevault.bucket.FaultyObjectStore bucket,
      java.util.concurrent.Semaphore held, java.util.concurrent.Semaphore permits,
      java.util.function.Consumer<String> atSnapshotPut) {
    bucket.beforePut("/lineages/", key -> {
      holdSegmentPuts(bucket, held, permits, atSnapshotPut); // the hook runs once: arm it again for the next PUT
      if (key.contains("/snapshots/")) {
        atSnapshotPut.accept(key);
        return;
      }
      if (!key.contains("/segments/")) {
        return;
      }
      held.release();
      try {
        permits.tryAcquire(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  /** Until the shipper holds its next segment PUT (its turn is past) or a snapshot landed (at most 10 s). */
  private static void awaitShipper(java.util.concurrent.Semaphore held, Replicator r, long snapshotsBefore)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline && r.metrics().snapshotsUploaded() == snapshotsBefore
        && !held.tryAcquire(10, TimeUnit.MILLISECONDS)) {
      // polls both
    }
  }
}
