package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: a real store, a real replicator, a real bucket, a real restore. Run against every
 * {@link ObjectStore} by the subclasses (file system; MinIO client and AWS SDK against EmbeddedS3).
 */
public abstract class ReplicationTest {
  @TempDir Path dir;
  protected ObjectStore bucket;
  private final List<AutoCloseable> closeLast = new ArrayList<>();
  private static int prefixes;

  /** A fresh, empty bucket view for one test. */
  abstract ObjectStore openBucket() throws Exception;

  String prefix;

  @BeforeEach
  void openBucketForTest() throws Exception {
    bucket = openBucket();
    prefix = "test-" + getClass().getSimpleName().toLowerCase() + "-" + (++prefixes) + "-" + System.nanoTime() + "/data";
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeLast) {
      c.close();
    }
    bucket.close();
  }

  public static final String SCHEMA = "CREATE TABLE post(id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL)";

  SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder().migration(1, "post", SCHEMA).build()).open();
  }

  ReplicatorOptions.Builder options() {
    return ReplicatorOptions.builder(bucket, prefix).minUploadInterval(Duration.ofMillis(20));
  }

  public static io.litevault.store.WriteTask<Long> insert(String author, String body) {
    return c -> {
      try (var ps = c.prepareStatement("INSERT INTO post(author, body) VALUES (?, ?) RETURNING id")) {
        ps.setString(1, author);
        ps.setString(2, body);
        try (var rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    };
  }

  Path restore(String name, java.util.function.Consumer<RestoreOptions.Builder> how) {
    Path out = dir.resolve("restored").resolve(name + ".db");
    RestoreOptions.Builder b = RestoreOptions.builder(bucket, prefix, out);
    how.accept(b);
    Restore.run(b.build());
    return out;
  }

  @Test
  void replicatedWritesAreInTheBucketWhenTheirFutureCompletesAndRestoreEqualsTheSource() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options().build())) {
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          acks.add(r.write(insert("ada", "post " + i + " " + "x".repeat(i % 50)), Durability.REPLICATED));
        }
        for (CompletableFuture<Long> f : acks) {
          f.get();
        }
        // Those may all have been covered by the lineage's first snapshot; these go as segments.
        for (int i = 0; i < 5; i++) {
          r.write(insert("ada", "after the snapshot " + i), Durability.REPLICATED).get();
        }
        assertEquals(db.lastTxid(), r.replicatedTxid(), "every acknowledged write is in the bucket");
        String source = db.read(Dumps::dump);
        Path restored = restore("latest", b -> { });
        assertEquals(source, Dumps.dump(restored));
        assertEquals("ok", Dumps.integrity(restored));
        assertTrue(r.health().healthy(), r.health().toString());
        assertEquals(1, r.metrics().snapshotsUploaded());
        assertTrue(r.metrics().segmentsUploaded() >= 1);
      }
    }
  }

  @Test
  void aCleanRestartContinuesTheSameLineage() throws Exception {
    Path live = dir.resolve("live");
    String lineage;
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      Replicator r = Replicator.start(db, options().build());
      for (int i = 0; i < 20; i++) {
        r.write(insert("bob", "first run " + i), Durability.REPLICATED).get();
      }
      lineage = r.positionOf(db.lastTxid()).orElseThrow().lineage();
      r.close();
    }
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options().build())) {
        for (int i = 0; i < 20; i++) {
          r.write(insert("bob", "second run " + i), Durability.REPLICATED).get();
        }
        assertEquals(lineage, r.positionOf(db.lastTxid()).orElseThrow().lineage(), "same lineage");
        assertEquals(0, r.metrics().snapshotsUploaded(), "no new snapshot was needed");
        assertEquals(db.read(Dumps::dump), Dumps.dump(restore("after-restart", b -> { })));
      }
    }
  }

  /**
   * Regression: a maintenance window right after start parked the writer that the first snapshot needed,
   * waited its whole gateWait for the replicator, then overruled it: a second lineage and snapshot.
   */
  @Test
  void maintenanceBeforeTheFirstSnapshotDoesNotBreakTheNewLineage() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options().build())) {
        io.litevault.store.MaintenanceReport report = store.maintenance(
            io.litevault.store.MaintenancePlan.builder().vacuum(true).gateWait(Duration.ofMinutes(5)).build());
        assertTrue(report.succeeded(), report.toString());
        r.write(insert("eve", "after the window"), Durability.REPLICATED).get();
        assertEquals(0, db.health().continuityBreaks(), db.health().toString());
        assertEquals(1, r.metrics().lineagesStarted(), r.metrics().toString());
        assertEquals(db.read(Dumps::dump), Dumps.dump(restore("after-window", b -> { })));
      }
    }
  }

  @Test
  void theStoreClosingFirstStillShipsTheLastCommits() throws Exception {
    Path live = dir.resolve("live");
    String source;
    Replicator r;
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      r = Replicator.start(db, options().minUploadInterval(Duration.ofHours(1)).build());
      r.write(insert("x", "wait for the lineage"), Durability.REPLICATED).get();
      for (int i = 0; i < 50; i++) {
        db.writeAndWait(insert("carol", "local only " + i)); // LOCAL: the upload would wait an hour
      }
      source = db.read(Dumps::dump);
    } // store.close() -> onClose -> the replicator ships at once
    r.close();
    assertEquals(source, Dumps.dump(restore("at-close", b -> { })));
  }

  /**
   * A file changed while no replicator was attached (a store opened without one) equals no point the
   * bucket keeps: refused by default (content cannot tell it from an empty file where the data was lost,
   * or a power-loss rollback to a state the bucket has no point of), a new lineage when a fork is allowed.
   */
  @Test
  void aDatabaseChangedBehindReplicationsBackIsRefusedUnlessAForkIsAllowed() throws Exception {
    Path live = dir.resolve("live");
    String first;
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options().build())) {
        r.write(insert("dan", "one"), Durability.REPLICATED).get();
        first = r.positionOf(db.lastTxid()).orElseThrow().lineage();
      }
    }
    String replicated = Dumps.dump(restore("before-change", b -> { }));
    try (SqliteStore store = openStore(live)) { // written while nothing replicated it
      store.database("data").writeAndWait(insert("eve", "unreplicated"));
    }
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options().build())) {
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> r.write(insert("dan", "two"), Durability.REPLICATED).get(20, TimeUnit.SECONDS));
        LocalBehindBucketException refused = assertInstanceOf(LocalBehindBucketException.class, e.getCause());
        assertEquals(-1, refused.localTxid(), refused.getMessage());
        assertTrue(refused.getMessage().contains(first) && refused.getMessage().contains("equals no point"),
            refused.getMessage());
        assertFalse(r.health().healthy(), r.health().toString());
      }
    }
    assertEquals(replicated, Dumps.dump(restore("after-refusal", b -> { })), "the bucket is unchanged");
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options().allowFork(true).build())) {
        r.write(insert("dan", "two"), Durability.REPLICATED).get();
        assertNotEquals(first, r.positionOf(db.lastTxid()).orElseThrow().lineage(), "a new lineage");
        assertEquals(db.read(Dumps::dump), Dumps.dump(restore("new-lineage", b -> { })));
      }
    }
  }

  /**
   * Closing a replicator while its database stays open leaves a parting gate: writes made meanwhile stay
   * in the WAL (a checkpoint cannot copy them), and the next replicator ships them in the same lineage.
   */
  @Test
  void writesMadeWhileReplicationWasDetachedShipInTheSameLineage() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"))) {
      Database db = store.database("data");
      String first;
      try (Replicator r = Replicator.start(db, options().build())) {
        r.write(insert("ann", "replicated"), Durability.REPLICATED).get();
        first = r.positionOf(db.lastTxid()).orElseThrow().lineage();
      }
      db.writeAndWait(insert("ann", "while detached"));
      db.checkpoint(io.litevault.store.CheckpointMode.TRUNCATE).get();
      assertTrue(db.health().walBytes() > 0, "the parting gate kept the detached write in the WAL");
      try (Replicator r = Replicator.start(db, options().build())) {
        r.write(insert("ann", "attached again"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        assertEquals(first, r.positionOf(db.lastTxid()).orElseThrow().lineage(), "the same lineage");
        assertEquals(db.read(Dumps::dump), Dumps.dump(restore("reattached", b -> { })));
      }
    }
  }

  /**
   * A restart after a crash (or a deploy's migration) writes before the replicator attaches: with
   * holdWalUntilGate the store keeps those frames in the WAL, so the replicator ships them in the same
   * lineage; without it a checkpoint moves the file past the bucket, which then refuses it.
   */
  @Test
  void writesBeforeTheReplicatorAttachesShipInTheSameLineageWhenTheStoreHoldsTheWal() throws Exception {
    for (boolean hold : new boolean[] {true, false}) {
      Path live = dir.resolve("live-" + hold);
      String replica = prefix + "-" + hold;
      java.util.function.Supplier<SqliteStore> open = () -> SqliteStore.builder(live).database("data",
          DatabaseOptions.builder().migration(1, "post", SCHEMA).holdWalUntilGate(hold).build()).open();
      String first;
      try (SqliteStore store = open.get();
          Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, replica).build())) {
        r.write(insert("kim", "replicated"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        first = r.positionOf(store.database("data").lastTxid()).orElseThrow().lineage();
      }
      try (SqliteStore store = open.get()) {
        Database db = store.database("data");
        db.writeAndWait(insert("kim", "before the replicator attached"));
        db.checkpoint(io.litevault.store.CheckpointMode.TRUNCATE).get();
        try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, replica).build())) {
          var write = r.write(insert("kim", "attached"), Durability.REPLICATED);
          if (hold) {
            write.get(20, TimeUnit.SECONDS);
            assertEquals(first, r.positionOf(db.lastTxid()).orElseThrow().lineage(), "the same lineage");
          } else {
            ExecutionException e = assertThrows(ExecutionException.class, () -> write.get(20, TimeUnit.SECONDS));
            assertInstanceOf(LocalBehindBucketException.class, e.getCause());
          }
        }
      }
    }
  }

  /** The typo'd data directory or the lost disk: an empty database at a prefix with data never replaces it. */
  @Test
  void anEmptyDatabaseAtAPrefixWithDataIsRefused() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"))) {
      try (Replicator r = Replicator.start(store.database("data"), options().build())) {
        r.write(insert("gus", "kept"), Durability.REPLICATED).get();
      }
    }
    String replicated = Dumps.dump(restore("kept", b -> { }));
    try (SqliteStore store = openStore(dir.resolve("empty"));
        Replicator r = Replicator.start(store.database("data"), options().build())) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> r.write(insert("new", "x"), Durability.REPLICATED).get(20, TimeUnit.SECONDS));
      assertInstanceOf(LocalBehindBucketException.class, e.getCause());
    }
    assertEquals(replicated, Dumps.dump(restore("still-kept", b -> { })), "restore latest still has the data");
  }

  /** One process, one replicator per database: the lease cannot tell two of one process apart. */
  @Test
  void aSecondReplicatorOnTheSameDatabaseInOneProcessIsRefusedUntilTheFirstCloses() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options().build())) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> Replicator.start(db, ReplicatorOptions.builder(bucket, "elsewhere/data").build()));
        assertTrue(e.getMessage().contains("already has a replicator"), e.getMessage());
        r.write(insert("one", "ok"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator again = Replicator.start(db, options().build())) {
        again.write(insert("two", "ok"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aSecondReplicatorOnTheSamePrefixIsRefused() throws Exception {
    try (SqliteStore a = openStore(dir.resolve("a")); SqliteStore b = openStore(dir.resolve("b"))) {
      try (Replicator r = Replicator.start(a.database("data"), options().owner("process-a").build())) {
        LeaseException e = assertThrows(LeaseException.class,
            () -> Replicator.start(b.database("data"), options().owner("process-b").build()));
        assertTrue(e.getMessage().contains("leased by 'process-a'"), e.getMessage());
        assertTrue(r.health().running());
      }
    }
  }

  @Test
  void anIdleDatabaseMakesNoRequests() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options().build())) {
        r.write(insert("fay", "one"), Durability.REPLICATED).get();
        Thread.sleep(300); // let the checkpoint request settle
        long before = bucket.metrics().totalRequests();
        Thread.sleep(1500);
        assertEquals(before, bucket.metrics().totalRequests(), "idle: zero requests");
      }
    }
  }

  @Test
  void pointInTimeRestoreByTxidGivesThatState() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"))) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options().build())) {
        List<ReplicaPosition> points = new ArrayList<>();
        List<String> states = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
          r.write(insert("gus", "v" + i), Durability.REPLICATED).get();
          if (i % 3 == 0) {
            db.writeAndWait(c -> c.createStatement().executeUpdate("DELETE FROM post WHERE id % 2 = 0"));
            r.awaitReplicated(db.lastTxid(), Duration.ofSeconds(10));
          }
          points.add(r.positionOf(db.lastTxid()).orElseThrow());
          states.add(db.read(Dumps::dump));
        }
        for (int i = 0; i < points.size(); i++) {
          long txid = points.get(i).txid();
          assertEquals(states.get(i), Dumps.dump(restore("txid-" + txid, b -> b.txid(txid))), "txid " + txid);
        }
      }
    }
  }

  @Test
  void restoreNeverOverwritesWithoutForceAndSaysWhenThereIsNothing() throws Exception {
    RestoreException none = assertThrows(RestoreException.class, () -> restore("nothing", b -> { }));
    assertEquals(RestoreException.Kind.NOTHING_TO_RESTORE, none.kind());
    try (SqliteStore store = openStore(dir.resolve("live"))) {
      try (Replicator r = Replicator.start(store.database("data"), options().build())) {
        r.write(insert("hal", "x"), Durability.REPLICATED).get();
      }
    }
    Path out = dir.resolve("restored").resolve("exists.db");
    Files.createDirectories(out.getParent());
    Files.writeString(out, "precious");
    RestoreException exists = assertThrows(RestoreException.class, () -> restore("exists", b -> { }));
    assertEquals(RestoreException.Kind.OUTPUT_EXISTS, exists.kind());
    assertEquals("precious", Files.readString(out));
    restore("exists", b -> b.force(true));
    assertEquals("ok", Dumps.integrity(out));
  }
}
