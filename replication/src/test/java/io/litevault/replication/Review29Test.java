package io.litevault.replication;

import static io.litevault.replication.TwoDestinations.openStore;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review 29: reproduced bugs of the change 7dbcd22..review-29. */
class Review29Test {
  @TempDir Path dir;

  private FileSystemObjectStore bucket(String name) throws Exception {
    return TwoDestinations.bucket(dir, name);
  }

  /**
   * Scenario: a replicator holds a lineage (one REPLICATED write shipped). A LOCAL write task runs long on
   * the writer thread; meanwhile the application closes the store (the close request queues behind the
   * task), and the replicator is asked for a snapshot (its maintenance step; a scheduled or overdue
   * snapshot asks the same way), so its read pin queues behind the close. The task commits, and the
   * close runs Replicator.Hook.onClose on the writer thread: lineage set, no continuity break, last txid
   * 2, so it waits for txid 2 to ship, while the shipper waits for a snapshot pin that only this writer
   * thread, busy in the close, can begin.
   * Expected (38338bc: "Store close: no wait for the last commit when nothing can ship before a snapshot,
   * since the snapshot's pin needs the writer thread running the close"; Review28Test's contract: the
   * close does not wait on a snapshot it blocks itself): the close returns within a few seconds.
   * Actual: onClose only skips the wait for target == 0, no lineage, or continuityBroken; a snapshot of
   * the current lineage (snapshotRequested, snapshotDue, an overdue snapshot, a resume's catch-up by
   * snapshot, or a new lineage's snapshot once start() cleared continuityBroken) is not covered, and the
   * close waits the whole CLOSE_FLUSH_TIMEOUT (30 s).
   */
  @Test
  void closingTheStoreWhileASnapshotOfTheCurrentLineageWaitsForItsPinWaitsTheWholeFlushTimeout() throws Exception {
    FileSystemObjectStore bucket = bucket("bucket");
    SqliteStore store = openStore(dir.resolve("live"));
    Database db = store.database("data");
    Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "f/data")
        .minUploadInterval(Duration.ofMillis(5)).build());
    try {
      r.write(ReplicationTest.insert("a", "shipped"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      assertNotNull(r.health().lineage(), "the replicator holds a lineage");
      CountDownLatch inTask = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Long> longTask = db.write(c -> {
        inTask.countDown();
        release.await();
        try (var ps = c.prepareStatement("INSERT INTO post(author, body) VALUES ('b', 'local, long task')")) {
          return (long) ps.executeUpdate();
        }
      });
      assertTrue(inTask.await(10, TimeUnit.SECONDS));
      CompletableFuture<Long> closed = CompletableFuture.supplyAsync(() -> {
        long t0 = System.nanoTime();
        store.close();
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      });
      Thread.sleep(300); // the close request is queued behind the long task
      r.maintenanceStep().run("data", null); // a snapshot of the current lineage: its pin queues behind the close
      Thread.sleep(300);
      release.countDown();
      long ms = closed.get(60, TimeUnit.SECONDS);
      longTask.get(5, TimeUnit.SECONDS);
      assertTrue(ms < 10_000, "the store's close took " + ms + " ms waiting on a snapshot whose pin needs its thread");
    } finally {
      r.close();
      store.close();
    }
  }

  /**
   * Scenario: a store opens and a replicator starts; the bucket stops answering (retryable) at the
   * replicator's first lineage listing, before its first snapshot. The application makes a REPLICATED write
   * (it commits as txid 1 and waits for the bucket), then closes the store, letting the store's close
   * stop replication as the Replicator Javadoc allows ("r.close(); // before store.close(), or let
   * store.close() flush it"). The bucket answers again right after the close.
   * Expected (Replicator.write Javadoc: a REPLICATED write "fails with ReplicationException if replication
   * stopped for good", and only "keeps waiting through bucket outages" while replication runs; Replicator
   * class Javadoc: store.close() may stand for the replicator's close): once the store has closed, the
   * replicator thread has ended and nothing can ship txid 1 in this process, so the write's future
   * completes (exceptionally) promptly, as it does when Replicator.close() runs (Progress.failAll).
   * Actual: Hook.onClose now returns at once (no lineage yet) after shipper.close(); the shipper stops
   * (closing with no lineage) without failing the waiters, so the acknowledged-or-not answer never comes:
   * the future is still pending 10 s after the close, with the replicator thread dead.
   */
  @Test
  void aReplicatedWriteWaitingWhenTheStoreClosesBeforeTheFirstSnapshotNeverCompletes() throws Exception {
    io.litevault.bucket.FaultyObjectStore slow = new io.litevault.bucket.FaultyObjectStore(bucket("bucket"));
    Path live = dir.resolve("live");
    try (SqliteStore store = openStore(live)) {
      store.database("data").writeAndWait(ReplicationTest.insert("a", "before"));
    }
    SqliteStore store = openStore(live);
    slow.downAtFirst("list", "/lineages");
    Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(slow, "f/data")
        .minUploadInterval(Duration.ofMillis(5)).retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build());
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (r.health().lastError() == null && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertNotNull(r.health().lastError(), "the replicator thread met the outage before its first snapshot");
      CompletableFuture<Long> w = r.write(ReplicationTest.insert("a", "replicated, before the close"),
          Durability.REPLICATED);
      Thread.sleep(200);
      assertFalse(w.isDone(), "nothing is in the bucket yet");
      store.close();
      slow.down(false);
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!w.isDone() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(w.isDone(), "a REPLICATED write is still waiting 10 s after the store closed (replicator thread "
          + (r.health().running() ? "running" : "ended") + ", bucket at store txid " + r.replicatedTxid() + ")");
    } finally {
      slow.down(false);
      r.close();
      store.close();
    }
  }
}
