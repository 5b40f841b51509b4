package io.litevault.replication;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile review of 1d9d776..6e3d529 (parting gate, holdWalUntilGate, the "*" continuity marker, lease
 * credit). Each test fails on 6e3d529. Real SQLite files, a real file bucket, {@link FaultyObjectStore}.
 */
class Review5Test {
  @TempDir Path dir;
  FileSystemObjectStore files;
  final String prefix = "review5/data";

  @BeforeEach
  void bucket() throws Exception {
    files = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("bucket"))).build());
  }

  @AfterEach
  void close() {
    files.close();
  }

  static final Supplier<DatabaseOptions.Builder> SMALL = () -> DatabaseOptions.builder().holdWalUntilGate(true)
      .restartWalBytes(64 * 1024).hardWalLimitBytes(128 * 1024);

  SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", SMALL.get()
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

  /** Five REPLICATED writes acknowledged after the main file was last checkpointed; returns that file. */
  byte[] acknowledgeFiveAfterACheckpoint(Path live) throws Exception {
    try (SqliteStore store = openStore(live);
        Replicator r = Replicator.start(store.database("data"), options(files).build())) {
      r.write(ReplicationTest.insert("old", "checkpointed long ago"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    } // checkpointed and synced at close: what survives the coming power loss
    byte[] lastCheckpoint = Files.readAllBytes(live.resolve("data.db"));
    try (SqliteStore store = openStore(live);
        Replicator r = Replicator.start(store.database("data"), options(files).build())) {
      for (int i = 0; i < 5; i++) {
        r.write(ReplicationTest.insert("acknowledged", "replicated " + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
    assertTrue(Dumps.dump(restoreLatest("before")).contains("replicated 4"), "the bucket has the acknowledged writes");
    return lastCheckpoint;
  }

  static void writePastTheHardLimit(Database db) throws Exception {
    for (int i = 0; i < 2000 && db.health().continuityBreaks() == 0; i++) {
      db.write(ReplicationTest.insert("outage", "z".repeat(1500))).get(); // LOCAL, past the hard WAL limit
    }
    assertTrue(db.health().continuityBreaks() > 0, "the store forced a checkpoint past its hard WAL limit");
  }

  Throwable startAndWriteReplicated(ObjectStore store) throws Exception {
    try (SqliteStore s = openStore(dir.resolve("live"));
        Replicator r = Replicator.start(s.database("data"), options(store).build())) {
      r.write(ReplicationTest.insert("after", "the outage"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  void assertAcknowledgedWritesSurvive(Throwable failure) throws Exception {
    String latest = Dumps.dump(restoreLatest("latest"));
    String rows = latest.lines().filter(l -> !l.contains("|outage|")).collect(java.util.stream.Collectors.joining("\n"));
    assertTrue(latest.contains("replicated 4"),
        "restore latest lost writes acknowledged as REPLICATED: a power loss rolled the file back, then a forced "
            + "checkpoint during a bucket outage at boot wrote continuity-broken '*' and the rolled-back file became a "
            + "new lineage (replication's answer: " + failure + "); restore latest (without the outage rows):\n" + rows + "\nbucket: " + bucketKeys());
  }

  // --- 1. "*" lets a power-loss rollback through: the failed start's parting gate

  /**
   * A power loss (synchronous=NORMAL) rolls the file back to its last checkpoint, before five writes the
   * bucket acknowledged as REPLICATED. The service restarts while the bucket is down: Replicator.start
   * fails and leaves its parting gate (no lineage). The service keeps writing LOCAL; past the hard WAL
   * limit the store checkpoints and the parting gate records the break as "*" (any lineage). When the
   * bucket is back, the next start takes "*" as a departure from the bucket's lineage and starts a new
   * lineage from the rolled-back file: "restore latest" loses the acknowledged writes. The evidence (the
   * rolled-back main file) was checkpointed over before anyone compared it with the bucket.
   */
  @Test
  void aPowerLossRollbackIsNotAcceptedBecauseAFailedStartsPartingGateRecordedAnyLineage() throws Exception {
    Path live = dir.resolve("live");
    byte[] lastCheckpoint = acknowledgeFiveAfterACheckpoint(live);
    Review4Test.powerLossBackTo(lastCheckpoint, live);

    FaultyObjectStore bucket = new FaultyObjectStore(files).down(true);
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options(bucket).build()), "bucket down at boot");
      writePastTheHardLimit(db);
    }
    bucket.down(false);

    Throwable failure = startAndWriteReplicated(bucket);
    assertAcknowledgedWritesSurvive(failure);
    assertInstanceOf(LocalBehindBucketException.class, failure);
  }

  // --- 1b. the same, with the replicator still starting (its resume's listing retried while the bucket is down)

  @Test
  void aPowerLossRollbackIsNotAcceptedBecauseAForcedCheckpointWhileStartingRecordedAnyLineage() throws Exception {
    Path live = dir.resolve("live");
    byte[] lastCheckpoint = acknowledgeFiveAfterACheckpoint(live);
    Review4Test.powerLossBackTo(lastCheckpoint, live);

    FaultyObjectStore bucket = new FaultyObjectStore(files).downAtFirst("list", "/lineages/");
    try (SqliteStore store = openStore(live)) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options(bucket).build())) {
        writePastTheHardLimit(db);
      } // stopped while the bucket is still down
    }
    bucket.down(false);

    Throwable failure = startAndWriteReplicated(bucket);
    assertAcknowledgedWritesSurvive(failure);
    assertInstanceOf(LocalBehindBucketException.class, failure);
  }
}
