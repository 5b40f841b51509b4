package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review 21, of b28c7d6 ("Shipper: an overdue snapshot goes ahead of pending commits"): the overdue
 * snapshot now runs before the pending commits are shipped, so everything a snapshot waits for (the
 * writer, for its pin; a snapshot PUT that keeps failing) is now waited for by REPLICATED writes that
 * were already committed and could have shipped as a segment at once.
 */
class Review21Test {
  @TempDir Path dir;

  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

  /**
   * Regression (passes on b28c7d6~1, fails on b28c7d6). Commit A is pending (LOCAL, the next upload an
   * hour away), the snapshot interval is up, and a long write task is running on the writer (a bulk
   * import; a maintenance window's VACUUM parks the writer the same way). A caller now waits for A in the
   * bucket ({@code awaitReplicated}, which asks for an upload at once; a REPLICATED write, a close or the
   * store's checkpoint catch-up ask the same way). Before: an upload asked for went ahead of the due
   * snapshot, and A shipped as a segment at once. Now: the overdue snapshot goes first, asks the writer for
   * a pin, and waits behind the long task (up to {@code ReadPins.wait}, 60 s) with the gate held; A waits
   * for an unrelated write to finish. (A maintenance window with a snapshot overdue shows the same: its
   * checkpoint step is skipped far more often, the gate held by a snapshot waiting for the parked writer.)
   */
  @org.junit.jupiter.api.RepeatedTest(5)
  void aLongWriteHoldsBackAnEarlierCommitWhenASnapshotIsOverdue() throws Exception {
    FaultyObjectStore bucket = new FaultyObjectStore(FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket"))));
    MutableClock clock = new MutableClock(T0);
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "l/data").clock(clock)
          .minUploadInterval(Duration.ofHours(1)).snapshotInterval(Duration.ofHours(1))
          .compactionWindows(java.util.List.of()).build())) { // no window timers: the shipper parks until asked
        r.write(ReplicationTest.insert("x", "first"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        // A second one ships as a segment: the first may have gone in the lineage's snapshot, which leaves
        // the upload asked for (and A would ship at once).
        r.write(ReplicationTest.insert("x", "second"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        long a = db.writeCommitted(ReplicationTest.insert("x", "A")).get(20, TimeUnit.SECONDS).txid();
        awaitShipperParked(); // it has seen A (its upload not due for an hour) and waits
        clock.advance(Duration.ofHours(2)); // the snapshot interval is up
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Long> longWrite = db.write(c -> {
          started.countDown();
          release.await(30, TimeUnit.SECONDS); // a long transaction holds the writer
          return ReplicationTest.insert("x", "long").execute(c);
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        // The scenario: A still waits for its upload (an hour away) while the writer is busy. Rarely the
        // shipper wakes and covers A before the long write starts: then this repetition shows nothing.
        if (r.replicatedTxid() >= a) {
          release.countDown();
          org.junit.jupiter.api.Assumptions.abort("A was shipped before the long write began");
        }
        boolean shipped = r.awaitReplicated(a, Duration.ofSeconds(5));
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        release.countDown();
        longWrite.get(30, TimeUnit.SECONDS);
        assertTrue(shipped, "committed txid " + a + " not in the bucket after " + waitedMs
            + " ms although the bucket was up: it waited for the overdue snapshot's pin behind an unrelated long write; "
            + r.health() + " " + r.metrics());
        r.write(ReplicationTest.insert("x", "last"), Durability.REPLICATED).get(60, TimeUnit.SECONDS);
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(bucket, "l/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out));
      }
    }
  }

  /**
   * Pre-existing (fails on b28c7d6~1 too, where the due snapshot came right after an upload and stalled the
   * next write; b28c7d6 stalls the first write after the interval is up, the one the snapshot covers):
   * the commit says "a snapshot fault never stalls REPLICATED writes", but only a fault while the snapshot
   * is read gives way to the pending commits. A snapshot read fine whose PUT keeps failing (a proxy's body
   * size limit, a multi-GB snapshot whose upload times out on a slow link, while small segment PUTs pass)
   * is kept in {@code preparedSnapshot} and retried ahead of everything on every turn, forever: no
   * REPLICATED write is acknowledged again although every segment PUT would succeed.
   */
  @Test
  @org.junit.jupiter.api.Disabled("known, pre-existing, not fixed yet: a prepared snapshot keeps its txid's key "
      + "(its PUT may have landed with the answer lost), so segments cannot take that txid until the snapshot "
      + "lands or its key is proven empty; see the issue 14 note")
  void aSnapshotPutThatKeepsFailingStallsReplicatedWrites() throws Exception {
    FaultyObjectStore bucket = new FaultyObjectStore(FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket"))));
    MutableClock clock = new MutableClock(T0);
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "l/data").clock(clock)
          .snapshotInterval(Duration.ofHours(1)).retryBackoff(Duration.ofMillis(20), Duration.ofMillis(200)).build())) {
        r.write(ReplicationTest.insert("x", "first"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        failSnapshotPutsForever(bucket);
        clock.advance(Duration.ofHours(2)); // the snapshot interval is up
        for (int i = 0; i < 3; i++) {
          Thread.sleep(500); // the shipper reaches its next turn (before b28c7d6: the due snapshot after the upload)
          CompletableFuture<Long> w = r.write(ReplicationTest.insert("x", "w" + i), Durability.REPLICATED);
          try {
            w.get(10, TimeUnit.SECONDS);
          } catch (TimeoutException e) {
            fail("REPLICATED write " + i + " not acknowledged in 10 s although every segment PUT succeeds: the "
                + "failing snapshot PUT is retried ahead of the pending commits forever; " + r.health() + " " + r.metrics());
          }
        }
      }
    }
  }

  /** Until the replicator's thread has waited in its idle park for a while (at most 10 s). */
  private static void awaitShipperParked() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    int parkedPolls = 0;
    while (parkedPolls < 20 && System.nanoTime() < deadline) {
      Thread.sleep(10);
      boolean parked = Thread.getAllStackTraces().entrySet().stream()
          .filter(e -> e.getKey().getName().startsWith("litevault-replicator-"))
          .anyMatch(e -> java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.getMethodName().equals("park")
              && f.getClassName().endsWith("Wakeups")));
      parkedPolls = parked ? parkedPolls + 1 : 0;
    }
  }

  /** Every PUT of a snapshot key fails (retryable) from now on, before it reaches the bucket. */
  private static void failSnapshotPutsForever(FaultyObjectStore bucket) {
    bucket.beforePut("/snapshots/", key -> {
      failSnapshotPutsForever(bucket); // the hook runs once: arm it again
      throw new ObjectStoreException(ErrorKind.SERVER_ERROR, "put", key, "put " + key
          + ": 413 Request Entity Too Large (a proxy's body limit, injected)", null);
    });
  }
}
