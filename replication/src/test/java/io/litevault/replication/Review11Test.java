package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ErrorKind;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Hostile review of 1f56df6 (the fifth): the relabel path and lost answers. */
class Review11Test extends BucketWinsScenarios {

  /**
   * The relabel only runs once the new lineage's snapshot PUT has answered; a PUT can store the object
   * and lose its answer (ARCHITECTURE: "A PUT can succeed while its answer is lost"). A process holds L
   * (s0..s9); the bucket goes down and the store is forced past the hard WAL limit (marker "L 10"). The
   * bucket comes back, the shipper reads the snapshot of L2 and, while its PUT is on the wire, the store is
   * forced past the limit again (marker "L 10, after A2"). The PUT stores L2's snapshot but its answer is
   * lost, and the bucket goes down again: the retry finds the break, discards the snapshot, and the process
   * stops without learning that L2 landed, so the marker is never relabelled to L2. The next boot, bucket
   * up, trusts the marker (A2 is its main file) but it names L while the tip is L2, and A2 is no point of
   * L2: files that left L2 only by the store's own forced checkpoint are refused.
   */
  @Test
  void aLostAnswerForTheNewLineagesSnapshotLeavesTheMarkerOnTheOldLineage() throws Exception {
    bucket("a/data", Duration.ofSeconds(2));
    Path live = dir.resolve("live");
    AtomicBoolean hooked = new AtomicBoolean();
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open()) {
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
          bucket.failAfterPut(1, ErrorKind.CONNECTION); // this PUT is stored, its answer lost
          bucket.down(true); // and the bucket goes down again
        }));
        bucket.down(false);
        for (int i = 0; i < 200 && !hooked.get(); i++) {
          Thread.sleep(50);
        }
        Thread.sleep(500);
      }
    }
    assertTrue(hooked.get(), "the second break ran during the new lineage's snapshot upload");
    String text = Files.readString(live.resolve(".litevault/data/continuity-broken")).strip();
    bucket.down(false);
    Thread.sleep(2500);
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      Throwable failure = startAndWrite(db);
      assertNull(failure, "the files left L, then L2, only by the store's forced checkpoints (marker '" + text
          + "'; lineages in the bucket: " + LineageCatalog.list(real, new BucketLayout("a/data")).keySet() + ")");
      assertEquals(db.read(Dumps::dump), restoreLatest("a/data", "latest.db"), "restore latest is the live database");
    }
  }
}
