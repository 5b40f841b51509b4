package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Hostile review of a31bd5e (the seventh): the record's {@code passed} states, and a bucket tip equal to
 * one of them excusing the files "whatever lineage it is in". A database checksum names CONTENT, not
 * history: the same content reached again later (a row toggled back: a same-size in-place update leaves
 * byte-identical pages, and WAL mode does not bump the change counter) has the same checksum at a later
 * txid. A tip equal to a state the files passed through therefore does not mean the bucket holds nothing
 * the files lack: it may hold commits made AFTER that state (by these files before a rollback, or by a
 * standby) that brought the content back to it.
 */
class Review13Test extends BucketWinsScenarios {
  static final String X = "x".repeat(2000);
  static final String Y = "y".repeat(2000);

  static String toggleRow(String dump) {
    return dump.lines().filter(l -> l.contains("|toggle|")).findFirst().orElse("(no toggle row)")
        .replace(X, "<x*2000>").replace(Y, "<y*2000>");
  }

  /**
   * Data loss: a power-loss rollback past a toggled-back commit, followed by a boot break, is excused. A
   * process holds L and writes REPLICATED: insert the toggle row with body x (state X), set it to y
   * (state Y), set it back to x (the tip: state X again, at a later txid). A power loss
   * (synchronous=NORMAL, no checkpoint since) rolls the files back to Y; their WAL still holds X and Y.
   * The next boot finds the bucket down (the replicator fails to start) and the service's LOCAL writes
   * force a checkpoint past the hard WAL limit: the record's {@code passed} holds X and Y. The bucket
   * comes back: the tip's state X is among {@code passed}, so the files (body y) are excused and a new
   * lineage starts: restore latest says body y, losing the acknowledged REPLICATED "set body x".
   */
  @Test
  void aRollbackPastAToggledBackCommitIsExcusedBecauseTheTipsContentWasPassedBefore() throws Exception {
    bucket("r/data", Duration.ofSeconds(2));
    Path live = dir.resolve("live");
    Path rolled = dir.resolve("rolled");
    try (SqliteStore store = SqliteStore.builder(live).database("data", firstOptions().build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      Database db = store.database("data");
      long id = r.write(ReplicationTest.insert("toggle", X), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      r.write(BucketWinsReviewTest.setBody(id, Y), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      image(db, live, rolled); // what a power loss leaves: nothing synced the WAL since
      r.write(BucketWinsReviewTest.setBody(id, X), Durability.REPLICATED).get(20, TimeUnit.SECONDS); // acknowledged
    }
    assertTrue(toggleRow(restoreLatest("r/data", "before.db")).contains("<x*2000>"), "the bucket says body x");
    putImageBack(rolled, live); // the power loss; the work directory stays
    bucket.down(true);
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options)); // the bucket is down
      Review5Test.writePastTheHardLimit(db); // a break while no lineage is held: passed holds X and Y
      String text = Files.readString(live.resolve(".litevault/data/continuity-broken")).strip();
      bucket.down(false);
      Thread.sleep(2500);
      Throwable failure = startAndWrite(db);
      String latest = restoreLatest("r/data", "latest.db");
      assertTrue(toggleRow(latest).contains("<x*2000>"), "restore latest lost the REPLICATED 'set body x': toggle row "
          + toggleRow(latest) + " (marker '" + text.replace('\n', '|').replaceAll("passed .*", "passed ...")
          + "'; replication's answer: " + failure + ")");
      assertInstanceOf(LocalBehindBucketException.class, failure);
    }
  }

  /**
   * Data loss, and Review10Test's fix undone: the {@code passed} check runs BEFORE "the lineage grew
   * after the files left it". A primary's replicator holds L: insert the toggle row with body x (state
   * X), set it to y (state Y), REPLICATED; it is closed (lease released, parting gate). A standby restores
   * L, continues it with "set body x" REPLICATED (the tip: state X, at a txid past the primary's) and
   * releases it. The primary's service writes LOCAL past the hard WAL limit: the record says "left L at
   * txid 2", passed holding X and Y. A replicator started again on the primary finds the tip's state X
   * among passed and starts a new lineage from files with body y: the standby's acknowledged write is lost.
   */
  @Test
  void aStandbyThatTogglesARowBackToAStateThePrimaryPassedIsOverwritten() throws Exception {
    bucket("s/data", Duration.ofSeconds(2));
    Path primary = dir.resolve("primary");
    Path standby = dir.resolve("standby");
    try (SqliteStore store = SqliteStore.builder(primary).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      long id;
      try (Replicator r = Replicator.start(db, options)) {
        id = r.write(ReplicationTest.insert("toggle", X), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        r.write(BucketWinsReviewTest.setBody(id, Y), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      } // released; the parting gate holds the primary's checkpoints at what was shipped
      Files.createDirectories(standby);
      Restore.run(RestoreOptions.builder(real, "s/data", standby.resolve("data.db")).build());
      try (SqliteStore s = SqliteStore.builder(standby).database("data", firstOptions().build()).open();
          Replicator r = Replicator.start(s.database("data"), options)) {
        r.write(BucketWinsReviewTest.setBody(id, X), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      assertTrue(toggleRow(restoreLatest("s/data", "standby-latest.db")).contains("<x*2000>"), "the standby continued L");
      Review5Test.writePastTheHardLimit(db); // the parting gate records "left L", passed holding X and Y
      String text = Files.readString(primary.resolve(".litevault/data/continuity-broken")).strip();
      Throwable failure = startAndWrite(db);
      String latest = restoreLatest("s/data", "latest.db");
      assertTrue(toggleRow(latest).contains("<x*2000>"), "restore latest lost the standby's REPLICATED 'set body x': "
          + "toggle row " + toggleRow(latest) + " (marker '" + text.replace('\n', '|').replaceAll("passed .*", "passed ...")
          + "'; replication's answer: " + failure + ")");
      assertInstanceOf(LocalBehindBucketException.class, failure);
    }
  }
}
