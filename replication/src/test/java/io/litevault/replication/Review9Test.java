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

/** Hostile review of 02164b6 (the marker's {@code after} state, MARKED_THIS_OPEN, LAST_HELD, unbounded states). */
class Review9Test extends BucketWinsScenarios {
  /**
   * A resume that catches up with a snapshot keeps a marker that names the lineage it continues: in
   * Shipper.resumeAt the catch-up-with-a-snapshot branch returns before forgetBreak. A process holds L
   * (s0..s9 REPLICATED); the bucket goes down, the service writes LOCAL past the hard WAL limit: the
   * marker "L, after A" is written and fsynced, and the process is killed before the checkpoint runs
   * (the files still continue L). The next process boots with the bucket up and resumes L; the catch-up
   * is larger than maxSegmentBytes (32 MiB by default against a 1 GiB hard limit: any real outage), so
   * it goes as a snapshot of L and the marker stays. It ships s10..s19 REPLICATED into L. A power loss
   * (synchronous=NORMAL, no checkpoint since, so nothing synced s13..s19) rolls the files back to s12:
   * they passed through A (the WAL still holds it), so the stale marker is trusted, L is "left on
   * purpose", a new lineage starts from s12 and restore latest loses s13..s19, acknowledged REPLICATED.
   */
  @Test
  void aMarkerKeptByASnapshotCatchUpResumeExcusesALaterRollback() throws Exception {
    bucket("k/data", Duration.ofSeconds(2));
    options = ReplicatorOptions.builder(bucket, "k/data").minUploadInterval(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).leaseTtl(Duration.ofSeconds(2))
        .maxSegmentBytes(64 * 1024).build();
    Path live = dir.resolve("live");
    Path crashed = dir.resolve("crashed");
    Path rolled = dir.resolve("rolled");
    Path marker = live.resolve(".litevault/data/continuity-broken");
    AtomicBoolean imaged = new AtomicBoolean();
    try (SqliteStore store = SqliteStore.builder(live).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "post", ReplicationTest.SCHEMA).restartWalBytes(64 * 1024).hardWalLimitBytes(256 * 1024).build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      Database db = store.database("data");
      for (int i = 0; i < 10; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      // kill -9 right after the marker, before the forced checkpoint (called after the replicator's hook)
      ReplicationPort.of(db).addCommitListener(new CommitListener() {
        @Override
        public void onCommit(CommitEvent event) {}

        @Override
        public void onContinuityBroken(String database, WalPosition lostFrom, WalPosition walEnd) {
          if (imaged.compareAndSet(false, true)) {
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
    Review7Test.putImageBack(crashed, live); // the kill -9: the files, the work directory and the lease as it left them
    Files.copy(crashed.resolve("continuity-broken"), marker, StandardCopyOption.REPLACE_EXISTING);
    bucket.down(false);
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.firstOptions().build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      Database db = store.database("data");
      for (int i = 10; i < 20; i++) {
        r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        if (i == 12) {
          Review7Test.image(db, live, rolled); // what a power loss leaves: nothing synced the WAL since
        }
      }
      // Fixed: the resume forgets the marker before either catch-up (it kept it when the catch-up went as a
      // snapshot), so the rollback below is compared by its own states.
      assertFalse(Files.exists(marker), "the resume forgot the stale marker");
    }
    String text = Files.exists(marker) ? Files.readString(marker).strip() : "(none)";
    Review7Test.putImageBack(rolled, live); // the power loss; the work directory stays
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.firstOptions().build()).open()) {
      Throwable failure = startAndWrite(store.database("data"));
      String latest = restoreLatest("k/data", "latest.db");
      assertTrue(latest.contains("s19"), "restore latest lost s13..s19, acknowledged as REPLICATED (marker '" + text
          + "'; replication's answer: " + failure + "); restore latest without the outage rows:\n"
          + withoutOutageRows(latest));
      assertInstanceOf(LocalBehindBucketException.class, failure);
    }
  }

  /**
   * Several boots during one outage: the second open's break overwrites the first's record. A process
   * holds L (s0..s9 REPLICATED); the bucket goes down and the store is forced past the hard WAL limit
   * (marker "L, after A"); the process stops while the bucket is down. The next process boots during the
   * same outage (its replicator fails to start) and is forced past the limit too: MARKED_THIS_OPEN does
   * not know the first marker (another open), so markBrokenAwayFrom replaces it with the states at this
   * open (A: L's tip plus outage writes, a point of no lineage). Once the bucket is back, replication
   * refuses files that left L only by the store's own forced checkpoints.
   */
  @Test
  void aSecondBootDuringTheSameOutageOverwritesTheFirstBreaksRecord() throws Exception {
    bucket("t/data", Duration.ofSeconds(2));
    Path live = dir.resolve("live");
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options)) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
        bucket.down(true);
        Review5Test.writePastTheHardLimit(db); // marker: L, after A
      }
    }
    String firstMarker = Files.readString(live.resolve(".litevault/data/continuity-broken")).strip();
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open()) {
      Database db = store.database("data");
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options)); // still down
      Review5Test.writePastTheHardLimit(db);
    }
    String secondMarker = Files.readString(live.resolve(".litevault/data/continuity-broken")).strip();
    bucket.down(false);
    Thread.sleep(2500);
    try (SqliteStore store = SqliteStore.builder(live).database("data", Review7Test.breakingOptions().build()).open()) {
      Database db = store.database("data");
      Throwable failure = startAndWrite(db);
      assertNull(failure, "the files left L only by the store's forced checkpoints (first marker '" + firstMarker
          + "', now '" + secondMarker + "')");
      assertEquals(db.read(Dumps::dump), restoreLatest("t/data", "latest.db"), "restore latest is the live database");
    }
  }
}
