package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile review of c36fa0b (WalStates, MARKED_THIS_OPEN, syncFiles before a marker). */
class Review8Test extends BucketWinsScenarios {
  /**
   * A state-form marker written by an earlier open is trusted by refuseIfBehind whatever files are
   * there now: MARKED_THIS_OPEN only guards the overwrite in markBrokenAwayFrom, not the read. A process
   * boots on files at the bucket's tip (txid 11) during an outage and is forced past the hard WAL limit
   * (marker: the tip's state); it ends (kill -9, or a close while the bucket is still down) before any new
   * lineage lands. An older copy (s0..s2) is put back, the work directory stays. The next process boots
   * with the bucket UP: the old copy does not continue the tip, refuseIfBehind compares the stale marker
   * (the tip) instead of the files, takes the old copy for a departure and starts a new lineage from it:
   * restore latest loses s3..s9, acknowledged as REPLICATED. (Review7Test's first case needed a second
   * boot break; none is needed.)
   */
  @Test
  void aStaleStateMarkerVouchesForAnOldCopyPutBackWhenTheBucketIsUpAtTheNextBoot() throws Exception {
    bucket("a/data");
    Path live = dir.resolve("live");
    Path early = dir.resolve("early");
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      for (int i = 0; i < 10; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        if (i == 2) {
          Review7Test.image(store.database("data"), live, early);
        }
      }
    }
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open()) {
      Database db = store.database("data");
      bucket.down(true);
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options));
      Review5Test.writePastTheHardLimit(db); // marker: the tip's state; the process ends before a new lineage
    }
    // The record: the lineage and txid the clean close above left the files at (closed-at), or the states.
    assertTrue(Files.exists(live.resolve(".litevault/data/continuity-broken")));
    Review7Test.putImageBack(early, live); // an older copy put back; the work directory stays
    bucket.down(false);
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open()) {
      Throwable failure = startAndWrite(store.database("data"));
      String latest = restoreLatest("a/data", "latest.db");
      assertTrue(latest.contains("s9"), "restore latest lost s3..s9, acknowledged as REPLICATED (replication's answer: "
          + failure + "); restore latest without the outage rows:\n" + withoutOutageRows(latest));
      assertInstanceOf(LocalBehindBucketException.class, failure);
    }
  }

  /**
   * The lineage-form marker has the same hole: it survives the open that wrote it and excuses any files
   * at the next boot. A replicator holds lineage L (s0..s9 REPLICATED); the bucket goes down and the
   * store is forced past the hard WAL limit (marker "L"); the process ends before a new lineage lands.
   * An older copy (s0..s2) is put back, the work directory stays; the next process boots with the
   * bucket up: brokeAway(L) excuses the old copy, a new lineage starts from it, and restore latest loses
   * s3..s9, acknowledged as REPLICATED.
   */
  @Test
  void aStaleLineageMarkerVouchesForAnOldCopyPutBack() throws Exception {
    bucket("b/data");
    Path live = dir.resolve("live");
    Path early = dir.resolve("early");
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options)) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
          if (i == 2) {
            Review7Test.image(db, live, early);
          }
        }
        bucket.down(true);
        Review5Test.writePastTheHardLimit(db); // marker: lineage L; no new lineage before the process ends
      }
    }
    assertFalse(Files.readString(live.resolve(".litevault/data/continuity-broken")).startsWith("state"));
    Review7Test.putImageBack(early, live);
    bucket.down(false);
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open()) {
      Throwable failure = startAndWrite(store.database("data"));
      String latest = restoreLatest("b/data", "latest.db");
      assertTrue(latest.contains("s9"), "restore latest lost s3..s9, acknowledged as REPLICATED (replication's answer: "
          + failure + "); restore latest without the outage rows:\n" + withoutOutageRows(latest));
      assertInstanceOf(LocalBehindBucketException.class, failure);
    }
  }

  /**
   * A replicator closed and another started on the same open store (a supported sequence: the parting
   * gate exists for it) loses what the first one knew. R1 starts a lineage and ships s0..s2 REPLICATED,
   * then is closed (everything shipped; its parting gate holds the WAL). The bucket goes down; R2 fails
   * to start and its parting gate replaces R1's, with a shipper that never held a lineage. The store is
   * forced past the hard WAL limit: the break is recorded in the state form from the WAL at open / the
   * main file alone (an earlier point of the lineage, not its tip, which this open itself shipped). Once
   * the bucket is back, replication refuses files that left the tip only by the store's forced checkpoint.
   */
  @Test
  void aBreakAfterAReplicatorWasClosedAndAnotherFailedToStartRecordsAStateBehindTheTip() throws Exception {
    bucket("c/data");
    DatabaseOptions o = DatabaseOptions.builder().holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA)
        .passiveCheckpointPages(100_000).idleCheckpointAfter(Duration.ofHours(1))
        .restartWalBytes(120 * 1024).hardWalLimitBytes(128 * 1024).build();
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", o).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options)) {
        for (int i = 0; i < 3; i++) {
          r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
      }
      bucket.down(true);
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options));
      Review5Test.writePastTheHardLimit(db);
      String marker = Files.readString(dir.resolve("live/.litevault/data/continuity-broken")).strip();
      bucket.down(false);
      Throwable failure = startAndWrite(db);
      assertNull(failure, "marker '" + marker + "': every commit up to the break was shipped; only the store's forced checkpoint moved the "
          + "files on");
      assertEquals(db.read(Dumps::dump), restoreLatest("c/data", "latest.db"), "restore latest is the live database");
    }
  }

  /**
   * LocalStates.MAX_STATES_AT_BREAK (c36fa0b) kept only the newest 10,000 commit boundaries of the WAL at open, so
   * Review7Test's third case comes back with more LOCAL commits: a process ships s0..s9, the bucket goes
   * down, it writes 10,050 LOCAL commits (about 10 MB of WAL with 1 KiB pages; the default hard limit is
   * 1 GiB) and is killed. The next process boots during the outage and is forced past the hard limit:
   * the tip is not among the 10,000 states recorded, so once the bucket is back replication refuses files
   * that continued the tip and left it only by the store's forced checkpoint.
   */
  @Test
  void aCrashWithMoreThanTenThousandUnshippedLocalCommitsIsRefusedAfterABootBreak() throws Exception {
    bucket("d/data");
    options = ReplicatorOptions.builder(bucket, "d/data").minUploadInterval(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).leaseTtl(Duration.ofSeconds(2)).build();
    Path first = dir.resolve("first");
    Path crashed = dir.resolve("crashed");
    try (SqliteStore store = SqliteStore.builder(first).database("data", Review7Test.firstOptions().pageSize(1024).build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      for (int i = 0; i < 10; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      bucket.down(true);
      for (int i = 0; i < 10_050; i++) {
        r.write(ReplicationTest.insert("local", "w" + i), Durability.LOCAL).get(20, TimeUnit.SECONDS);
      }
      Review7Test.image(store.database("data"), first, crashed); // kill -9 during the outage
    }
    try (SqliteStore store = SqliteStore.builder(crashed).database("data", Review7Test.breakingOptions().pageSize(1024)
        .build()).open()) {
      Database db = store.database("data");
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options));
      Review5Test.writePastTheHardLimit(db);
      String marker = Files.readString(crashed.resolve(".litevault/data/continuity-broken")).strip();
      bucket.down(false);
      Thread.sleep(2500); // the killed process's lease expires
      Throwable failure = startAndWrite(db);
      assertNull(failure, "marker with " + (marker.split(" ").length - 1) / 2 + " states, " + marker.length()
          + " bytes: the files continued the bucket's tip when this process opened them; only the store's "
          + "forced checkpoint moved them on");
      assertEquals(db.read(Dumps::dump), restoreLatest("d/data", "latest.db"), "restore latest is the live database");
    }
  }
}
