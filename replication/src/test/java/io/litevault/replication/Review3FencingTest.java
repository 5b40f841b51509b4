package io.litevault.replication;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile review of 2379f1a..2f2c1d7 (bucket wins for "equals no point", fenced lease): each test fails
 * on 2f2c1d7. Real SQLite files, a real file bucket, {@link FaultyObjectStore} for lost answers and pauses.
 */
class Review3FencingTest {
  static final Duration TTL = Duration.ofSeconds(10);

  @TempDir Path dir;
  FileSystemObjectStore files;
  final String prefix = "review3/data";
  final BucketLayout layout = new BucketLayout(prefix);
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T01:00:00Z"));
  final AtomicLong nanos = new AtomicLong(1);

  @BeforeEach
  void bucket() throws Exception {
    files = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("bucket"))).build());
  }

  @AfterEach
  void close() {
    files.close();
  }

  Lease lease(ObjectStore store, String owner, String home) {
    return new Lease(store, layout, owner, home, TTL, clock, nanos::get);
  }

  void pass(Duration d) {
    clock.advance(d);
    nanos.addAndGet(d.toNanos());
  }

  String generations() {
    return files.list(layout.leases()).map(o -> o.key().substring(layout.leases().length())).toList().toString();
  }

  SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder()
        .migration(1, "post", SpineRegressionTest.SCHEMA).build()).open();
  }

  ReplicatorOptions.Builder options(ObjectStore store, String owner, Duration ttl) {
    return ReplicatorOptions.builder(store, prefix).owner(owner).leaseTtl(ttl).minUploadInterval(Duration.ofMillis(5))
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100));
  }

  // --- 1. acquire() re-creates a generation the holder already deleted, and never checks it is the newest

  /**
   * A taker reads the newest generation g (expired: the holder was idle), then pauses before its put.
   * Meanwhile the holder becomes busy and renews twice (g+1, then g+2, deleting g and g+1). The taker's
   * create-only put of g+1 succeeds (g+1 was deleted) and acquire() returns: unlike renew(), it never
   * checks that its generation is the newest. Both processes now hold "the" lease; the taker uploads and
   * acknowledges until its first renewal, half a TTL later.
   */
  @Test
  void aTakerPausedBetweenReadingAndPuttingItsGenerationMustNotHoldTheLeaseBesideTheHolder() {
    Lease holder = lease(files, "host-a", "boot/a");
    holder.acquire(); // generation 1
    pass(TTL.plusSeconds(1)); // idle: its lease expired, nothing renewed it
    FaultyObjectStore takerBucket = new FaultyObjectStore(files);
    Lease taker = lease(takerBucket, "host-b", "boot/b");
    takerBucket.beforePut("/leases/", key -> { // the taker read generation 1 and decided on 2, then paused
      holder.renewIfDue(); // a write arrives at the holder: generation 2, generation 1 deleted
      pass(TTL.dividedBy(2).plusSeconds(1));
      holder.renewIfDue(); // generation 3, generation 2 deleted
    });
    boolean takerHolds;
    try {
      taker.acquire();
      takerHolds = true;
    } catch (LeaseException e) {
      takerHolds = false;
    }
    String after = generations();
    boolean holderHolds;
    try {
      holder.renewIfDue(); // not due: the holder goes on uploading and acknowledging
      holderHolds = true;
    } catch (LeaseException e) {
      holderHolds = false;
    }
    assertFalse(takerHolds && holderHolds, "two processes both hold the lease of one prefix: the taker's acquire "
        + "returned (re-created a deleted generation) while the holder still holds a newer one; generations " + after);
  }

  // --- 2. the renewal clock starts after the lease put returns, but the expiry others see starts before it

  /**
   * The expiry in the body is computed before the put; confirmedNanos is taken after it returns. A lease put
   * that takes 0.6 TTL (retries, a slow link, or this thread pausing between the two lines) leaves the holder
   * believing it need not renew for another half TTL while, with clocks in perfect agreement, others already
   * see its generation expired and take over. The holder then uploads and acknowledges without renewing
   * (renewIfDue before and after the upload are both "not due").
   */
  @Test
  void aSlowLeasePutMustNotLetTheHolderOutliveTheExpiryOthersSee() {
    FaultyObjectStore slow = new FaultyObjectStore(files);
    Lease holder = lease(slow, "host-a", "boot/a");
    slow.beforePut("/leases/", key -> pass(TTL.multipliedBy(6).dividedBy(10))); // body made, request slow
    holder.acquire();
    pass(TTL.multipliedBy(45).dividedBy(100)); // 1.05 TTL after the expiry's basis, 0.45 TTL after the put
    Lease taker = lease(files, "host-b", "boot/b");
    taker.acquire(); // the holder's generation has expired on every clock
    assertThrows(LeaseException.class, holder::renewIfDue,
        "the holder still believes it holds the lease (renewal not due) after another process took it over: "
            + "an upload now is acknowledged by both; generations " + generations());
  }

  // --- 3. a renewal whose put stored but whose answer was lost kills replication for good

  /**
   * A renewal's create-only put of generation g+1 is stored but its answer lost (the store gave up). The
   * shipper retries the upload; renewIfDue puts g+1 again, meets its own generation, and treats it as
   * another process's: LeaseException, replication stopped, every REPLICATED write failed, though no
   * other process exists. renew() never recognises its own nonce.
   */
  @Test
  void aRenewalWhoseAnswerWasLostDoesNotStopReplication() throws Exception {
    Duration ttl = Duration.ofSeconds(1);
    FaultyObjectStore bucket = new FaultyObjectStore(files);
    try (SqliteStore store = openStore(dir.resolve("live"));
        Replicator r = Replicator.start(store.database("data"), options(bucket, "only-process", ttl).build())) {
      r.write(ReplicationTest.insert("a", "one"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      Thread.sleep(ttl.toMillis() * 6 / 10); // the renewal is due at the next upload
      bucket.failAfterPut(1, ErrorKind.CONNECTION); // that renewal's put is stored; its answer is lost
      try {
        r.write(ReplicationTest.insert("a", "two"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        fail("a single lost answer on a lease renewal stopped replication (no other process exists): " + e.getCause());
      }
      assertTrue(r.health().healthy(), r.health().toString());
    }
  }

  // --- 4. continuationSafe is recomputed from the newest generation only: a lost answer makes it true

  /**
   * The primary pauses mid-upload past its lease (as in FencingTest). The standby's first
   * Replicator.start stores its lease generation but loses the answer (start throws); its second start
   * finds that generation "on its own home", counts it as a dead process on these files, and sets
   * continuationSafe, so it continues the primary's lineage instead of starting a new one. The primary
   * wakes, its segment (3 commits, another key than the standby's) is created beside the standby's, and
   * "restore latest" no longer holds what the standby acknowledged.
   */
  @Test
  void aTakeoverWhoseLeasePutLostItsAnswerMustStillNotContinueAPausedPrimarysLineage() throws Exception {
    pausedPrimaryAndASecondTakerStart(false);
  }

  /**
   * The same root cause without a lost answer: the standby takes over (continuationSafe false), its new
   * lineage's snapshot upload fails, and the service restarts the replicator (a clean close releases the
   * standby's generation). The next start finds a released generation, sets continuationSafe and continues
   * the paused primary's lineage: "released" only proves the standby stopped, not the primary.
   */
  @Test
  void aStandbyRestartedDuringAFailoverMustStillNotContinueAPausedPrimarysLineage() throws Exception {
    pausedPrimaryAndASecondTakerStart(true);
  }

  void pausedPrimaryAndASecondTakerStart(boolean viaRelease) throws Exception {
    Duration ttl = Duration.ofSeconds(1);
    FaultyObjectStore primaryBucket = new FaultyObjectStore(files);
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch wake = new CountDownLatch(1);
    String takerContent;
    try (SqliteStore primary = openStore(dir.resolve("primary"));
        Replicator rp = Replicator.start(primary.database("data"),
            options(primaryBucket, "primary", ttl).minUploadInterval(Duration.ofHours(1)).build())) {
      try {
        Database pdb = primary.database("data");
        rp.write(ReplicationTest.insert("primary", "acknowledged before the pause"), Durability.REPLICATED)
            .get(20, TimeUnit.SECONDS);
        Thread.sleep(300); // the shipper parks and forgets the urgency of that write
        java.util.concurrent.atomic.AtomicReference<String> pausedKey = new java.util.concurrent.atomic.AtomicReference<>();
        primaryBucket.beforePut("/segments/", key -> {
          pausedKey.set(key);
          paused.countDown();
          try {
            wake.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        pdb.writeAndWait(ReplicationTest.insert("primary", "local 1"));
        pdb.writeAndWait(ReplicationTest.insert("primary", "local 2"));
        CompletableFuture<Long> late = rp.write(ReplicationTest.insert("primary", "written while paused"),
            Durability.REPLICATED);
        assertTrue(paused.await(20, TimeUnit.SECONDS), "the primary reached its upload");
        BucketLayout.Parsed range = layout.parse(pausedKey.get()).orElseThrow();
        assertEquals(3, range.lastTxid() - range.firstTxid() + 1, "the paused segment holds the 3 commits: " + pausedKey);
        Thread.sleep(ttl.toMillis() + 300); // its lease expires while it is paused

        Path standby = Files.createDirectories(dir.resolve("standby"));
        Restore.run(RestoreOptions.builder(files, prefix, standby.resolve("data.db")).build());
        FaultyObjectStore takerBucket = new FaultyObjectStore(files);
        try (SqliteStore taker = openStore(standby)) {
          if (viaRelease) {
            CountDownLatch failed = new CountDownLatch(1);
            takerBucket.beforePut("/snapshots/", key -> { // the new lineage's snapshot upload fails once
              failed.countDown();
              throw new ObjectStoreException(ErrorKind.SERVER_ERROR, "put", key, "put " + key + ": injected", null);
            });
            Replicator first = Replicator.start(taker.database("data"), options(takerBucket, "standby",
                Duration.ofMinutes(2)).retryBackoff(Duration.ofSeconds(10), Duration.ofSeconds(10)).build());
            assertTrue(failed.await(20, TimeUnit.SECONDS), "the standby tried to start a new lineage");
            first.close(); // the service restarts the replicator: a clean close releases the lease
          } else {
            takerBucket.failAfterPut(1, ErrorKind.CONNECTION); // the lease generation is stored, the answer lost
            assertThrows(ObjectStoreException.class, () -> Replicator.start(taker.database("data"),
                options(takerBucket, "standby", Duration.ofMinutes(2)).build()));
          }
          try (Replicator rt = Replicator.start(taker.database("data"),
              options(takerBucket, "standby", Duration.ofMinutes(2)).build())) {
            rt.write(ReplicationTest.insert("standby", "acknowledged by the taker"), Durability.REPLICATED)
                .get(20, TimeUnit.SECONDS);
            wake.countDown();
            ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(20, TimeUnit.SECONDS));
            assertInstanceOf(LeaseException.class, e.getCause(), e.toString());
            rt.write(ReplicationTest.insert("standby", "after the primary woke"), Durability.REPLICATED)
                .get(20, TimeUnit.SECONDS);
            takerContent = taker.database("data").read(Dumps::dump);
          }
        }
      } finally {
        wake.countDown();
      }
    }
    Path latest = dir.resolve("latest.db");
    String restored;
    try {
      Restore.run(RestoreOptions.builder(files, prefix, latest).build());
      restored = Dumps.dump(latest);
    } catch (RestoreException e) {
      restored = "restore latest failed: " + e.getMessage();
    }
    assertEquals(takerContent, restored, "restore latest has every write the holder acknowledged; bucket: "
        + files.list(prefix + "/lineages/").map(ObjectInfo::key).toList());
  }

  // --- 5. the bucket-wins change refuses a legitimate restart after a close during a bucket outage

  /**
   * The bucket is down when the replicator closes: it gives up with a commit unshipped ("stays in the WAL
   * and ships after the next start"). Replicator.close removes the checkpoint gate, and the store's close
   * checkpoints the WAL into the main file. At the next start the file equals no point the bucket keeps,
   * and since 11d97ac that is refused (LocalBehindBucketException, localTxid -1) although nothing was lost
   * and nothing was changed behind replication's back; before it, a new lineage started.
   */
  @Test
  void aRestartAfterClosingDuringABucketOutageReplicates() throws Exception {
    Path live = dir.resolve("live");
    FaultyObjectStore bucket = new FaultyObjectStore(files);
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options(bucket, "p", Duration.ofMinutes(2)).build())) {
        r.write(ReplicationTest.insert("a", "replicated"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        bucket.down(true);
        db.writeAndWait(ReplicationTest.insert("a", "committed while the bucket is down"));
      } // the replicator gives up at close; then the store closes
    }
    bucket.down(false);
    try (SqliteStore store = openStore(live);
        Replicator r = Replicator.start(store.database("data"), options(bucket, "p", Duration.ofMinutes(2)).build())) {
      try {
        r.write(ReplicationTest.insert("a", "after the restart"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        fail("a plain restart after closing during a bucket outage is refused: " + e.getCause());
      }
      Path latest = dir.resolve("latest.db");
      Restore.run(RestoreOptions.builder(files, prefix, latest).build());
      assertEquals(store.database("data").read(Dumps::dump), Dumps.dump(latest));
    }
  }
}
