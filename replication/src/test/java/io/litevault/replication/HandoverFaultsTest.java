package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.HandedOverException;
import io.litevault.store.SqliteStore;
import io.litevault.store.StoreLockedException;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A handover when the bucket misbehaves: the lease release stored but its answer lost, the release not
 * stored at all, the bucket down while shipping. The lease TTL is an hour, so a successor that starts at
 * once did so because of what the bucket says, not because the lease ran out.
 */
class HandoverFaultsTest {
  static final String PREFIX = "faults/data";
  @TempDir Path dir;
  EmbeddedS3 s3;
  ObjectStore real;
  FaultyObjectStore faulty;
  final BucketLayout layout = new BucketLayout(PREFIX);

  @BeforeEach
  void start() {
    s3 = EmbeddedS3.start();
    real = MinioObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build());
    faulty = new FaultyObjectStore(real);
  }

  @AfterEach
  void stop() {
    real.close();
    s3.close();
  }

  private SqliteStore open(Duration lockWait) {
    return SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "post", ReplicationTest.SCHEMA).build()).lockWait(lockWait).open();
  }

  private ReplicatorOptions.Builder options(ObjectStore bucket) {
    return ReplicatorOptions.builder(bucket, PREFIX).minUploadInterval(Duration.ofMillis(10)).leaseTtl(Duration.ofHours(1));
  }

  private Set<String> snapshotsAndLineages() {
    return HandoverLoopTest.keys(real, layout.lineages()).stream().filter(k -> k.contains("/snapshots/"))
        .collect(Collectors.toSet());
  }

  /** Writes 20 REPLICATED rows and hands over; returns the dump of the database. */
  private String writeAndHandOver(SqliteStore store, Replicator r, String who) throws Exception {
    for (int i = 0; i < 20; i++) {
      r.write(ReplicationTest.insert(who, "row " + i), Durability.REPLICATED).get();
    }
    String dump = store.database("data").read(Dumps::dump);
    Handover.run(store, List.of(r), HandoverOptions.defaults());
    Path wal = dir.resolve("live").resolve("data.db-wal");
    assertTrue(!java.nio.file.Files.exists(wal) || java.nio.file.Files.size(wal) == 0,
        "everything shipped, so the closing checkpoint ran: the WAL is empty");
    return dump;
  }

  /**
   * The release PUT is stored but its answer lost: the old process cannot tell, logs it and goes on. A
   * standby on another home (another work directory, so another {@code Home}: another machine as far as
   * the lease can tell) sees the released generation, takes the lease at once — an hour before it would
   * expire — and continues the lineage with no new snapshot.
   */
  @Test
  void theReleaseStoredWithItsAnswerLostLetsAStandbyElsewhereContinueAtOnce() throws Exception {
    SqliteStore store = open(Duration.ZERO);
    Replicator r = Replicator.start(store.database("data"), options(faulty).build());
    AtomicInteger leasePuts = new AtomicInteger();
    // With an hour's TTL no renewal is due: the first lease put from here on is the release. The hook
    // re-arms itself for any other put it might meet first.
    faulty.beforePut("/leases/", new java.util.function.Consumer<String>() {
      @Override
      public void accept(String key) {
        leasePuts.incrementAndGet();
        faulty.failAfterPut(1, ErrorKind.CONNECTION); // stored, then the answer is lost
      }
    });
    String before = writeAndHandOver(store, r, "old");
    assertEquals(1, leasePuts.get(), "the release was the one lease put of the handover");
    Set<String> snapshots = snapshotsAndLineages();
    try (SqliteStore next = open(Duration.ZERO)) {
      Replicator standby = Replicator.start(next.database("data"),
          options(real).workDirectory(dir.resolve("standby-work")).owner("standby").build());
      standby.write(ReplicationTest.insert("standby", "first"), Durability.REPLICATED).get();
      assertEquals(0, standby.metrics().snapshotsUploaded(), standby.metrics().toString());
      assertEquals(0, standby.metrics().lineagesStarted(), "continued the lineage");
      assertEquals(snapshots, snapshotsAndLineages(), "no new snapshot");
      String after = next.database("data").read(Dumps::dump);
      assertTrue(after.contains("standby") && before.length() < after.length(), "the standby's write is on top");
      Handover.run(next, List.of(standby), HandoverOptions.defaults());
      Path restored = dir.resolve("restored.db");
      Restore.run(RestoreOptions.builder(real, PREFIX, restored).build());
      assertEquals(after, Dumps.dump(restored));
    }
  }

  /**
   * The release PUT never stored (the bucket failed it): nothing in the bucket says the holder is gone.
   * A successor on the same files (the same home) still takes the lease at once and continues; a process
   * on another home is refused, naming the holder, until the lease expires — it cannot tell a handover
   * from a paused holder.
   */
  @Test
  void aReleaseThatNeverLandedStillLetsTheSameFilesContinueAndRefusesAnotherHome() throws Exception {
    SqliteStore store = open(Duration.ZERO);
    Replicator r = Replicator.start(store.database("data"), options(faulty).owner("old-process").build());
    faulty.beforePut("/leases/", key -> {
      throw new ObjectStoreException(ErrorKind.SERVER_ERROR, "putIfAbsent", key, "injected: the release failed", null);
    });
    writeAndHandOver(store, r, "old");
    Set<String> snapshots = snapshotsAndLineages();
    try (SqliteStore next = open(Duration.ZERO)) {
      LeaseException refused = assertThrows(LeaseException.class, () -> Replicator.start(next.database("data"),
          options(real).workDirectory(dir.resolve("elsewhere-work")).owner("elsewhere").build()));
      assertTrue(refused.getMessage().contains("old-process"), refused.getMessage());
      try (Replicator same = Replicator.start(next.database("data"), options(real).build())) {
        same.write(ReplicationTest.insert("same", "first"), Durability.REPLICATED).get();
        assertEquals(0, same.metrics().lineagesStarted(), "continued the lineage");
        assertEquals(snapshots, snapshotsAndLineages(), "no new snapshot");
      }
    }
  }

  /**
   * The bucket is down while the handover ships: it is abandoned within its timeout, nothing is released
   * (the store's lock stays: a successor times out; the lease stays), and the process accepts writes again.
   * Once the bucket is back, a second handover goes through and a successor continues the lineage.
   */
  @Test
  void aBucketDownWhileShippingAbandonsTheHandoverAndWritesResume() throws Exception {
    SqliteStore store = open(Duration.ZERO);
    Replicator r = Replicator.start(store.database("data"), options(faulty).build());
    r.write(ReplicationTest.insert("old", "replicated"), Durability.REPLICATED).get();
    faulty.down(true);
    store.database("data").writeAndWait(ReplicationTest.insert("old", "local, not shipped"));
    HandoverException e = assertThrows(HandoverException.class,
        () -> Handover.run(store, List.of(r), HandoverOptions.builder().timeout(Duration.ofSeconds(1)).build()));
    assertTrue(e.writesResumed());
    assertTrue(e.getMessage().contains("did not reach the bucket") && e.getMessage().contains("nothing released"),
        e.getMessage());
    assertThrows(StoreLockedException.class, () -> open(Duration.ofMillis(200)), "the store was not let go");
    store.database("data").writeAndWait(ReplicationTest.insert("old", "after the abandoned handover"));
    faulty.down(false);
    String before = writeAndHandOver(store, r, "old");
    assertThrows(HandedOverException.class, () -> store.database("data").write(ReplicationTest.insert("x", "y")));
    try (SqliteStore next = open(Duration.ZERO); Replicator same = Replicator.start(next.database("data"), options(real).build())) {
      assertEquals(before, next.database("data").read(Dumps::dump));
      same.write(ReplicationTest.insert("new", "first"), Durability.REPLICATED).get();
      assertEquals(0, same.metrics().lineagesStarted(), "continued the lineage");
    }
  }
}
