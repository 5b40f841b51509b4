package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.CheckpointMode;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Hostile review of 31b28ad (the ninth): closed-at, and the narrowed content rule (a tip equal by content
 * excuses the files only at their content at the latest break, {@code after}). The files move on from
 * {@code after} too: LOCAL writes after the break. A standby that sets a row back to the content the
 * break left is then excused exactly as Review14Test's first case was by the state at open.
 */
class Review15Test extends BucketWinsScenarios {
  static final String X = Review14Test.X;
  static final String Y = Review14Test.Y;
  static final String Z = Review14Test.Z;

  /**
   * The primary holds L (toggle row x, REPLICATED), closes cleanly (closed-at written, lease released),
   * boots during an outage; its replicator fails to start; it toggles the row y/x LOCAL past the hard WAL
   * limit, so the break leaves the files at some toggle content V (x or y): the record's {@code after}.
   * Then it writes z (LOCAL). {@code reopenWithoutHold}: the store is closed and opened again without
   * holdWalUntilGate and checkpointed (z in the main file). Later a standby restores L and writes
   * REPLICATED toggles ending at V: L's tip content equals {@code after}. The primary's replicator starts:
   * restore latest must still hold the standby's last REPLICATED value, or the primary must be refused.
   */
  void toggleBackToTheBreaksContent(String prefix, boolean reopenWithoutHold) throws Exception {
    bucket(prefix, Duration.ofSeconds(2));
    Path primary = dir.resolve("primary");
    Path standby = dir.resolve("standby");
    Path marker = primary.resolve(".litevault/data/continuity-broken");
    long id;
    try (SqliteStore store = SqliteStore.builder(primary).database("data", firstOptions().build()).open();
        Replicator r = Replicator.start(store.database("data"), options)) {
      id = r.write(ReplicationTest.insert("toggle", X), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
    assertTrue(Files.exists(primary.resolve(".litevault/data/closed-at")), "closed-at written");
    String v = null;
    String text;
    SqliteStore store = SqliteStore.builder(primary).database("data", breakingOptions().build()).open();
    try {
      Database db = store.database("data");
      bucket.down(true);
      assertThrows(RuntimeException.class, () -> Replicator.start(db, options));
      for (int i = 0; i < 400 && v == null; i++) {
        String b = i % 2 == 0 ? Y : X;
        db.write(BucketWinsReviewTest.setBody(id, b)).get(20, TimeUnit.SECONDS); // LOCAL
        if (db.health().continuityBreaks() > 0) {
          v = b;
        }
      }
      assertNotNull(v, "the toggles went past the hard WAL limit");
      text = Files.readString(marker).strip();
      db.write(BucketWinsReviewTest.setBody(id, Z)).get(20, TimeUnit.SECONDS); // LOCAL, after the break
      if (reopenWithoutHold) {
        store.close();
        store = SqliteStore.builder(primary).database("data", DatabaseOptions.builder()
            .migration(1, "post", ReplicationTest.SCHEMA).build()).open();
        store.database("data").checkpoint(CheckpointMode.PASSIVE).get(20, TimeUnit.SECONDS);
      }
      bucket.down(false);
      // Later in time: a standby restores L and toggles the row, ending at V, REPLICATED.
      Files.createDirectories(standby);
      Restore.run(RestoreOptions.builder(real, prefix, standby.resolve("data.db")).build());
      try (SqliteStore s = SqliteStore.builder(standby).database("data", firstOptions().build()).open();
          Replicator r = Replicator.start(s.database("data"), options)) {
        r.write(BucketWinsReviewTest.setBody(id, Y), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        if (v.equals(X)) {
          r.write(BucketWinsReviewTest.setBody(id, X), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
      }
      String expected = v.equals(X) ? "<x*2000>" : "<y*2000>";
      assertTrue(Review14Test.toggleRow(restoreLatest(prefix, "standby-latest.db")).contains(expected));
      Thread.sleep(2500);
      Throwable failure = startAndWrite(store.database("data"));
      String latest = Review14Test.toggleRow(restoreLatest(prefix, "latest.db"));
      assertTrue(latest.contains(expected), "restore latest lost the standby's REPLICATED toggle to " + expected
          + " (made after the primary's LOCAL 'set body z'): toggle row " + latest + " (marker first line '"
          + text.lines().findFirst().orElse("") + "', after line '" + text.lines().filter(l -> l.startsWith("after"))
          .findFirst().orElse("") + "'; replication's answer: " + failure + ")");
    } finally {
      store.close();
    }
  }

  /** Same boot: the files' main file is the break's content V, z in the WAL. */
  @Test
  void aStandbysToggleBackToTheBreaksContentSameBoot() throws Exception {
    toggleBackToTheBreaksContent("s/data", false);
  }

  /** Reopened without holdWalUntilGate and checkpointed: z in the main file, V only in the record. */
  @Test
  void aStandbysToggleBackToTheBreaksContentAfterAReopen() throws Exception {
    toggleBackToTheBreaksContent("r/data", true);
  }
}
