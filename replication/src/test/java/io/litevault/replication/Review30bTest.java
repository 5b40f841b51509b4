package io.litevault.replication;

import static io.litevault.replication.TwoDestinations.openStore;
import static io.litevault.replication.TwoDestinations.dest;
import static io.litevault.replication.TwoDestinations.startBoth;
import static io.litevault.replication.TwoDestinations.setBody;
import static io.litevault.replication.TwoDestinations.body;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.store.WriteTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review 30b: reproduced bugs of 913e078 (Witnesses: a lagging destination of a MultiReplicator starts a new
 * lineage when a sibling's lineage recorded its tip commit and then a state of the local files).
 */
class Review30bTest {
  @TempDir Path dir;

  private FileSystemObjectStore bucket(String name) throws Exception {
    return TwoDestinations.bucket(dir, name);
  }

  /**
   * Scenario: two destinations "local" and "remote", quorum 1 (README: "A smaller quorum keeps REPLICATED
   * going through the outage of the others, but then only the freshest destination is sure to hold every
   * acknowledged write"). Row 1 is "AA" in both. Then the remote is out (only local configured, as
   * RestoreFromOneDestinationTest does it) and local acknowledges "BB" and then "CC" (REPLICATED, quorum 1:
   * local is the freshest destination, and the only one holding "CC"). The machine is lost and the file
   * comes back one step older than local's latest: at "BB" (a point-in-time restore, a tier copy that lags, an
   * older copy put back, a synchronous=NORMAL power loss: the cases BucketWins names). Both destinations are
   * configured again, quorum 1.
   * Expected: before 913e078 both refused the file (local: an earlier point of its lineage, "a new lineage from
   * it would hide them from restore latest"; remote: equal to no point it keeps), so no REPLICATED write
   * could complete on a file that lost the acknowledged "CC" (ARCHITECTURE: "the bucket is the truth for what
   * was acknowledged as REPLICATED"; README: "only the freshest destination is sure to hold every
   * acknowledged write"). The Witnesses doc itself: "A tip a witness recorded only after the files' state
   * (the files are an older copy) ... gets no vouch". A witness must not vouch for files it refuses itself.
   * Actual: local refuses the file (LocalBehindBucketException), yet its lineage holds the remote's tip commit
   * ("AA") and then the file's state ("BB"), so it vouches for the remote, which starts a new lineage from
   * "BB"; with quorum 1 REPLICATED writes are acknowledged again on a database that silently lost the
   * acknowledged "CC": restore latest from the remote (the one that now has the newest acknowledged write)
   * returns "BB" plus the new row, and no destination holds both "CC" and the new write.
   */
  @Test
  void aWitnessVouchesForAFileItRefusesAsBehindItsOwnAcknowledgedWrite() throws Exception {
    FileSystemObjectStore local = bucket("local-bucket");
    FileSystemObjectStore remote = bucket("remote-bucket");
    LineageCatalog.Tip atBB;
    try (SqliteStore store = openStore(dir.resolve("old"))) {
      try (MultiReplicator m = startBoth(store, local, remote, 0)) { // "AA" in both
        m.write(ReplicationTest.insert("a", "AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator r = Replicator.start(store.database("data"), dest(local).workDirectory(dir.resolve("w-local")).build())) {
        r.write(setBody("BB"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        atBB = LineageCatalog.newestTip(local, new BucketLayout("f/data"));
        r.write(setBody("CC"), Durability.REPLICATED).get(20, TimeUnit.SECONDS); // acknowledged: local holds it
      }
    }
    Path check = dir.resolve("check.db");
    Restore.run(RestoreOptions.builder(remote, "f/data", check).build());
    assertEquals("AA", body(check), "the remote lags at AA");
    LineageCatalog.Tip remoteTip = LineageCatalog.newestTip(remote, new BucketLayout("f/data"));

    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(local, "f/data", fresh.resolve("data.db")).lineage(atBB.lineage())
        .txid(atBB.txid()).build());
    assertEquals("BB", body(fresh.resolve("data.db")), "the file came back one step before local's latest");
    String outcome;
    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store, local, remote, 1)) {
      try {
        m.write(ReplicationTest.insert("b", "after the restore"), Durability.REPLICATED).get(60, TimeUnit.SECONDS);
        outcome = "acknowledged";
      } catch (ExecutionException refused) {
        outcome = "refused: " + refused.getCause();
      }
      outcome += "; health " + m.health();
    }
    LineageCatalog.Tip remoteAfter = LineageCatalog.newestTip(remote, new BucketLayout("f/data"));
    assertEquals(remoteTip, remoteAfter, "the remote started a new lineage from a file its witness (local) refuses "
        + "as behind local's acknowledged CC; the write after the restore was " + outcome);
  }

  /**
   * Scenario: the setup of Review28Test.aSiblingDoesNotVouchForTheSameContentCommittedAtAnotherTime, whose
   * file the remote rightly refuses: row 1 is "AA" in both; local alone gets "BB" and "CC"; the file is set
   * back to "AA" with no replicator; the remote alone acknowledges "ZZ" and then "AA" (a branch local never
   * saw). The file is restored from local ("CC") and both are configured again (default quorum: all). One
   * difference: one old segment of local's lineage (not its tip, which local needs to continue) is damaged in
   * the bucket (a flipped byte: bit rot, a bad copy by another tool); local itself never reads it to continue.
   * Expected: the remote refuses the file promptly, as it did before 913e078 and as Review28Test requires ("a
   * refusal stands, promptly"); README "REPLICATED and the quorum": "A write fails only when the quorum can no
   * longer be reached: enough destinations stopped for good (fenced, a local file the bucket refuses, ...)";
   * Witnesses: "a retryable store error is retried by the shipper's start, as any other" (a damaged object is
   * not a retryable store error); ARCHITECTURE: "Bad input gets a typed, clear exception naming what was wrong".
   * Actual: the remote's refusal now first asks local's lineage to vouch; reading the damaged segment throws
   * (a FormatException, an IOException), the shipper retries its whole start forever with backoff, the
   * remote never refuses and never starts, and the REPLICATED write waits forever instead of failing with
   * LocalBehindBucketException (a damaged object in another destination's bucket turns a refusal into a hang).
   */
  @Test
  void aDamagedObjectInASiblingTurnsARefusalIntoAnEndlessRetry() throws Exception {
    FileSystemObjectStore local = bucket("local-bucket");
    FileSystemObjectStore remote = bucket("remote-bucket");
    try (SqliteStore store = openStore(dir.resolve("old"))) {
      try (MultiReplicator m = startBoth(store, local, remote, 0)) {
        m.write(ReplicationTest.insert("a", "AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator r = Replicator.start(store.database("data"), dest(local).workDirectory(dir.resolve("w-local")).build())) {
        r.write(setBody("BB"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        r.write(setBody("CC"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
    try (SqliteStore store = SqliteStore.builder(dir.resolve("old")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      store.database("data").write(setBody("AA")).get(20, TimeUnit.SECONDS); // replicated by nobody
      store.database("data").checkpoint(io.litevault.store.CheckpointMode.TRUNCATE).get(20, TimeUnit.SECONDS);
    }
    try (SqliteStore store = openStore(dir.resolve("old"));
        Replicator r = Replicator.start(store.database("data"), dest(remote).workDirectory(dir.resolve("w-remote")).build())) {
      r.write(setBody("ZZ"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      r.write(setBody("AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS); // acknowledged: only remote holds it
    }
    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(local, "f/data", fresh.resolve("data.db")).build());
    assertEquals("CC", body(fresh.resolve("data.db")));

    // Damage local's oldest segment (not its tip).
    java.util.List<Path> segments;
    try (var walk = Files.walk(dir.resolve("local-bucket"))) {
      segments = walk.filter(f -> f.getFileName().toString().endsWith(".lvsg")).sorted(
          java.util.Comparator.comparing(f -> f.getFileName().toString())).toList();
    }
    assertTrue(segments.size() >= 2, "local's lineage has several segments: " + segments);
    Path damaged = segments.get(0);
    byte[] bytes = Files.readAllBytes(damaged);
    bytes[bytes.length / 2] ^= 0x5A;
    Files.write(damaged, bytes);

    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store, local, remote, 0)) {
      ExecutionException e;
      try {
        e = assertThrows(ExecutionException.class, () -> m.write(ReplicationTest.insert("b", "after the restore"),
            Durability.REPLICATED).get(45, TimeUnit.SECONDS));
      } catch (org.opentest4j.AssertionFailedError hang) {
        fail("no refusal within 45 s (the remote retries its start forever); health " + m.health(), hang);
        return;
      }
      assertInstanceOf(LocalBehindBucketException.class, e.getCause().getCause(), e.getCause().toString());
    }
  }

  /**
   * Scenario: RestoreFromOneDestinationTest's case (the remote lags, the machine is lost, the file is restored
   * "latest" from the fresher local, both are configured again), with one difference: while the remote was out,
   * local shipped a little more than 10,000 transactions (one per write: about 14 minutes of the 1 million
   * writes a day ARCHITECTURE names as the target load, i.e. a remote outage of a quarter of an hour).
   * Expected (README "After a restore from one destination": "if one of them recorded the lagging destination's
   * tip commit (the same commit time, database checksum and size) and then the file's state, in that order, the
   * file descends from that tip, and the lagging destination starts a new lineage with a snapshot of it"; the
   * README names only a caught-up commit as the exception; 913e078 "fixes the open bug of review 27"): local's
   * lineage recorded the remote's tip commit and then the file's state, so the remote starts a new lineage and
   * the REPLICATED write after the restore completes.
   * Actual: Witnesses searches the witness back only EarlierPoint.TRANSACTIONS_SEARCHED (10,000) transactions,
   * newest first: the remote's tip commit lies further back, the vouch is empty, and the remote refuses the file
   * for good (LocalBehindBucketException); under the default quorum every REPLICATED write fails: the open bug
   * of review 27 is still there for any lag beyond 10,000 transactions, which the README does not say.
   */
  @Test
  void aLagOfMoreThanTenThousandTransactionsStillRefusesAFileRestoredFromTheFresherDestination() throws Exception {
    FileSystemObjectStore local = bucket("local-bucket");
    FileSystemObjectStore remote = bucket("remote-bucket");
    try (SqliteStore store = openStore(dir.resolve("old"))) {
      try (MultiReplicator m = startBoth(store, local, remote, 0)) {
        m.write(ReplicationTest.insert("a", "in both"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator r = Replicator.start(store.database("data"), dest(local).workDirectory(dir.resolve("w-local")).build())) {
        for (int i = 0; i < 10_100; i++) {
          store.database("data").writeAndWait(setBody("local only " + i)); // one transaction each
        }
        r.write(ReplicationTest.insert("a", "in local only"), Durability.REPLICATED).get(60, TimeUnit.SECONDS);
      }
    }
    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(local, "f/data", fresh.resolve("data.db")).build());
    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store, local, remote, 0)) {
      try {
        m.write(ReplicationTest.insert("a", "after the restore"), Durability.REPLICATED).get(60, TimeUnit.SECONDS);
      } catch (ExecutionException refused) {
        fail("the lagging remote refused a file restored from the fresher local: " + refused.getCause()
            + "; health " + m.health(), refused);
      }
    }
  }

  /**
   * Scenario: the root cause of aWitnessVouchesForAFileItRefusesAsBehindItsOwnAcknowledgedWrite under the
   * default quorum (all). Row 1 is "AA" in both; local alone then gets "BB" and "CC" (the remote was out). The
   * machine is lost and the file first comes back one step older than local's latest ("BB": an older copy, a
   * lagging tier copy). Both destinations are configured: local refuses the file, and REPLICATED writes fail,
   * as they should. The operator does what the refusal says ("restore the database from the bucket and start
   * again"): restores "latest" from local, the freshest destination ("CC"), and starts both again.
   * Expected (README "After a restore from one destination": restored "latest" from the freshest one, "the
   * destination you restored from continues its lineage; a lagging destination ... starts a new lineage with a
   * snapshot of it", as RestoreFromOneDestinationTest shows): the second start replicates, the REPLICATED write
   * completes.
   * Actual: at the first start local, although it refused the "BB" file itself, vouched for it, and the remote
   * started a new lineage from "BB" (a state local had left behind). At the second start the remote's tip is
   * that fork, which no sibling ever recorded, so the remote refuses the freshest file for good
   * (LocalBehindBucketException): under the default quorum every REPLICATED write fails until someone allows a
   * fork, and "restore latest" from the remote returns the older "BB" file.
   */
  @Test
  void aVouchForAnOlderCopyPoisonsTheLaggingDestinationAgainstTheDocumentedRecovery() throws Exception {
    FileSystemObjectStore local = bucket("local-bucket");
    FileSystemObjectStore remote = bucket("remote-bucket");
    LineageCatalog.Tip atBB;
    try (SqliteStore store = openStore(dir.resolve("old"))) {
      try (MultiReplicator m = startBoth(store, local, remote, 0)) {
        m.write(ReplicationTest.insert("a", "AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator r = Replicator.start(store.database("data"), dest(local).workDirectory(dir.resolve("w-local")).build())) {
        r.write(setBody("BB"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        atBB = LineageCatalog.newestTip(local, new BucketLayout("f/data"));
        r.write(setBody("CC"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
    LineageCatalog.Tip remoteTip = LineageCatalog.newestTip(remote, new BucketLayout("f/data"));
    Path older = Files.createDirectories(dir.resolve("older"));
    Restore.run(RestoreOptions.builder(local, "f/data", older.resolve("data.db")).lineage(atBB.lineage())
        .txid(atBB.txid()).build());
    try (SqliteStore store = openStore(older); MultiReplicator m = startBoth(store, local, remote, 0)) {
      assertThrows(ExecutionException.class, () -> m.write(ReplicationTest.insert("b", "on the older copy"),
          Durability.REPLICATED).get(60, TimeUnit.SECONDS), "local refuses the older copy");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (remoteTip.equals(LineageCatalog.newestTip(remote, new BucketLayout("f/data")))
          && System.nanoTime() < deadline) {
        Thread.sleep(20); // whatever the remote does with the older copy, it does it now
      }
    }

    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(local, "f/data", fresh.resolve("data.db")).build());
    assertEquals("CC", body(fresh.resolve("data.db")), "restored latest from the freshest destination");
    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store, local, remote, 0)) {
      try {
        m.write(ReplicationTest.insert("b", "after the restore"), Durability.REPLICATED).get(60, TimeUnit.SECONDS);
      } catch (ExecutionException refused) {
        fail("after the documented recovery the remote refuses the freshest file: " + refused.getCause()
            + "; remote tip before the older copy: " + remoteTip + ", now: "
            + LineageCatalog.newestTip(remote, new BucketLayout("f/data")), refused);
      }
    }
  }

  /**
   * Scenario: the documented recovery, twice. The remote lags ("in both"; local alone then gets "in local
   * only"); the machine is lost, the file is restored "latest" from local, both are configured again: the
   * remote starts a new lineage from the file (the vouch), before the application writes anything. Then the
   * remote is out again (it was the flaky one), local alone acknowledges "local only again", the machine is lost
   * again, the file is restored "latest" from local, and both are configured again.
   * Expected (README "After a restore from one destination": a lagging destination whose tip commit another
   * destination recorded, followed by the file's state, "starts a new lineage with a snapshot of it"; Witnesses:
   * "the same commit time (the store's clock at the commit, which every destination records for the same
   * commit)"; LineageCatalog.Tip: "the latest commit time a snapshot holds"; Shipper: a snapshot is "Stamped
   * with the time of the newest commit it holds"): the remote's tip is its fork's snapshot of the state local
   * committed as "in local only", which local's lineage recorded, followed by the file's state: the second
   * recovery works as the first did.
   * Actual: the fork's snapshot was read before any commit of this open (ReadPin.commitMillis() is 0), so it is
   * stamped with the clock's "now", no commit time at all; no sibling can ever have recorded it, the vouch is
   * empty, and the remote refuses the file for good (LocalBehindBucketException): under the default quorum
   * every REPLICATED write fails after the second recovery (the README names only caught-up commits as such a
   * case).
   */
  @org.junit.jupiter.api.Tag("open-bug") // a documented limit: a snapshot with no commit since the open is stamped with the clock (review 32: a commit's own time broke restores to a time)
  @Test
  void aForkSnapshotStampedWithTheClockIsATipNoSiblingRecognisesAtTheNextRecovery() throws Exception {
    FileSystemObjectStore local = bucket("local-bucket");
    FileSystemObjectStore remote = bucket("remote-bucket");
    try (SqliteStore store = openStore(dir.resolve("old"))) {
      try (MultiReplicator m = startBoth(store, local, remote, 0)) {
        m.write(ReplicationTest.insert("a", "in both"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator r = Replicator.start(store.database("data"), dest(local).workDirectory(dir.resolve("w-local")).build())) {
        r.write(ReplicationTest.insert("a", "in local only"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
    // First recovery: restored from the fresher local; the remote forks (vouched for by local).
    LineageCatalog.Tip remoteTip = LineageCatalog.newestTip(remote, new BucketLayout("f/data"));
    LineageCatalog.Tip localAtF = LineageCatalog.newestTip(local, new BucketLayout("f/data")); // the state restored
    Path first = Files.createDirectories(dir.resolve("first"));
    Restore.run(RestoreOptions.builder(local, "f/data", first.resolve("data.db")).build());
    try (SqliteStore store = openStore(first)) {
      try (MultiReplicator m = startBoth(store, local, remote, 0)) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (remoteTip.equals(LineageCatalog.newestTip(remote, new BucketLayout("f/data")))
            && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertTrue(m.health().destinations().stream().allMatch(d -> d.health().running() && d.health().lineage() != null),
            "the first recovery works: " + m.health());
      }
      // The remote is out again; local alone acknowledges one more write.
      try (Replicator r = Replicator.start(store.database("data"), dest(local).workDirectory(dir.resolve("w-local-2")).build())) {
        r.write(ReplicationTest.insert("a", "local only again"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
    LineageCatalog.Tip forkTip = LineageCatalog.newestTip(remote, new BucketLayout("f/data"));
    // Second recovery: the same documented steps.
    Path second = Files.createDirectories(dir.resolve("second"));
    Restore.run(RestoreOptions.builder(local, "f/data", second.resolve("data.db")).build());
    try (SqliteStore store = openStore(second); MultiReplicator m = startBoth(store, local, remote, 0)) {
      try {
        m.write(ReplicationTest.insert("a", "after the second restore"), Durability.REPLICATED).get(60, TimeUnit.SECONDS);
      } catch (ExecutionException refused) {
        fail("the second recovery fails: the remote's tip " + forkTip + " is its fork's snapshot of the state local "
            + "committed as " + localAtF + " (same checksum " + (forkTip.checksumAfter() == localAtF.checksumAfter())
            + ", commit time " + localAtF.commitMillis() + " vs stamp " + forkTip.commitMillis() + "); "
            + refused.getCause(), refused);
      }
    }
  }
}
