package io.litevault.replication;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.ReplicationPort;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process restarts on the files a crash left (kill -9: the WAL still holds shipped commits the main
 * file does not), while the bucket is down: the replicator fails to start and leaves its parting gate,
 * the service writes LOCAL past the hard WAL limit, and the store's forced checkpoint is recorded as a
 * break from the state the files had. That state is the bucket's tip, so once the bucket is back the
 * next replicator must start a new lineage, not refuse the files as behind the bucket (the bounded
 * torture's seed 16517170320 on 8dcfa98: "equals txid 1 of lineage ..., the bucket has up to txid 10",
 * from the main file alone, which is not the state the files had while their WAL held commits).
 */
class BootBreakTest {
  @TempDir Path dir;

  @Test
  void aBreakBeforeAnyLineageIsHeldOnCrashedFilesAtTheTipContinuesWithANewLineage() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    FaultyObjectStore bucket = new FaultyObjectStore(real);
    ReplicatorOptions options = ReplicatorOptions.builder(bucket, "b/data").minUploadInterval(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build();
    Path crashed = dir.resolve("crashed");
    // The first process: its WAL keeps every commit (no passive or idle checkpoint), as the gate may.
    try (SqliteStore store = SqliteStore.builder(dir.resolve("first")).database("data", DatabaseOptions.builder()
        .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).passiveCheckpointPages(100_000)
        .idleCheckpointAfter(Duration.ofHours(1)).build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      for (int i = 0; i < 10; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      // The crash image: db and WAL at a commit boundary, as kill -9 leaves them.
      ReplicationPort.of(store.database("data")).atCommitBoundary(end -> {
        io.litevault.testing.Unchecked.run(() -> {
          Files.createDirectories(crashed);
          Files.copy(dir.resolve("first").resolve("data.db"), crashed.resolve("data.db"));
          Files.copy(dir.resolve("first").resolve("data.db-wal"), crashed.resolve("data.db-wal"));
        });
        return null;
      }).get(20, TimeUnit.SECONDS);
    }
    assertTrue(Files.size(crashed.resolve("data.db-wal")) > 32 * 1024, "the crash left shipped commits in the WAL");

    try (SqliteStore store = SqliteStore.builder(crashed).database("data", DatabaseOptions.builder()
        .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).restartWalBytes(64 * 1024)
        .hardWalLimitBytes(128 * 1024).build()).open()) {
      Database db = store.database("data");
      bucket.down(true);
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options)); // leaves a parting gate
      Review5Test.writePastTheHardLimit(db);
      bucket.down(false);
      try (Replicator r = Replicator.start(db, options)) {
        Throwable failure = null;
        try {
          r.write(ReplicationTest.insert("after", "the outage"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          failure = e.getCause();
        }
        assertNull(failure, "the files were at the bucket's tip when the forced checkpoint moved them on");
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(real, "b/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out), "restore latest is the live database");
        assertEquals("ok", Dumps.integrity(out));
      }
    }
  }

  /**
   * A replicator that held a lineage records its break by the lineage's name; a replicator started next
   * on the same open store fails to start (the bucket is down), and a second forced checkpoint recorded
   * the states the files had then over that name: states past the first break, which match nothing, so
   * the next start refused files that had left the bucket's tip on purpose.
   */
  @Test
  void aSecondBreakBeforeAnyNewLineageKeepsTheFirstBreaksRecord() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    FaultyObjectStore bucket = new FaultyObjectStore(real);
    ReplicatorOptions options = ReplicatorOptions.builder(bucket, "s/data").minUploadInterval(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).build();
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).restartWalBytes(64 * 1024)
        .hardWalLimitBytes(128 * 1024).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options)) {
        r.write(ReplicationTest.insert("s", "shipped"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        bucket.down(true);
        Review5Test.writePastTheHardLimit(db); // break 1, recorded as leaving the held lineage
      }
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options)); // still down: a parting gate
      long breaks = db.health().continuityBreaks();
      for (int i = 0; i < 2000 && db.health().continuityBreaks() == breaks; i++) {
        db.write(ReplicationTest.insert("outage", "z".repeat(1500))).get(); // break 2, with no lineage held
      }
      assertTrue(db.health().continuityBreaks() > breaks, "a second forced checkpoint");
      bucket.down(false);
      try (Replicator r = Replicator.start(db, options)) {
        Throwable failure = null;
        try {
          r.write(ReplicationTest.insert("after", "the outage"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          failure = e.getCause();
        }
        assertNull(failure, "the files left the lineage by the store's own forced checkpoints");
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(real, "s/data", out).build());
        assertEquals(db.read(Dumps::dump), Dumps.dump(out), "restore latest is the live database");
      }
    }
  }

  /**
   * A torn or unreadable record in the work directory (written by hand here) is ignored with a warning:
   * a rolled-back file is still compared by its own states and refused, not retried forever on a
   * NumberFormatException.
   */
  @Test
  void anUnreadableRecordIsIgnoredAndARollbackStillRefused() throws Exception {
    ObjectStore real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    ReplicatorOptions options = ReplicatorOptions.builder(real, "u/data").minUploadInterval(Duration.ZERO).build();
    Path live = dir.resolve("live");
    Path old = dir.resolve("old.db");
    DatabaseOptions.Builder db = DatabaseOptions.builder().migration(1, "post", ReplicationTest.SCHEMA);
    try (SqliteStore store = SqliteStore.builder(live).database("data", db.build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      r.write(ReplicationTest.insert("s", "first"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
    BucketWinsReviewTest.copyClosed(live, old);
    try (SqliteStore store = SqliteStore.builder(live).database("data", db.build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      for (int i = 0; i < 3; i++) {
        r.write(ReplicationTest.insert("s", "acknowledged " + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
    BucketWinsReviewTest.putBack(old, live);
    Files.writeString(live.resolve(".litevault/data/continuity-broken"), "20261202T000000000Z-0a1b2c3d 9x\nafter 1 \n");
    try (SqliteStore store = SqliteStore.builder(live).database("data", db.build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> r.write(ReplicationTest.insert("after", "x"), Durability.REPLICATED).get(20, TimeUnit.SECONDS));
      assertInstanceOf(LocalBehindBucketException.class, e.getCause());
    }
  }
}
