package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.ReplicationPort;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of b967160 (walAtOpen in LocalStates, the first break's record kept by markBrokenAwayFrom). */
class Review7Test extends BucketWinsScenarios {
  // The review's first finding (a power loss after a state marker and before the checkpoint synced the
  // WAL: the marker vouched for commits the disk then lacked, and a rollback passed as a departure) is
  // answered by Shipper.syncFiles: the WAL and the main file are fsynced before any marker is written.
  // Its test put an older image back after the marker, which models a disk that ignored that fsync, so
  // it cannot tell the fix from the bug and is not kept.

  /**
   * A stale state-form marker survives an old copy put back, and the new "first record stays" rule makes
   * it vouch for that copy. A process opens the files at the bucket's tip (txid 10) while the bucket is
   * down and is forced past the hard WAL limit: the marker records the tip's state; it stops before any
   * new lineage lands. The operator then puts back an older copy (s0..s2: a VM snapshot, a backup); the
   * work directory stays. The next process boots during an outage too and is forced past the limit: its
   * own record (the old copy's state, a point behind the tip) is dropped because a marker exists, so once
   * the bucket is back the stale record (the tip) is compared instead of the files, the old copy is
   * taken for a departure and becomes a new lineage: restore latest loses s3..s9, acknowledged as
   * REPLICATED. (Before b967160 the second break overwrote the record and this was refused.)
   */
  @Test
  void aStaleBreakRecordVouchesForAnOldCopyPutBackWhenASecondBootBreaksToo() throws Exception {
    bucket("q/data");
    Path live = dir.resolve("live");
    Path early = dir.resolve("early");
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      for (int i = 0; i < 10; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        if (i == 2) {
          image(store.database("data"), live, early);
        }
      }
    }
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      bucket.down(true);
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options));
      Review5Test.writePastTheHardLimit(db); // marker: the tip's state; no new lineage before the process ends
    }
    putImageBack(early, live); // an older copy put back; the work directory stays
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options)); // still down at boot
      Review5Test.writePastTheHardLimit(db); // its own record (s0..s2, behind the tip) is dropped
      bucket.down(false);
      Throwable failure = startAndWrite(db);
      String latest = restoreLatest("q/data", "latest.db");
      assertTrue(latest.contains("s9"), "restore latest lost s3..s9, acknowledged as REPLICATED (replication's answer: "
          + failure + "); restore latest without the outage rows:\n"
          + latest.lines().filter(l -> !l.contains("|outage|")).collect(java.util.stream.Collectors.joining("\n")));
      assertInstanceOf(LocalBehindBucketException.class, failure);
    }
  }

  /**
   * walAtOpen is taken after the migrations, so a deploy that adds one records a state that was never
   * the files' state at open. The files are at the bucket's tip (closed cleanly); the new version opens
   * them with a new migration while the bucket is down and is forced past the hard WAL limit: the
   * marker records only tip+migration (the main file alone, the tip, is no longer among the states), which
   * matches nothing the bucket keeps, so once the bucket is back replication refuses files that left
   * the tip by the store's own migration and forced checkpoint. (Before b967160: the main file, the tip,
   * was recorded and a new lineage started.)
   */
  @Test
  void aMigrationAtBootMakesTheRecordedStateAtOpenMatchNothing() throws Exception {
    bucket("m/data");
    Path live = dir.resolve("live");
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      for (int i = 0; i < 5; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions()
        .migration(2, "tag", "CREATE TABLE tag(id INTEGER PRIMARY KEY, name TEXT)").build()).open()) {
      Database db = store.database("data");
      bucket.down(true);
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options));
      Review5Test.writePastTheHardLimit(db);
      bucket.down(false);
      Throwable failure = startAndWrite(db);
      assertNull(failure, "the files were at the bucket's tip when this process opened them; its own migration "
          + "and forced checkpoint moved them on");
      assertEquals(db.read(Dumps::dump), restoreLatest("m/data", "latest.db"), "restore latest is the live database");
    }
  }

  /**
   * The fix covers a WAL at open that ends at the bucket's tip, not one that holds the tip plus commits
   * not yet shipped. A process ships s0..s9, then the bucket goes down and it writes w0..w2 LOCAL; it is
   * killed (the WAL holds all of them). The next process boots while the bucket is still down and is
   * forced past the hard WAL limit: the state at walAtOpen (tip + w0..w2) is recorded, which is no point
   * of the bucket, so once the bucket is back replication refuses files that continued the tip and left
   * it only by the store's forced checkpoint (BootBreakTest's case with one unshipped LOCAL write more).
   */
  @Test
  void aCrashWithUnshippedLocalCommitsAfterTheTipIsRefusedAfterABootBreak() throws Exception {
    bucket("u/data");
    options = ReplicatorOptions.builder(bucket, "u/data").minUploadInterval(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).leaseTtl(Duration.ofSeconds(2)).build();
    Path first = dir.resolve("first");
    Path crashed = dir.resolve("crashed");
    try (SqliteStore store = SqliteStore.builder(first).database("data", firstOptions().build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      for (int i = 0; i < 10; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      bucket.down(true);
      for (int i = 0; i < 3; i++) {
        r.write(ReplicationTest.insert("local", "w" + i), Durability.LOCAL).get(20, TimeUnit.SECONDS);
      }
      image(store.database("data"), first, crashed); // kill -9 during the outage
    }
    try (SqliteStore store = SqliteStore.builder(crashed).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options));
      Review5Test.writePastTheHardLimit(db);
      bucket.down(false);
      Thread.sleep(2500); // the killed process's lease expires
      Throwable failure = startAndWrite(db);
      assertNull(failure, "the files continued the bucket's tip when this process opened them; only the store's "
          + "forced checkpoint moved them on");
      assertEquals(db.read(Dumps::dump), restoreLatest("u/data", "latest.db"), "restore latest is the live database");
    }
  }
}
