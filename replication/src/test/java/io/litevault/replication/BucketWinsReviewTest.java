package io.litevault.replication;

import io.litevault.bucket.FaultyObjectStore;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bugs found by the hostile review of the "bucket wins" change (213e52d..f57eb22). */
class BucketWinsReviewTest {
  @TempDir Path dir;
  FileSystemObjectStore files;
  String prefix = "wins/data";

  @BeforeEach
  void bucket() throws Exception {
    files = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("bucket"))).build());
  }

  @AfterEach
  void close() {
    files.close();
  }

  SqliteStore openStore(Path where, DatabaseOptions.Builder options) {
    return SqliteStore.builder(where).database("data", options.migration(1, "post", SpineRegressionTest.SCHEMA)
        .build()).open();
  }

  Path restoreLatest(String name) {
    Path out = dir.resolve("restored").resolve(name + ".db");
    Restore.run(RestoreOptions.builder(files, prefix, out).build());
    return out;
  }

  int lineages() {
    return LineageCatalog.list(files, new BucketLayout(prefix)).size();
  }

  /** Copies the closed database's main file (its WAL must be empty: everything was checkpointed). */
  static void copyClosed(Path live, Path to) throws Exception {
    Path wal = live.resolve("data.db-wal");
    assertTrue(!Files.exists(wal) || Files.size(wal) == 0, "WAL checkpointed away at close");
    Files.copy(live.resolve("data.db"), to);
  }

  /** Puts an older copy back, as a power loss with synchronous=NORMAL leaves the file. */
  static void putBack(Path old, Path live) throws Exception {
    for (String side : new String[] {"data.db-wal", "data.db-shm"}) {
      Files.deleteIfExists(live.resolve(side));
    }
    Files.copy(old, live.resolve("data.db"), StandardCopyOption.REPLACE_EXISTING);
  }

  /** Starts a replicator on the rolled-back file and tries one REPLICATED write; returns its failure or null. */
  Throwable restartOnRolledBackFile(Path live) throws Exception {
    try (SqliteStore store = openStore(live, DatabaseOptions.builder());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      try {
        r.write(ReplicationTest.insert("after", "x"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        return null;
      } catch (ExecutionException e) {
        return e.getCause();
      }
    }
  }

  /**
   * Missed rollback 1. The local file rolls back to the state the lineage's snapshot holds (the commits
   * after it lost with the power). That state is in no segment's "checksum after" (only in the snapshot,
   * and as the first segment's "checksum before"), so EarlierPoint does not find it: the replicator forks
   * a new lineage and "restore latest" loses every acknowledged REPLICATED write.
   */
  @Test
  void aRollbackToTheStateOfTheLineagesSnapshotStopsReplication() throws Exception {
    Path live = dir.resolve("live");
    Path old = dir.resolve("old.db");
    try (SqliteStore store = openStore(live, DatabaseOptions.builder());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      ReviewRegressionTest.await("the lineage's snapshot", () -> r.health().lineage() != null);
    }
    copyClosed(live, old); // the state of snapshot txid 1
    String acknowledged;
    try (SqliteStore store = openStore(live, DatabaseOptions.builder());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      for (int i = 0; i < 5; i++) {
        r.write(ReplicationTest.insert("acknowledged", "a" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      acknowledged = store.database("data").read(Dumps::dump);
    }
    assertEquals(1, lineages());
    putBack(old, live);

    Throwable failure = restartOnRolledBackFile(live);

    assertEquals(acknowledged, Dumps.dump(restoreLatest("latest")),
        "restore latest must keep the 5 acknowledged REPLICATED writes (replication's answer: " + failure + ")");
    assertInstanceOf(LocalBehindBucketException.class, failure);
  }

  /**
   * Missed rollback 2. EarlierPoint read only the 32 newest segments (now 10,000 transactions). With REPLICATED writes each commit
   * ships as its own segment, so 33 commits (well under a second at the target load, and far less than
   * the up to 1,000 pages / 1 minute of WAL that synchronous=NORMAL may lose before the next checkpoint's
   * fsync) put the rolled-back state out of reach: a fork, and "restore latest" loses them all.
   */
  @Test
  void aRollbackPastTheNewest32SegmentsStopsReplication() throws Exception {
    Path live = dir.resolve("live");
    Path old = dir.resolve("old.db");
    try (SqliteStore store = openStore(live, DatabaseOptions.builder());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      ReviewRegressionTest.await("the lineage's snapshot", () -> r.health().lineage() != null);
      r.write(ReplicationTest.insert("first", "f"), Durability.REPLICATED).get(20, TimeUnit.SECONDS); // a segment
    }
    copyClosed(live, old); // the state after a segment's transaction
    String acknowledged;
    try (SqliteStore store = openStore(live, DatabaseOptions.builder());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      for (int i = 0; i < 33; i++) {
        r.write(ReplicationTest.insert("acknowledged", "a" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      acknowledged = store.database("data").read(Dumps::dump);
    }
    assertEquals(1, lineages());
    putBack(old, live);

    Throwable failure = restartOnRolledBackFile(live);

    assertEquals(acknowledged, Dumps.dump(restoreLatest("latest")),
        "restore latest must keep the 33 acknowledged REPLICATED writes (replication's answer: " + failure + ")");
    assertInstanceOf(LocalBehindBucketException.class, failure);
  }

  static io.litevault.store.WriteTask<Integer> setBody(long id, String body) {
    return c -> {
      try (var ps = c.prepareStatement("UPDATE post SET body = ? WHERE id = ?")) {
        ps.setString(1, body);
        ps.setLong(2, id);
        return ps.executeUpdate();
      }
    };
  }

  /**
   * False refusal. The local file is AHEAD of the bucket: during a bucket outage it committed more
   * (LOCAL) writes, and the store checkpointed them past its hard WAL limit (the documented "replicator is
   * told, and its next upload is a new snapshot" path), so on the next start the files do not continue the
   * tip. Its newest state happens to equal an earlier state of the lineage (a row toggled back: a
   * same-size in-place update leaves byte-identical pages, and WAL mode does not bump the change counter).
   * refuseIfBehind takes "equal content" for "lost the commits after it": replication refuses to run,
   * and the exception's advice (restore from the bucket) would throw away the local commits.
   */
  @Test
  void aLocalFileAheadOfTheBucketWhoseStateRevisitsAnEarlierPointIsNotRefused() throws Exception {
    Path live = dir.resolve("live");
    java.util.function.Supplier<DatabaseOptions.Builder> small =
        () -> DatabaseOptions.builder().restartWalBytes(64 * 1024).hardWalLimitBytes(128 * 1024);
    String x = "x".repeat(2000);
    String y = "y".repeat(2000);
    FaultyObjectStore bucket = new FaultyObjectStore(files);
    String local;
    try (SqliteStore store = openStore(live, small.get())) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .minUploadInterval(Duration.ofMillis(1)).retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build())) {
        long id = r.write(ReplicationTest.insert("toggle", x), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        r.write(setBody(id, y), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        r.write(setBody(id, x), Durability.REPLICATED).get(20, TimeUnit.SECONDS); // a segment's state: body x
        r.write(setBody(id, y), Durability.REPLICATED).get(20, TimeUnit.SECONDS); // the bucket's tip: body y
        bucket.down(true);
        boolean isX = false;
        for (int i = 0; i < 500 && (db.health().continuityBreaks() == 0 || !isX); i++) {
          isX = !isX;
          db.write(setBody(id, isX ? x : y)).get(); // LOCAL writes during the outage, past the hard limit
        }
        assertTrue(db.health().continuityBreaks() > 0, "the store forced a checkpoint past its hard WAL limit");
        local = db.read(Dumps::dump);
      }
    }
    bucket.down(false);
    // Its lease was not released while the bucket was down; this process restarts on the same files (the
    // same home), so it takes that lease over at once.

    try (SqliteStore store = openStore(live, small.get());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      assertEquals(local, store.database("data").read(Dumps::dump), "nothing lost locally");
      r.write(ReplicationTest.insert("after", "z"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      assertEquals(store.database("data").read(Dumps::dump), Dumps.dump(restoreLatest("latest")));
    }
  }

  /**
   * Found by the torture harness (seed 15585547061): a replicator still starting (its resume retrying
   * while the bucket is down) when the store forces a checkpoint past its hard WAL limit held no lineage
   * yet, so the break was recorded for none; the resume then found files matching no point and refused
   * them for good, though the store itself had moved them on.
   */
  @Test
  void aForcedCheckpointWhileTheReplicatorIsStillStartingStartsANewLineage() throws Exception {
    Path live = dir.resolve("live");
    java.util.function.Supplier<DatabaseOptions.Builder> small =
        () -> DatabaseOptions.builder().restartWalBytes(64 * 1024).hardWalLimitBytes(128 * 1024);
    try (SqliteStore store = openStore(live, small.get());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      r.write(ReplicationTest.insert("first", "shipped"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
    FaultyObjectStore bucket = new FaultyObjectStore(files).downAtFirst("list", "/lineages/");
    try (SqliteStore store = openStore(live, small.get())) {
      Database db = store.database("data");
      // The resume's first listing of the lineages finds the bucket down: it is retried, no lineage held.
      Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build());
      try (r) {
        for (int i = 0; i < 2000 && db.health().continuityBreaks() == 0; i++) {
          db.write(ReplicationTest.insert("outage", "z".repeat(1500))).get(); // past the hard WAL limit
        }
        assertTrue(db.health().continuityBreaks() > 0, "the store forced a checkpoint");
      } // stopped while the bucket is still down, before any lineage was held
    }
    try (SqliteStore store = openStore(live, small.get());
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(files, prefix).build())) {
      r.write(ReplicationTest.insert("after", "the outage"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      assertEquals(store.database("data").read(Dumps::dump), Dumps.dump(restoreLatest("after-outage")));
    }
  }
}
