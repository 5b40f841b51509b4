package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.CommitEvent;
import io.litevault.store.CommitListener;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.ReplicationPort;
import io.litevault.store.SqliteStore;
import io.litevault.store.WalPosition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile review of ee978d6 (the fourth): the marker's lifetime and what its lineage line vouches for. */
class Review10Test extends BucketWinsScenarios {
  /** Every scenario here waits out a killed process's lease: 2 s. */
  @Override
  void bucket(String prefix) throws Exception {
    bucket(prefix, Duration.ofSeconds(2));
  }

  /**
   * BucketWins.forgetBreak deletes the marker without syncing its directory, while the marker itself
   * was written with a file and a directory fsync: a power loss can undo the deletion. A process holds
   * L (s0..s9 REPLICATED); the bucket goes down, the service writes LOCAL past the hard WAL limit: the
   * marker "L, after A" is written after the WAL and the db were fsynced, and the process is killed
   * before the checkpoint (Review9Test's first case). The next process resumes L and forgets the
   * marker (an unlink, never synced), then ships s10..s19 REPLICATED; with synchronous=NORMAL and no
   * checkpoint since, nothing it did was synced either. Power loss: the disk holds what was synced,
   * the kill -9 image (it passed through A) and the marker. The next boot trusts the marker (A is among
   * its states), the tip is L, a new lineage starts from the image, and restore latest loses s10..s19,
   * acknowledged as REPLICATED.
   */
  @Test
  void aPowerLossUndoesTheUnsyncedDeletionOfTheMarkerAndItExcusesTheRollback() throws Exception {
    bucket("p/data");
    Path live = dir.resolve("live");
    Path crashed = dir.resolve("crashed");
    Path marker = live.resolve(".litevault/data/continuity-broken");
    AtomicBoolean imaged = new AtomicBoolean();
    try (SqliteStore store = SqliteStore.builder(live).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "post", ReplicationTest.SCHEMA).restartWalBytes(64 * 1024).hardWalLimitBytes(256 * 1024).build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      Database db = store.database("data");
      for (int i = 0; i < 10; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      ReplicationPort.of(db).addCommitListener(new CommitListener() {
        @Override
        public void onCommit(CommitEvent event) {}

        @Override
        public void onContinuityBroken(String database, WalPosition lostFrom, WalPosition walEnd) {
          if (imaged.compareAndSet(false, true)) { // kill -9 right after the marker, before the forced checkpoint
            io.litevault.testing.Unchecked.run(() -> {
              Files.createDirectories(crashed);
              Files.copy(live.resolve("data.db"), crashed.resolve("data.db"));
              Files.copy(live.resolve("data.db-wal"), crashed.resolve("data.db-wal"));
              Files.copy(marker, crashed.resolve("continuity-broken"));
            });
          }
        }
      });
      bucket.down(true);
      Review5Test.writePastTheHardLimit(db);
    }
    assertTrue(imaged.get());
    Review7Test.putImageBack(crashed, live); // the kill -9
    Files.copy(crashed.resolve("continuity-broken"), marker, StandardCopyOption.REPLACE_EXISTING);
    bucket.down(false);
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.firstOptions().build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      for (int i = 10; i < 20; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      assertFalse(Files.exists(marker), "the resume forgot the marker (an unlink, its directory never synced)");
      assertEquals(0, store.database("data").health().continuityBreaks());
      // No checkpoint ran since the kill -9 image (none wrote the main file), so with synchronous=NORMAL
      // SQLite synced nothing: the WAL only grew past the image's frames.
      assertArrayEquals(Files.readAllBytes(crashed.resolve("data.db")), Files.readAllBytes(live.resolve("data.db")));
      byte[] wal = Files.readAllBytes(live.resolve("data.db-wal"));
      byte[] imageWal = Files.readAllBytes(crashed.resolve("data.db-wal"));
      assertArrayEquals(imageWal, java.util.Arrays.copyOf(wal, imageWal.length));
    }
    // The power loss, before anything synced the unlink or the WAL appended since the kill -9 image: the
    // disk holds the image (fsynced by syncFiles before the marker) and the marker (never durably deleted).
    Review7Test.putImageBack(crashed, live);
    Files.copy(crashed.resolve("continuity-broken"), marker, StandardCopyOption.REPLACE_EXISTING);
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.firstOptions().build()).open()) {
      Throwable failure = startAndWrite(store.database("data"));
      String latest = restoreLatest("p/data", "latest.db");
      assertTrue(latest.contains("s19"), "restore latest lost s10..s19, acknowledged as REPLICATED (replication's "
          + "answer: " + failure + "); restore latest without the outage rows:\n" + withoutOutageRows(latest));
      assertInstanceOf(LocalBehindBucketException.class, failure);
    }
  }

  /**
   * A lineage-form marker vouches for files that left its lineage at ANY point, not at the tip the
   * bucket has now: refuseIfBehind returns when the tip's lineage equals the marker's, without asking
   * whether the lineage grew after the files left it. A primary's replicator R1 holds L (s0..s9
   * REPLICATED) and is closed (lease released, parting gate; the store stays open). A standby restores L,
   * takes the released lease at once (as the lease rules allow), continues L with t0..t9 REPLICATED and
   * releases it. The primary's service writes LOCAL past the hard WAL limit: the parting gate records the
   * break as "left L" (R1's lineage). A replicator started again on the primary then finds the tip's
   * lineage equal to the marker's and starts a new lineage from files that never had t0..t9: restore
   * latest loses them. Without the forced checkpoint the same files are refused (L at txid 10 is an
   * earlier point of L).
   */
  @Test
  void aLineageMarkerExcusesFilesThatLeftTheLineageBeforeAnotherProcessGrewIt() throws Exception {
    bucket("s/data");
    Path primary = dir.resolve("primary");
    Path standby = dir.resolve("standby");
    try (SqliteStore store = SqliteStore.builder(primary).database("data", Review7Test.breakingOptions().build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options)) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
      } // released; the parting gate holds the primary's checkpoints at what R1 shipped
      Files.createDirectories(standby);
      Restore.run(RestoreOptions.builder(real, "s/data", standby.resolve("data.db")).build());
      try (SqliteStore s = SqliteStore.builder(standby).database("data", Review7Test.firstOptions().build()).open();
          Replicator r = Replicator.start(s.database("data"), options)) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("standby", "t" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
      }
      String afterStandby = restoreLatest("s/data", "standby-latest.db");
      assertTrue(afterStandby.contains("t9"), "the standby continued L");
      Review5Test.writePastTheHardLimit(db); // the parting gate records "left L"
      String text = Files.readString(primary.resolve(".litevault/data/continuity-broken")).strip();
      Throwable failure = startAndWrite(db);
      String latest = restoreLatest("s/data", "latest.db");
      assertTrue(latest.contains("t9"), "restore latest lost t0..t9, acknowledged as REPLICATED by the standby (marker '"
          + text + "'; replication's answer: " + failure + "); restore latest without the outage rows:\n"
          + withoutOutageRows(latest));
      assertInstanceOf(LocalBehindBucketException.class, failure);
    }
  }

  /**
   * The control for the test above (passes): the same primary and standby, without the forced
   * checkpoint, are refused (the primary's files equal L at txid 10, an earlier point of L). Only the
   * marker "left L" turns that refusal into a new lineage.
   */
  @Test
  void controlWithoutTheBreakThePrimaryIsRefused() throws Exception {
    bucket("c/data");
    Path primary = dir.resolve("primary");
    Path standby = dir.resolve("standby");
    try (SqliteStore store = SqliteStore.builder(primary).database("data", Review7Test.breakingOptions().build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options)) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
      }
      Files.createDirectories(standby);
      Restore.run(RestoreOptions.builder(real, "c/data", standby.resolve("data.db")).build());
      try (SqliteStore s = SqliteStore.builder(standby).database("data", Review7Test.firstOptions().build()).open();
          Replicator r = Replicator.start(s.database("data"), options)) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("standby", "t" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
      }
      db.write(ReplicationTest.insert("local", "w0")).get(); // LOCAL, well within the hard limit
      assertEquals(0, db.health().continuityBreaks());
      Throwable failure = startAndWrite(db);
      assertInstanceOf(LocalBehindBucketException.class, failure);
      assertTrue(restoreLatest("c/data", "latest.db").contains("t9"));
    }
  }

  /**
   * A break while the new lineage's snapshot is being uploaded records the lineage the files are
   * leaving as the OLD one: markBrokenAway takes Shipper.lineage, which landSnapshot moves to the new
   * lineage only after the upload. A process holds L (s0..s9); the bucket goes down and the store is
   * forced past the hard WAL limit (marker "L"); the bucket comes back, the shipper reads the snapshot of
   * a new lineage L2 and, while its PUT is on the wire, the store is forced past the limit again (the
   * snapshot's pin is closed, the gate is held: nothing stops it): the marker becomes "L, after A2". The
   * PUT lands (L2 is the bucket's newest lineage) and the bucket goes down again before L3 can start;
   * the process stops. The next boot, bucket up, trusts the marker (A2 is its main file) but it names
   * L, not the tip's lineage L2, and A2 is no point of L2: files that left L2 only by the store's own
   * forced checkpoint are refused.
   */
  @Test
  void aBreakDuringTheNewLineagesSnapshotUploadRecordsTheOldLineage() throws Exception {
    bucket("n/data");
    Path live = dir.resolve("live");
    AtomicBoolean hooked = new AtomicBoolean();
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options)) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
        bucket.down(true);
        Review5Test.writePastTheHardLimit(db); // marker: L
        long breaks = db.health().continuityBreaks();
        bucket.beforePut("snapshots/0000000000000001.lvsn", key -> io.litevault.testing.Unchecked.run(() -> {
          for (int i = 0; i < 2000 && db.health().continuityBreaks() == breaks; i++) {
            db.write(ReplicationTest.insert("outage", "y".repeat(1500))).get(); // a second forced checkpoint
          }
          hooked.set(db.health().continuityBreaks() > breaks);
          bucket.down(true); // after this PUT (already past the down check): L3 cannot start
        }));
        bucket.down(false);
        for (int i = 0; i < 200 && !hooked.get(); i++) {
          Thread.sleep(50);
        }
        Thread.sleep(300);
      }
    }
    assertTrue(hooked.get(), "the second break ran during the new lineage's snapshot upload");
    String text = Files.readString(live.resolve(".litevault/data/continuity-broken")).strip();
    bucket.down(false);
    Thread.sleep(2500);
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open()) {
      Database db = store.database("data");
      Throwable failure = startAndWrite(db);
      assertNull(failure, "the files left L, then L2, only by the store's forced checkpoints (marker '" + text
          + "'; lineages in the bucket: " + io.litevault.replication.format.LineageCatalog.list(real,
              new io.litevault.replication.format.BucketLayout("n/data")).keySet() + ")");
      assertEquals(db.read(Dumps::dump), restoreLatest("n/data", "latest.db"), "restore latest is the live database");
    }
  }
}
