package io.litevault.replication;

import static io.litevault.replication.TwoDestinations.openStore;
import static io.litevault.replication.TwoDestinations.dest;
import static io.litevault.replication.TwoDestinations.startBoth;
import static io.litevault.replication.TwoDestinations.setBody;
import static io.litevault.replication.TwoDestinations.body;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.store.WriteTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review 28: reproduced bugs of the change 8522f4a..139881f. SiblingVouch (a destination refusing the local
 * files restarted when another destination's lineage passed through its tip) was withdrawn after it: besides
 * the first test here, the review reproduced three lifecycle bugs of its restart (a transient error at the
 * restart stopped the destination for good; a lease taken between the release and the restart did not fence
 * writes; a graceful shutdown installed at start held the replaced replicator), which went with it. The
 * first and last tests stay as regression tests: a refusal stands, promptly.
 */
class Review28Test {
  @TempDir Path dir;

  private FileSystemObjectStore bucket(String name) throws Exception {
    return TwoDestinations.bucket(dir, name);
  }

  /**
   * Scenario: two destinations "local" and "remote". Row 1's body is "AA" (shipped to both), then "BB"
   * (shipped to both). Then local is down (only remote configured) and the body is set back to "AA": a
   * REPLICATED write acknowledged by remote, the only copy of it. The database bytes are the very same as
   * after the first "AA" (an in-place update of a page other than page 1; WAL mode bumps no change counter).
   * The machine is lost and the file is restored from local (body "BB"); both destinations are configured
   * again. Local continues; remote refuses the file (its tip, body "AA", is not the file's state), and
   * SiblingVouch checks whether local's lineage passed through remote's tip state: it did, at the FIRST
   * "AA", before "BB".
   * Expected (SiblingVouch / MultiReplicator Javadoc: "A tip the siblings never passed through (the lagging
   * destination was in fact ahead ...) is still refused"; README "After a restore from one destination": "A
   * destination restored from a *lagging* destination gets no vouch: the fresher one keeps refusing the
   * file, because a new lineage would hide its newer writes"; EarlierPoint: a new lineage "would make restore
   * latest silently drop acknowledged writes, so the replicator refuses instead"): remote was in fact ahead
   * (its tip is the newer, acknowledged "AA"), so it keeps refusing and its tip is untouched: "restore
   * latest" from remote still returns "AA".
   * Actual: the vouch matches the tip by database checksum and size only, so the older identical state
   * vouches for it; remote starts a new lineage from the "BB" file and "restore latest" from remote returns
   * "BB": the acknowledged write is hidden.
   */
  @Test
  void aSiblingVouchesForAnOlderIdenticalStateAndHidesTheLaggingSidesNewerAcknowledgedWrite() throws Exception {
    FileSystemObjectStore local = bucket("local-bucket");
    FileSystemObjectStore remote = bucket("remote-bucket");
    try (SqliteStore store = openStore(dir.resolve("old"))) {
      try (MultiReplicator m = startBoth(store, local, remote, 0)) {
        m.write(ReplicationTest.insert("a", "AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        m.write(setBody("BB"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator r = Replicator.start(store.database("data"), dest(remote).workDirectory(dir.resolve("w-remote")).build())) {
        r.write(setBody("AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS); // acknowledged: remote holds it
      }
    }
    Path fromRemote = dir.resolve("before.db");
    Restore.run(RestoreOptions.builder(remote, "f/data", fromRemote).build());
    assertEquals("AA", body(fromRemote), "remote's latest is the acknowledged write");
    LineageCatalog.Tip remoteTip = LineageCatalog.newestTip(remote, new BucketLayout("f/data"));

    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(local, "f/data", fresh.resolve("data.db")).build());
    assertEquals("BB", body(fresh.resolve("data.db")));
    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store, local, remote, 0)) {
      try {
        m.write(ReplicationTest.insert("b", "after the restore"), Durability.REPLICATED).get(90, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException refused) {
        // expected: remote keeps refusing the file
      }
    }
    Path after = dir.resolve("after.db");
    Restore.run(RestoreOptions.builder(remote, "f/data", after).build());
    assertEquals("AA", body(after), "restore latest from remote lost the acknowledged write (remote tip before: "
        + remoteTip + ", after: " + LineageCatalog.newestTip(remote, new BucketLayout("f/data")) + ")");
  }

  /**
   * The same ABA, reaching the vouch of the sibling (Witnesses): the remote holds none of the restored file's
   * states, so nothing refuses it before the vouch is asked. Row 1 is "AA" in both (a MultiReplicator);
   * then local alone gets "BB" and "CC"; then the file is set back to "AA" with no replicator and
   * checkpointed, so the remote (alone) continues its lineage at its own "AA" tip without ever seeing "BB"
   * or "CC", and acknowledges "ZZ" and then "AA" again: the remote's tip is the newer "AA", with the very
   * bytes of local's first "AA". The machine is lost; the file is restored from local ("CC") and both are
   * configured again. Expected: the local's lineage holds "AA" only at its first commit time, not at the
   * remote's tip's, so no vouch: the remote refuses and "restore latest" from it still returns "AA". (By
   * content alone, local's first "AA" before "CC" would vouch, and the remote would fork from "CC".)
   */
  @Test
  void aSiblingDoesNotVouchForTheSameContentCommittedAtAnotherTime() throws Exception {
    FileSystemObjectStore local = bucket("local-bucket");
    FileSystemObjectStore remote = bucket("remote-bucket");
    try (SqliteStore store = openStore(dir.resolve("old"))) {
      try (MultiReplicator m = startBoth(store, local, remote, 0)) {
        m.write(ReplicationTest.insert("a", "AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator r = Replicator.start(store.database("data"), dest(local).workDirectory(dir.resolve("w-local")).build())) {
        r.write(setBody("BB"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        r.write(setBody("CC"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
    try (SqliteStore store = SqliteStore.builder(dir.resolve("old")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      store.database("data").write(setBody("AA")).get(20, TimeUnit.SECONDS); // replicated by nobody
      store.database("data").checkpoint(io.litevault.store.CheckpointMode.TRUNCATE).get(20, TimeUnit.SECONDS);
    }
    try (SqliteStore store = openStore(dir.resolve("old"));
        Replicator r = Replicator.start(store.database("data"), dest(remote).workDirectory(dir.resolve("w-remote")).build())) {
      r.write(setBody("ZZ"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      r.write(setBody("AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS); // acknowledged: only remote holds it
    }
    LineageCatalog.Tip remoteTip = LineageCatalog.newestTip(remote, new BucketLayout("f/data"));
    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(local, "f/data", fresh.resolve("data.db")).build());
    assertEquals("CC", body(fresh.resolve("data.db")));
    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store, local, remote, 0)) {
      java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
          () -> m.write(ReplicationTest.insert("b", "after the restore"), Durability.REPLICATED).get(90, TimeUnit.SECONDS));
      assertInstanceOf(LocalBehindBucketException.class, e.getCause().getCause(), e.getCause().toString());
    }
    assertEquals(remoteTip, LineageCatalog.newestTip(remote, new BucketLayout("f/data")), "the remote's tip moved");
    Path after = dir.resolve("after.db");
    Restore.run(RestoreOptions.builder(remote, "f/data", after).build());
    assertEquals("AA", body(after), "restore latest from remote lost its acknowledged write");
  }

  /**
   * Scenario: a store opens and a replicator starts; the bucket stops answering (retryable) at the
   * replicator's first lineage listing, before its first snapshot, and answers again one second into the
   * store's close. The application commits one LOCAL write and closes the store.
   * The store's close runs Replicator.Hook.onClose on the writer thread, which waits for the bucket to hold
   * the last txid (1); the first snapshot needs a read pin, which only that same writer thread can begin.
   * Expected (139881f: "the store's close no longer waits on txid 0 (its snapshot pin needs the writer thread
   * that runs the close)"; the same holds for txid 1): the close does not wait on a snapshot it blocks itself;
   * it returns within a few seconds of bucket time.
   * Actual: the close waits the whole CLOSE_FLUSH_TIMEOUT (30 s) for a snapshot that cannot be read until it
   * gives up (the -1 start makes every txid, not only 0, wait for the first snapshot).
   */
  @Test
  void closingTheStoreBeforeTheFirstSnapshotWaitsTheWholeFlushTimeout() throws Exception {
    io.litevault.bucket.FaultyObjectStore slow = new io.litevault.bucket.FaultyObjectStore(bucket("bucket"));
    Path live = dir.resolve("live");
    try (SqliteStore store = openStore(live)) {
      store.database("data").writeAndWait(ReplicationTest.insert("a", "before"));
    }
    SqliteStore store = openStore(live);
    // The bucket stops answering at the replicator thread's first look at the lineages (before its first
    // snapshot's pin), and answers again one second into the store's close.
    slow.downAtFirst("list", "/lineages");
    Replicator r = Replicator.start(store.database("data"),
        dest(slow).retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build());
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (r.health().lastError() == null && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertNotNull(r.health().lastError(), "the replicator thread met the outage before its first snapshot");
      store.database("data").writeAndWait(ReplicationTest.insert("a", "local, just before the close"));
      assertEquals(-1, r.replicatedTxid(), "the first snapshot has not landed yet");
      java.util.concurrent.CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> slow.down(false));
      long t0 = System.nanoTime();
      store.close();
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(ms < 10_000, "the store's close took " + ms + " ms waiting on a snapshot whose pin needs its thread");
    } finally {
      slow.down(false);
      r.close();
    }
  }

  /**
   * Scenario: both destinations hold "first" and then "second" (one lineage each, shipped by one
   * MultiReplicator). The file is restored from local at the point after "first" (a point-in-time restore,
   * or a power loss that lost "second"), and both destinations are configured again: both refuse the file
   * (LocalBehindBucketException: it is an earlier point of each). Each refusal is checked against the
   * other destination (SiblingVouch), and each counts the other, "being vouched for", as still starting.
   * Expected (MultiReplicator.vouch Javadoc: only "a sibling still starting (no lineage yet) is waited for,
   * up to VOUCH_WAIT"; a refused destination is stopped, not starting; a single replicator fails a REPLICATED
   * write as soon as it refuses the file): the REPLICATED write fails promptly with the refusal.
   * Actual: the two refused destinations wait for each other for the whole VOUCH_WAIT (60 s): the write
   * hangs for a minute before it fails (MultiReplicator.vouch: o.stoppedBy() is null while o is vouching).
   */
  @Test
  void twoRefusingDestinationsWaitForEachOtherTheWholeVouchWait() throws Exception {
    FileSystemObjectStore local = bucket("local-bucket");
    FileSystemObjectStore remote = bucket("remote-bucket");
    io.litevault.replication.format.ReplicaPosition first;
    try (SqliteStore store = openStore(dir.resolve("old")); MultiReplicator m = startBoth(store, local, remote, 0)) {
      m.write(ReplicationTest.insert("a", "first"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      first = m.positionOf("local", store.database("data").lastTxid()).orElseThrow();
      m.write(ReplicationTest.insert("a", "second"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(local, "f/data", fresh.resolve("data.db")).lineage(first.lineage())
        .txid(first.txid()).build());
    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store, local, remote, 0)) {
      long t0 = System.nanoTime();
      java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
          () -> m.write(ReplicationTest.insert("a", "after the restore"), Durability.REPLICATED).get(90, TimeUnit.SECONDS));
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertInstanceOf(LocalBehindBucketException.class, e.getCause().getCause(), e.getCause().toString());
      assertTrue(ms < 20_000, "the REPLICATED write failed only after " + ms + " ms: " + e.getCause());
    }
  }
}
