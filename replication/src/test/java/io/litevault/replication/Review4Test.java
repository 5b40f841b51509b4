package io.litevault.replication;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile review of 2f2c1d7..1d9d776 (fence flag, same-file exception to the bucket-wins refusal, one
 * replicator per database per process, create-only data puts). Each test fails on 1d9d776. Real SQLite
 * files, a real file bucket, {@link FaultyObjectStore} for lost answers and pauses.
 */
class Review4Test {
  @TempDir Path dir;
  FileSystemObjectStore files;
  final String prefix = "review4/data";

  @BeforeEach
  void bucket() throws Exception {
    files = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("bucket"))).build());
  }

  @AfterEach
  void close() {
    files.close();
  }

  SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder()
        .migration(1, "post", SpineRegressionTest.SCHEMA).build()).open();
  }

  ReplicatorOptions.Builder options(ObjectStore store) {
    return ReplicatorOptions.builder(store, prefix).owner("host-a").minUploadInterval(Duration.ofMillis(5))
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100));
  }

  Path restoreLatest(String name) {
    Path out = dir.resolve("restored").resolve(name + ".db");
    Restore.run(RestoreOptions.builder(files, prefix, out).build());
    return out;
  }

  String bucketKeys() {
    return files.list(prefix + "/lineages/").map(ObjectInfo::key).toList().toString();
  }

  static Object inode(Path file) throws Exception {
    return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
  }

  /**
   * What a power loss with synchronous=NORMAL leaves: the WAL's unsynced frames are gone, the main file
   * holds the last checkpointed state. Written into the SAME file (inode), as a power loss does.
   */
  static void powerLossBackTo(byte[] mainFile, Path live) throws Exception {
    Path db = live.resolve("data.db");
    Object before = inode(db);
    try (FileChannel ch = FileChannel.open(db, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(mainFile));
      ch.force(true);
    }
    Files.deleteIfExists(live.resolve("data.db-wal"));
    Files.deleteIfExists(live.resolve("data.db-shm"));
    assertEquals(before, inode(db), "the same file, rolled back in place");
  }

  // --- 1. the same-file exception accepts a power-loss rollback to a state the bucket keeps no point of

  /**
   * The service writes LOCAL for a moment before its replicator attaches (documented as legitimate; or
   * it simply keeps writing while the replicator takes the lease). The first lineage's snapshot covers
   * those commits, so the states between the last checkpoint and the snapshot are no restore point.
   * Then 5 REPLICATED writes are acknowledged. A power loss with synchronous=NORMAL rolls the file back
   * to its last checkpoint (the WAL was never synced): the same inode, equal to no point the bucket
   * keeps. Before 3781c7e that was refused; now sameFileAs(lineage) lets it through, a new lineage starts
   * from the rolled-back file, and "restore latest" silently loses the 5 acknowledged writes (and the
   * LOCAL ones the bucket had).
   */
  @Test
  void aPowerLossRollbackOfTheSameFileToAStateTheBucketHasNoPointOfIsRefused() throws Exception {
    Path live = dir.resolve("live");
    try (SqliteStore store = openStore(live)) {
      store.database("data").writeAndWait(ReplicationTest.insert("old", "checkpointed long ago"));
    } // checkpointed and synced at close: what survives the coming power loss
    byte[] lastCheckpoint = Files.readAllBytes(live.resolve("data.db"));
    Files.write(dir.resolve("m.db"), lastCheckpoint);

    String acknowledged;
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      for (int i = 0; i < 3; i++) {
        db.writeAndWait(ReplicationTest.insert("local", "before attach " + i)); // LOCAL, in the WAL only
      }
      try (Replicator r = Replicator.start(db, options(files).build())) {
        for (int i = 0; i < 5; i++) {
          r.write(ReplicationTest.insert("acknowledged", "replicated " + i), Durability.REPLICATED)
              .get(20, TimeUnit.SECONDS);
        }
        acknowledged = db.read(Dumps::dump);
      }
    }
    assertEquals(acknowledged, Dumps.dump(restoreLatest("before")), "the bucket has every acknowledged write");

    powerLossBackTo(lastCheckpoint, live);

    Throwable failure = null;
    try (SqliteStore store = openStore(live);
        Replicator r = Replicator.start(store.database("data"), options(files).build())) {
      try {
        r.write(ReplicationTest.insert("after", "the power loss"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        failure = e.getCause();
      }
    }
    String latest = Dumps.dump(restoreLatest("latest"));
    assertTrue(latest.contains("replicated 4") && latest.contains("before attach 2"),
        "restore latest lost writes acknowledged as REPLICATED after a power loss rolled the same file back to a "
            + "state the bucket keeps no point of (replication's answer: " + failure + "); restore latest:\n" + latest
            + "\nbucket: " + bucketKeys());
    assertInstanceOf(LocalBehindBucketException.class, failure);
  }

  // --- 2. ATTACHED leaks when the store is closed without closing the replicator first

  /**
   * The Replicator's javadoc: "r.close(); // before store.close(), or let store.close() flush it". A
   * service that lets store.close() flush it (its onClose hook ships and stops the shipper) never calls
   * Replicator.close(), so {@code closed} stays false and runShipper's finally keeps the path in
   * ATTACHED for the life of the JVM. Reopening the store in the same process (a restore, a maintenance
   * restart, a test) and starting a replicator is refused forever: "already has a replicator".
   */
  @Test
  void aStoreClosedWithoutClosingItsReplicatorCanBeReplicatedAgainAfterReopening() throws Exception {
    Path live = dir.resolve("live");
    Replicator first;
    try (SqliteStore store = openStore(live)) {
      first = Replicator.start(store.database("data"), options(files).build());
      first.write(ReplicationTest.insert("a", "one"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    } // store.close() flushes the replicator, as its javadoc allows
    ReviewRegressionTest.await("the first replicator's thread ended", () -> !first.health().running());
    try (SqliteStore store = openStore(live)) {
      Replicator second;
      try {
        second = Replicator.start(store.database("data"), options(files).build());
      } catch (IllegalStateException e) {
        fail("the store was closed (and its replicator's thread ended) but no replicator can ever be started on "
            + "this database again in this process: " + e.getMessage());
        return;
      }
      try (second) {
        second.write(ReplicationTest.insert("a", "two"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
  }

  // --- 3. the lineage landed but 'local-file' was not written: the next restart is refused

  /**
   * The first snapshot of a new lineage is stored but its answer is lost while the service is stopping.
   * The shipper gives up at once ('closing && lineage == null'), before recordLocalFile. The store's close
   * then checkpoints a LOCAL commit made after the snapshot's pin (the gate is gone). At the restart the
   * bucket's newest lineage is that snapshot; the file moved on past it and there is no 'local-file' for
   * that lineage, so a plain restart of the same file on the same host is refused
   * (LocalBehindBucketException) — for good: every later start is refused the same way.
   */
  @Test
  void aRestartAfterTheFirstSnapshotsAnswerWasLostAtCloseReplicates() throws Exception {
    Path live = dir.resolve("live");
    FaultyObjectStore bucket = new FaultyObjectStore(files);
    CountDownLatch atSnapshot = new CountDownLatch(1);
    CountDownLatch closing = new CountDownLatch(1);
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      db.writeAndWait(ReplicationTest.insert("a", "before the first start"));
      bucket.beforePut("/snapshots/", key -> {
        atSnapshot.countDown();
        try {
          closing.await(20, TimeUnit.SECONDS);
          Thread.sleep(300); // Replicator.close() has set 'closing' by now
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        bucket.failAfterPut(1, ErrorKind.CONNECTION); // the snapshot is stored, its answer lost
      });
      Replicator r = Replicator.start(db, options(bucket).build());
      assertTrue(atSnapshot.await(20, TimeUnit.SECONDS), "the first lineage's snapshot is being uploaded");
      db.writeAndWait(ReplicationTest.insert("a", "committed after the snapshot's pin")); // LOCAL
      closing.countDown();
      r.close(); // the service stops
    } // the store's close checkpoints the LOCAL commit
    assertEquals(1, LineageCatalog.list(files, new BucketLayout(prefix)).size(), "the lineage's snapshot landed: "
        + bucketKeys());

    try (SqliteStore store = openStore(live);
        Replicator r = Replicator.start(store.database("data"), options(files).build())) {
      try {
        r.write(ReplicationTest.insert("a", "after the restart"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        fail("a plain restart of the same file on the same host is refused because the first snapshot's answer "
            + "was lost at close (local-file never written): " + e.getCause());
      }
      assertEquals(store.database("data").read(Dumps::dump), Dumps.dump(restoreLatest("latest")));
    }
  }

  // --- 4. a lineage continued through a catch-up snapshot never records 'local-file'

  /**
   * Disaster recovery: the database is restored from the bucket to a new disk, the service starts and
   * writes LOCAL for a moment before its replicator attaches (more than a segment holds), so resumeAt
   * continues the lineage through a catch-up snapshot: it returns before recordLocalFile, and the
   * snapshot (not a new lineage) records nothing either. Later the store closes during a bucket outage
   * with a LOCAL commit unshipped (the case 3781c7e's same-file rule is for). The restart of the same
   * file is refused: there is no 'local-file'. With a small catch-up (a segment) it is accepted.
   */
  @Test
  void aRestoredFileContinuedThroughACatchUpSnapshotCanRestartAfterClosingDuringAnOutage() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("primary"));
        Replicator r = Replicator.start(store.database("data"), options(files).build())) {
      r.write(ReplicationTest.insert("primary", "replicated"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
    Path live = dir.resolve("recovered");
    Restore.run(RestoreOptions.builder(files, prefix, live.resolve("data.db")).build());
    FaultyObjectStore bucket = new FaultyObjectStore(files);
    ReplicatorOptions.Builder small = options(bucket).maxSegmentBytes(64 * 1024);
    String lineage;
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      for (int i = 0; i < 30; i++) {
        db.writeAndWait(ReplicationTest.insert("local", i + "x".repeat(3000))); // before attach: ~100 KB of frames
      }
      try (Replicator r = Replicator.start(db, small.build())) {
        r.write(ReplicationTest.insert("recovered", "replicated"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        lineage = r.health().lineage();
        bucket.down(true);
        db.writeAndWait(ReplicationTest.insert("recovered", "committed while the bucket is down"));
      } // gives up at close; the store's close checkpoints the unshipped commit
    }
    bucket.down(false);
    assertEquals(1, LineageCatalog.list(files, new BucketLayout(prefix)).size(), "the recovered file continued the "
        + "primary's lineage " + lineage + ": " + bucketKeys());

    try (SqliteStore store = openStore(live);
        Replicator r = Replicator.start(store.database("data"), small.build())) {
      try {
        r.write(ReplicationTest.insert("recovered", "after the restart"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        fail("a restart of the same file after closing during a bucket outage is refused because its lineage was "
            + "continued through a catch-up snapshot, which never records local-file: " + e.getCause());
      }
      assertEquals(store.database("data").read(Dumps::dump), Dumps.dump(restoreLatest("latest")));
    }
  }

  // --- 5. failover to a restored standby whose first start met the dead primary's lease

  /**
   * The primary dies (kill -9: its lease stays until it expires). The standby restores the bucket and
   * starts the new release, whose migration v2 runs at SqliteStore.open. Replicator.start is refused
   * (LeaseException: the dead primary's lease has not expired), so the service exits and is restarted
   * (its store's close checkpoints the migration). Once the lease expired, the next start is refused for
   * good with LocalBehindBucketException: the restored file plus a migration equals no point and is not
   * 'the same file' (nothing recorded it). The same deploy on the primary's own file is accepted. The
   * failover needs allowFork (or a second restore, which fails the same way).
   */
  @Test
  void aFailoverToARestoredStandbyWithAMigrationReplicatesOnceTheDeadPrimarysLeaseExpired() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("primary"));
        Replicator r = Replicator.start(store.database("data"), options(files).build())) {
      r.write(ReplicationTest.insert("primary", "replicated"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
    Duration ttl = Duration.ofSeconds(1);
    new Lease(files, new BucketLayout(prefix), "primary (killed)", "boot/primary", ttl, java.time.Clock.systemUTC(),
        System::nanoTime).acquire(); // what a kill -9 leaves: a lease nobody releases

    Path standby = dir.resolve("standby");
    Restore.run(RestoreOptions.builder(files, prefix, standby.resolve("data.db")).build());
    java.util.function.Supplier<SqliteStore> release2 = () -> SqliteStore.builder(standby).database("data",
        DatabaseOptions.builder().migration(1, "post", SpineRegressionTest.SCHEMA)
            .migration(2, "tag", "CREATE TABLE tag(id INTEGER PRIMARY KEY, name TEXT NOT NULL)").build()).open();
    try (SqliteStore store = release2.get()) {
      assertThrows(LeaseException.class, () -> Replicator.start(store.database("data"), options(files).owner("standby")
          .build()), "the dead primary's lease has not expired yet");
    } // the service exits; it is restarted a moment later
    Thread.sleep(ttl.toMillis() + 200);
    try (SqliteStore store = release2.get();
        Replicator r = Replicator.start(store.database("data"), options(files).owner("standby").build())) {
      try {
        r.write(ReplicationTest.insert("standby", "first write after the failover"), Durability.REPLICATED)
            .get(20, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        fail("the failover to a standby restored from the bucket is refused once the dead primary's lease "
            + "expired, because the new release's migration ran (and was checkpointed) while the lease "
            + "refused the first start: " + e.getCause());
      }
      assertEquals(store.database("data").read(Dumps::dump), Dumps.dump(restoreLatest("latest")));
    }
  }

  // --- 6. a renewal accepted as 'ours' after a lost answer gets credit from the retry, not from its expiry

  /**
   * A renewal's create-only put of generation g+1 is stored (expiry = then + TTL) but its answer is lost,
   * and the bucket stays unreachable for a while (0.6 TTL: with the default 2 min TTL, a 72 s outage).
   * When it answers again, the retried renewal finds g+1 holds its own nonce and accepts it, but takes
   * confirmedNanos from the retry's start, while the expiry others read in g+1 dates from the first
   * attempt. Half a TTL of credit from the retry outlives that expiry by 0.1 TTL: another process takes
   * over (the generation has expired on every clock) while the holder's renewIfDue says "not due", so it
   * uploads and acknowledges beside the taker. The same bug 7ae2668 fixed for the first attempt.
   */
  @Test
  void aRenewalAcceptedAfterALostAnswerIsNotCreditedBeyondTheExpiryItStored() {
    Duration ttl = Duration.ofSeconds(10);
    io.litevault.testing.MutableClock clock = new io.litevault.testing.MutableClock(java.time.Instant.parse("2026-12-02T02:00:00Z"));
    java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong(1);
    java.util.function.Consumer<Duration> pass = d -> {
      clock.advance(d);
      nanos.addAndGet(d.toNanos());
    };
    BucketLayout layout = new BucketLayout(prefix);
    FaultyObjectStore holderBucket = new FaultyObjectStore(files);
    Lease holder = new Lease(holderBucket, layout, "host-a", "boot/a", ttl, clock, nanos::get);
    holder.acquire(); // generation 1
    pass.accept(ttl.dividedBy(2).plusMillis(100)); // a renewal is due at the next upload
    holderBucket.failAfterPut(1, ErrorKind.CONNECTION); // generation 2 is stored, its answer lost
    assertThrows(ObjectStoreException.class, holder::renewIfDue);
    holderBucket.down(true);
    pass.accept(ttl.multipliedBy(6).dividedBy(10)); // the bucket is unreachable; the shipper backs off and retries
    assertThrows(ObjectStoreException.class, holder::renewIfDue);
    holderBucket.down(false);
    holder.renewIfDue(); // finds its own generation 2 and accepts it
    pass.accept(ttl.multipliedBy(45).dividedBy(100)); // 1.05 TTL after generation 2's expiry basis
    Lease taker = new Lease(files, layout, "host-b", "boot/b", ttl, clock, nanos::get);
    taker.acquire(); // generation 2 has expired on every clock: taken over
    String generations = files.list(layout.leases()).map(o -> o.key().substring(layout.leases().length())).toList()
        .toString();
    assertThrows(LeaseException.class, holder::renewIfDue,
        "the holder still believes it holds the lease (renewal not due) after another process took it over: it "
            + "uploads and acknowledges beside the taker; generations " + generations);
  }
}
