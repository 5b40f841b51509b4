package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.RetryPolicy;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.CheckpointMode;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.EmbeddedS3Extension;
import io.litevault.testing.Fault;
import io.litevault.testing.FaultProxy;
import io.litevault.testing.HttpRequestHead;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MultiReplicator} on real parts: a real SQLite file shipped to two buckets of the embedded S3
 * server, "local" through the MinIO client and "remote" through the AWS SDK behind the {@link FaultProxy},
 * which takes the remote down, slows it, or loses its answers while the local one stays healthy.
 */
class MultiDestinationTest {
  @RegisterExtension static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();
  private static final String REMOTE_BUCKET = "remote";
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  @TempDir Path dir;
  private FaultProxy proxy;
  private ObjectStore local;
  private ObjectStore remote;
  private String prefix;

  @BeforeEach
  void open() {
    EmbeddedS3 s3 = S3.server();
    s3.createBucket(REMOTE_BUCKET);
    proxy = FaultProxy.start(s3.endpoint());
    local = MinioObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build());
    remote = S3ObjectStore.create(S3Options.builder(REMOTE_BUCKET).endpoint(proxy.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), s3.secretKey())
        .retryPolicy(new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(50)))
        .connectTimeout(Duration.ofSeconds(2)).socketTimeout(Duration.ofMillis(700)).build());
    prefix = "multi" + PREFIXES.incrementAndGet() + "/data";
  }

  @AfterEach
  void close() {
    proxy.clear();
    local.close();
    remote.close();
    proxy.close();
  }

  private SqliteStore openStore(DatabaseOptions.Builder b) {
    return SqliteStore.builder(dir.resolve("live")).database("data",
        b.holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).build()).open();
  }

  private SqliteStore openStore() {
    return openStore(DatabaseOptions.builder());
  }

  private ReplicatorOptions.Builder to(ObjectStore store) {
    return ReplicatorOptions.builder(store, prefix).minUploadInterval(Duration.ofMillis(20))
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
  }

  private MultiReplicatorOptions.Builder both() {
    return MultiReplicatorOptions.builder().destination("local", to(local).build()).destination("remote", to(remote).build());
  }

  private Path restore(ObjectStore from, String name) {
    Path out = dir.resolve("restored").resolve(name + ".db");
    Restore.run(RestoreOptions.builder(from, prefix, out).force(true).build());
    return out;
  }

  private void down() {
    proxy.inject(Fault.internalError(), 1_000_000, r -> true);
  }

  private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
      Thread.sleep(20);
    }
  }

  private int lineages(ObjectStore store) {
    return LineageCatalog.list(store, new BucketLayout(prefix)).size();
  }

  /** restore(replicate(x)) == x from each destination, each through its own client, each with its own work directory. */
  @Test
  void restoreFromEachDestinationEqualsTheSource() throws Exception {
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      try (MultiReplicator m = MultiReplicator.start(db, both().build())) {
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          acks.add(m.write(ReplicationTest.insert("ada", "post " + i + " " + "x".repeat(i % 70)),
              i % 3 == 0 ? Durability.LOCAL : Durability.REPLICATED));
        }
        for (CompletableFuture<Long> f : acks) {
          f.get(30, TimeUnit.SECONDS);
        }
        long last = m.write(ReplicationTest.insert("ada", "last"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        assertTrue(last > 0);
        MultiReplicationHealth h = m.health();
        assertEquals(db.lastTxid(), h.replicatedStoreTxid(), h.toString());
        for (String d : List.of("local", "remote")) {
          assertEquals(db.lastTxid(), h.destination(d).replicatedStoreTxid(), "REPLICATED waits for all by default: " + h);
          assertTrue(Files.isRegularFile(db.path().resolveSibling(".litevault").resolve("data").resolve("destinations")
              .resolve(d).resolve("home-id")), "destination " + d + " has its own work directory");
        }
        assertTrue(h.healthy(), h.toString());
        String source = db.read(Dumps::dump);
        assertEquals(source, Dumps.dump(restore(local, "from-local")), "restored from the local destination");
        assertEquals(source, Dumps.dump(restore(remote, "from-remote")), "restored from the remote destination");
        assertEquals("ok", Dumps.integrity(dir.resolve("restored").resolve("from-remote.db")));
      }
    }
  }

  /**
   * The remote destination is down (every request answered 500): LOCAL writes go on, REPLICATED writes
   * wait for it (the default quorum is all) although the local bucket has them, and complete once it
   * comes back and catches up.
   */
  @Test
  void oneDestinationDownHoldsReplicatedWritesUnderTheDefaultQuorumAndCatchesUpWhenItReturns() throws Exception {
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      try (MultiReplicator m = MultiReplicator.start(db, both().build())) {
        m.write(ReplicationTest.insert("a", "before"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        down();
        for (int i = 0; i < 50; i++) {
          m.write(ReplicationTest.insert("a", "local " + i), Durability.LOCAL).get(5, TimeUnit.SECONDS);
        }
        CompletableFuture<Long> waiting = m.write(ReplicationTest.insert("a", "replicated"), Durability.REPLICATED);
        long txid = db.lastTxid();
        eventually("the local destination holds the write", () -> m.health().destination("local").replicatedStoreTxid() >= txid);
        assertThrows(TimeoutException.class, () -> waiting.get(1500, TimeUnit.MILLISECONDS),
            "REPLICATED waits for every destination by default");
        MultiReplicationHealth h = m.health();
        assertNotNull(h.destination("remote").lastError(), h.toString());
        assertTrue(h.destination("remote").lagTransactions() > 0, h.toString());
        assertNull(h.destination("local").lastError(), h.toString());
        assertFalse(h.healthy());
        assertTrue(h.replicatedStoreTxid() < txid, "the quorum (all) does not hold it: " + h);
        for (int i = 0; i < 20; i++) { // LOCAL is never blocked, even with a REPLICATED write waiting
          m.write(ReplicationTest.insert("a", "still local " + i), Durability.LOCAL).get(5, TimeUnit.SECONDS);
        }
        proxy.clear();
        waiting.get(30, TimeUnit.SECONDS);
        assertTrue(m.awaitReplicated(db.lastTxid(), Duration.ofSeconds(30)));
        eventually("both healthy", () -> m.health().healthy());
        String source = db.read(Dumps::dump);
        assertEquals(source, Dumps.dump(restore(remote, "remote")), "the remote caught up");
        assertEquals(source, Dumps.dump(restore(local, "local")));
        assertEquals(1, lineages(remote), "an outage within the WAL limit continues the lineage");
      }
    }
  }

  /** With a quorum of one, REPLICATED writes complete while the remote is down; it catches up afterwards. */
  @Test
  void aQuorumOfOneAcknowledgesThroughTheOutageOfTheOther() throws Exception {
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      try (MultiReplicator m = MultiReplicator.start(db, both().quorum(1).build())) {
        m.write(ReplicationTest.insert("q", "before"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        down();
        for (int i = 0; i < 20; i++) {
          m.write(ReplicationTest.insert("q", "during " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        }
        MultiReplicationHealth h = m.health();
        assertEquals(db.lastTxid(), h.replicatedStoreTxid(), h.toString());
        assertTrue(h.quorumHealthy(), h.toString());
        assertTrue(h.destination("remote").replicatedStoreTxid() < db.lastTxid(), h.toString());
        assertFalse(m.replicator("remote").hasWaiters(),
            "acknowledged writes leave nothing waiting in the destination that is down (no growth over an outage)");
        proxy.clear();
        eventually("the remote caught up", () -> m.health().destination("remote").replicatedStoreTxid() == db.lastTxid());
        String source = db.read(Dumps::dump);
        assertEquals(source, Dumps.dump(restore(remote, "remote")));
        assertEquals(source, Dumps.dump(restore(local, "local")));
      }
    }
  }

  /**
   * The remote cannot be reached when the replicator starts: the local destination starts and ships, the
   * remote is retried in the background and holds the WAL meanwhile; a REPLICATED write waits for it (the
   * default quorum), and once it answers it starts, continues its lineage and the write completes.
   */
  @Test
  void aDestinationUnreachableAtStartDoesNotStopTheOthersAndStartsWhenItAnswers() throws Exception {
    try (SqliteStore store = openStore(); MultiReplicator m = MultiReplicator.start(store.database("data"), both().build())) {
      m.write(ReplicationTest.insert("b", "first run"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
    }
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      down();
      try (MultiReplicator m = MultiReplicator.start(db, both().build())) {
        ReplicationHealth remoteHealth = m.health().destination("remote");
        assertFalse(remoteHealth.running(), remoteHealth.toString());
        assertTrue(remoteHealth.lastError().startsWith("not started"), remoteHealth.toString());
        for (int i = 0; i < 20; i++) {
          m.write(ReplicationTest.insert("b", "local " + i), Durability.LOCAL).get(5, TimeUnit.SECONDS);
        }
        CompletableFuture<Long> waiting = m.write(ReplicationTest.insert("b", "replicated"), Durability.REPLICATED);
        long txid = db.lastTxid();
        eventually("the local destination holds the write", () -> m.health().destination("local").replicatedStoreTxid() >= txid);
        assertThrows(TimeoutException.class, () -> waiting.get(1, TimeUnit.SECONDS));
        assertFalse(db.checkpoint(CheckpointMode.TRUNCATE).get(10, TimeUnit.SECONDS).ran(),
            "the WAL is held for the destination that has not started");
        proxy.clear();
        waiting.get(30, TimeUnit.SECONDS);
        eventually("both healthy", () -> m.health().healthy());
        assertEquals(1, lineages(remote), "the remote continued its lineage");
        assertEquals(1, lineages(local));
        String source = db.read(Dumps::dump);
        assertEquals(source, Dumps.dump(restore(remote, "remote")));
        assertEquals(source, Dumps.dump(restore(local, "local")));
      }
    }
  }

  /**
   * The remote is slow (PUTs stall past the client's timeout) and loses answers (PUTs stored, the answer
   * reset): every REPLICATED write still completes, and both buckets restore to the source.
   */
  @Test
  void aSlowDestinationThatLosesAnswersStillGetsEveryWrite() throws Exception {
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      try (MultiReplicator m = MultiReplicator.start(db, both().build())) {
        m.write(ReplicationTest.insert("s", "before"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        proxy.inject(Fault.stall(Duration.ofSeconds(1)), 2, HttpRequestHead::isObjectPut);
        proxy.inject(Fault.resetResponseAfter(0), 3, HttpRequestHead::isObjectPut);
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          acks.add(m.write(ReplicationTest.insert("s", "row " + i), Durability.REPLICATED));
          if (i % 8 == 0) {
            acks.get(acks.size() - 1).get(30, TimeUnit.SECONDS); // spread them over several uploads
          }
        }
        for (CompletableFuture<Long> f : acks) {
          f.get(30, TimeUnit.SECONDS);
        }
        assertTrue(proxy.injected() >= 3, "faults were injected: " + proxy.injected());
        assertTrue(m.metrics("remote").uploadErrors() >= 1, "the remote saw the faults");
        assertEquals(0, m.metrics("local").uploadErrors(), "the local did not");
        String source = db.read(Dumps::dump);
        assertEquals(source, Dumps.dump(restore(remote, "remote")));
        assertEquals(source, Dumps.dump(restore(local, "local")));
      }
    }
  }

  /**
   * The remote stays down while the WAL passes the store's hard limit: the store checkpoints anyway; the
   * remote, back, starts a new lineage with a snapshot, while the local destination, which had shipped
   * everything, continues its lineage (it is asked to catch up before the forced checkpoint, and ignores a
   * break that costs it nothing).
   */
  @Test
  void pastTheHardLimitTheDownDestinationStartsANewLineageWhileTheOtherContinuesItsOwn() throws Exception {
    try (SqliteStore store = openStore(DatabaseOptions.builder().restartWalBytes(64 * 1024).hardWalLimitBytes(128 * 1024))) {
      Database db = store.database("data");
      try (MultiReplicator m = MultiReplicator.start(db, both().build())) {
        m.write(ReplicationTest.insert("h", "before"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        String localLineage = m.positionOf("local", db.lastTxid()).orElseThrow().lineage();
        String remoteLineage = m.positionOf("remote", db.lastTxid()).orElseThrow().lineage();
        down();
        for (int i = 0; i < 80; i++) {
          m.write(ReplicationTest.insert("h", "during " + i + " " + "x".repeat(2000)), Durability.LOCAL).get(10, TimeUnit.SECONDS);
        }
        assertTrue(db.health().continuityBreaks() >= 1, "the store checkpointed past the hard limit: " + db.health());
        assertTrue(db.health().walBytes() <= 256 * 1024, "the WAL stayed bounded: " + db.health());
        proxy.clear();
        m.write(ReplicationTest.insert("h", "after"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        assertEquals(localLineage, m.positionOf("local", db.lastTxid()).orElseThrow().lineage(),
            "the local destination continued its lineage");
        assertNotEquals(remoteLineage, m.positionOf("remote", db.lastTxid()).orElseThrow().lineage(),
            "the remote started a new lineage");
        assertEquals(0, m.metrics("local").continuityBreaks(), m.metrics("local").toString());
        assertTrue(m.metrics("remote").continuityBreaks() >= 1, m.metrics("remote").toString());
        assertEquals(1, lineages(local));
        assertEquals(2, lineages(remote));
        String source = db.read(Dumps::dump);
        assertEquals(source, Dumps.dump(restore(remote, "remote")));
        assertEquals(source, Dumps.dump(restore(local, "local")));
      }
    }
  }

  /**
   * Checkpoints stay held until every destination's gate is in: here the second destination's start
   * pauses (its bucket check blocks) after the first has started and shipped the frames written before
   * the start, and a checkpoint asked for meanwhile does not run. Had it run, the files would have moved
   * past the point the second destination's bucket holds, and it could not continue its lineage.
   */
  @Test
  void checkpointsWaitUntilEveryDestinationIsAttached() throws Exception {
    FaultyObjectStore second = new FaultyObjectStore(remote);
    MultiReplicatorOptions options = MultiReplicatorOptions.builder().destination("local", to(local).build())
        .destination("remote", to(second).build()).build();
    try (SqliteStore store = openStore()) {
      try (MultiReplicator m = MultiReplicator.start(store.database("data"), options)) {
        m.write(ReplicationTest.insert("g", "first run"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
      }
    }
    int segmentsBefore = LineageCatalog.list(local, new BucketLayout(prefix)).values().iterator().next().segments().size();
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      for (int i = 0; i < 10; i++) { // no replicator yet: held in the WAL by holdWalUntilGate
        db.writeAndWait(ReplicationTest.insert("g", "written before the start " + i));
      }
      CountDownLatch verifying = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      second.beforeVerify(() -> {
        verifying.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      CompletableFuture<MultiReplicator> starting = CompletableFuture.supplyAsync(() -> MultiReplicator.start(db, options));
      try {
        assertTrue(verifying.await(30, TimeUnit.SECONDS));
        eventually("the first destination shipped the writes made before the start", () -> {
          var l = LineageCatalog.list(local, new BucketLayout(prefix));
          return l.size() == 1 && l.values().iterator().next().segments().size() > segmentsBefore;
        });
        assertFalse(db.checkpoint(CheckpointMode.TRUNCATE).get(10, TimeUnit.SECONDS).ran(),
            "no checkpoint while a destination is still attaching");
      } finally {
        second.beforeVerify(null);
        release.countDown();
      }
      try (MultiReplicator m = starting.get(30, TimeUnit.SECONDS)) {
        m.write(ReplicationTest.insert("g", "after"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        assertEquals(0, m.metrics("remote").continuityBreaks(), m.metrics("remote").toString());
        assertEquals(1, lineages(remote), "the second destination continued its lineage");
        assertEquals(1, lineages(local));
        String source = db.read(Dumps::dump);
        assertEquals(source, Dumps.dump(restore(remote, "remote")));
        assertEquals(source, Dumps.dump(restore(local, "local")));
      }
    }
  }

  /**
   * A destination that stopped for good (here a bug in its bucket layer, retried a few times, then replication
   * of that destination stops) makes the quorum of all unreachable: the waiting REPLICATED write fails, naming
   * it, instead of waiting forever; LOCAL writes go on and the other destination ships them.
   */
  @Test
  void aDestinationThatStoppedForGoodFailsWaitingWritesWhenTheQuorumCannotBeReached() throws Exception {
    FaultyObjectStore faulty = new FaultyObjectStore(remote);
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      try (MultiReplicator m = MultiReplicator.start(db, MultiReplicatorOptions.builder()
          .destination("local", to(local).build()).destination("remote", to(faulty).build()).build())) {
        m.write(ReplicationTest.insert("f", "before"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        AtomicInteger bugs = new AtomicInteger();
        java.util.function.Consumer<String>[] always = new java.util.function.Consumer[1];
        always[0] = key -> {
          faulty.beforePut("/segments/", always[0]);
          bugs.incrementAndGet();
          throw new NullPointerException("a bug in the remote's ObjectStore");
        };
        faulty.beforePut("/segments/", always[0]);
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> m.write(ReplicationTest.insert("f", "waits"), Durability.REPLICATED).get(30, TimeUnit.SECONDS));
        assertInstanceOf(ReplicationException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("remote: "), e.getCause().getMessage());
        assertTrue(e.getCause().getMessage().contains("1 of 2") || e.getCause().getMessage().contains("2 of 2"),
            e.getCause().getMessage());
        // LOCAL writes still go; the local destination still ships them.
        m.write(ReplicationTest.insert("f", "local"), Durability.LOCAL).get(5, TimeUnit.SECONDS);
        eventually("the local destination ships on", () -> m.health().destination("local").replicatedStoreTxid() == db.lastTxid());
        assertFalse(m.health().destination("remote").running() && m.health().destination("remote").lastError() == null);
      }
    }
  }

  /**
   * A handover with two destinations: Handover waits until each destination has every accepted write and
   * releases each lease; the successor on the same files continues both lineages with no new snapshot.
   */
  @Test
  void aHandoverShipsToEveryDestinationAndTheSuccessorContinuesBothLineages() throws Exception {
    String before;
    try (SqliteStore store = openStore()) {
      MultiReplicator m = MultiReplicator.start(store.database("data"), both().build());
      m.write(ReplicationTest.insert("h", "acknowledged"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
      for (int i = 0; i < 20; i++) {
        m.write(ReplicationTest.insert("h", "accepted " + i), Durability.LOCAL); // not waited for
      }
      HandoverReport report = Handover.run(store, m.replicators(), HandoverOptions.defaults());
      assertTrue(report.lastTxids().get("data") >= 2, report.toString()); // group commit: fewer txids than writes
      m.close(); // after the handover: nothing left to close
    }
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      before = db.read(Dumps::dump);
      assertTrue(before.contains("accepted 19"), "every accepted write committed before the handover");
      assertEquals(before, Dumps.dump(restore(local, "handed-local")), "the local destination had every accepted write");
      assertEquals(before, Dumps.dump(restore(remote, "handed-remote")), "the remote destination had every accepted write");
      try (MultiReplicator m = MultiReplicator.start(db, both().build())) {
        m.write(ReplicationTest.insert("h", "successor"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        assertEquals(0, m.metrics("local").snapshotsUploaded(), "continued, no new snapshot");
        assertEquals(0, m.metrics("remote").snapshotsUploaded(), "continued, no new snapshot");
        assertEquals(1, lineages(local));
        assertEquals(1, lineages(remote));
      }
    }
  }

  /**
   * A database replicated by a single Replicator gets a second destination: the first keeps its work
   * directory and continues its lineage with no new snapshot; the new one starts its own lineage.
   */
  @Test
  void aSingleReplicatorBecomesOneOfTwoDestinationsAndContinuesItsLineage() throws Exception {
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      try (Replicator single = Replicator.start(db, to(local).build())) {
        single.write(ReplicationTest.insert("m", "single"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
      }
      db.writeAndWait(ReplicationTest.insert("m", "between"));
      try (MultiReplicator m = MultiReplicator.start(db, MultiReplicatorOptions.builder()
          .destination("local", to(local).workDirectory(db.path().resolveSibling(".litevault").resolve("data")).build())
          .destination("remote", to(remote).build()).build())) {
        m.write(ReplicationTest.insert("m", "both"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        assertEquals(0, m.metrics("local").snapshotsUploaded(), "the first destination continued its lineage");
        assertEquals(1, m.metrics("remote").snapshotsUploaded(), "the new one started its own");
        assertEquals(1, lineages(local));
        String source = db.read(Dumps::dump);
        assertEquals(source, Dumps.dump(restore(local, "local")));
        assertEquals(source, Dumps.dump(restore(remote, "remote")));
      }
    }
  }

  @Test
  void destinationsAreValidatedAndOneDatabaseGetsOneReplicatorPerDestination() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> MultiReplicatorOptions.builder().build());
    assertThrows(IllegalArgumentException.class, () -> MultiReplicatorOptions.builder()
        .destination("a", to(local).build()).destination("a", to(remote).build()));
    assertThrows(IllegalArgumentException.class, () -> MultiReplicatorOptions.builder()
        .destination("a", to(local).build()).destination("b", to(local).build()), "one prefix of one store twice");
    assertThrows(io.litevault.store.InvalidNameException.class, () -> MultiReplicatorOptions.builder()
        .destination("../x", to(local).build()));
    assertThrows(IllegalArgumentException.class, () -> MultiReplicatorOptions.builder()
        .destination("a", to(local).build()).quorum(2).build());
    assertEquals(2, both().build().quorum(), "the default quorum is every destination");
    try (SqliteStore store = openStore()) {
      Database db = store.database("data");
      try (MultiReplicator m = MultiReplicator.start(db, both().build())) {
        IllegalStateException again = assertThrows(IllegalStateException.class, () -> MultiReplicator.start(db, both().build()));
        assertTrue(again.getMessage().contains("already has a replicator"), again.getMessage());
        IllegalStateException single = assertThrows(IllegalStateException.class,
            () -> Replicator.start(db, to(local).workDirectory(dir.resolve("elsewhere")).build()));
        assertTrue(single.getMessage().contains("prefix"), single.getMessage());
        m.write(ReplicationTest.insert("v", "ok"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
      }
      // Closed: the same destinations start again and continue their lineages.
      try (MultiReplicator m = MultiReplicator.start(db, both().build())) {
        m.write(ReplicationTest.insert("v", "again"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
        assertEquals(1, lineages(local));
        assertEquals(1, lineages(remote));
      }
    }
  }
}
