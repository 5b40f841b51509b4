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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Hostile review of 523324a (the sixth): uploads in flight at a break. */
class Review12Test extends BucketWinsScenarios {

  /**
   * The pending line covers only a NEW lineage's snapshot in flight at a break; a SEGMENT of the held
   * lineage in flight is not covered. A process holds L (s0..s9 REPLICATED, tip txid T). A REPLICATED
   * write s10 is cut into segment T+1 and, while its PUT is on the wire (a slow bucket), the service's
   * LOCAL writes push the store past its hard WAL limit: the marker says "L T, after A" (reached is still
   * T). The PUT is stored (its answer lost, or simply answered: the shipper never rewrites the record),
   * and the bucket goes down before a new lineage lands; the process stops. The next boot, bucket up,
   * trusts the marker (A is its main file), but L's tip is T+1 > T, so the excuse is dropped and A (past
   * the tip) matches no point: files that left L only by the store's own forced checkpoint, and that hold
   * everything L has, are refused.
   */
  @Test
  void aSegmentInFlightAtABreakMovesTheTipPastTheRecordedTxid() throws Exception {
    bucket("a/data", Duration.ofSeconds(2));
    Path live = dir.resolve("live");
    AtomicBoolean hooked = new AtomicBoolean();
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options)) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
        long breaks = db.health().continuityBreaks();
        bucket.beforePut(".lvsg", key -> io.litevault.testing.Unchecked.run(() -> {
          for (int i = 0; i < 2000 && db.health().continuityBreaks() == breaks; i++) {
            db.write(ReplicationTest.insert("outage", "y".repeat(1500))).get(); // forced checkpoint meanwhile
          }
          hooked.set(db.health().continuityBreaks() > breaks);
          bucket.failAfterPut(1, ErrorKind.CONNECTION); // this PUT is stored, its answer lost
          bucket.down(true); // and the bucket goes down
        }));
        CompletableFuture<?> s10 = r.write(ReplicationTest.insert("shipped", "s10"), Durability.REPLICATED);
        for (int i = 0; i < 200 && !hooked.get(); i++) {
          Thread.sleep(50);
        }
        Thread.sleep(500);
        assertFalse(s10.isDone() && !s10.isCompletedExceptionally(), "s10 was not acknowledged");
      }
    }
    assertTrue(hooked.get(), "the break ran during the segment upload");
    String text = Files.readString(live.resolve(".litevault/data/continuity-broken")).strip();
    bucket.down(false);
    Thread.sleep(2500);
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      Throwable failure = startAndWrite(db);
      assertNull(failure, "the files left L only by the store's forced checkpoint, holding all L has (marker '"
          + text.replace('\n', '|') + "'; tip " + LineageCatalog.newestTip(real, new BucketLayout("a/data")) + ")");
      assertEquals(db.read(Dumps::dump), restoreLatest("a/data", "latest.db"), "restore latest is the live database");
    }
  }

  /**
   * The record keeps ONE pending lineage: a third break overwrites the second's pending line with the
   * next attempt's. A process holds L (s0..s9); the bucket goes down and the store is forced past the
   * hard WAL limit (marker "L 10"). The bucket comes back; while L2's snapshot PUT is on the wire a second
   * break records "pending L2 1"; the PUT is stored but its answer lost. The retry finds the break,
   * discards L2 and reads L3; while L3's PUT is on the wire a third break writes "pending L3 1" over
   * "pending L2 1", and the bucket goes down (L3 never lands). The next boot, bucket up: the tip is L2 at
   * txid 1 (only a snapshot the files passed through), which the record no longer names: refused.
   */
  @Test
  void aThirdBreakOverwritesTheLandedPendingLineage() throws Exception {
    bucket("p/data", Duration.ofSeconds(2));
    Path live = dir.resolve("live");
    AtomicBoolean second = new AtomicBoolean();
    AtomicBoolean third = new AtomicBoolean();
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, options)) {
        for (int i = 0; i < 10; i++) {
          r.write(ReplicationTest.insert("shipped", "s" + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        }
        bucket.down(true);
        Review5Test.writePastTheHardLimit(db); // marker: L
        bucket.beforePut("snapshots/0000000000000001.lvsn", key -> io.litevault.testing.Unchecked.run(() -> {
          long breaks = db.health().continuityBreaks();
          for (int i = 0; i < 2000 && db.health().continuityBreaks() == breaks; i++) {
            db.write(ReplicationTest.insert("outage", "y".repeat(1500))).get(); // second break: pending L2
          }
          second.set(db.health().continuityBreaks() > breaks);
          bucket.beforePut("snapshots/0000000000000001.lvsn", key3 -> {
          io.litevault.testing.Unchecked.run(() -> {
            long breaks3 = db.health().continuityBreaks();
            for (int i = 0; i < 2000 && db.health().continuityBreaks() == breaks3; i++) {
              db.write(ReplicationTest.insert("outage", "x".repeat(1500))).get(); // third break: pending L3
            }
            third.set(db.health().continuityBreaks() > breaks3 && !key3.equals(key));
            bucket.down(true);
          });
          throw new io.litevault.bucket.ObjectStoreException(ErrorKind.CONNECTION, "put", key3,
              "put " + key3 + ": the bucket went down (injected)", null); // L3 never lands
          });
          bucket.failAfterPut(1, ErrorKind.CONNECTION); // L2 is stored, its answer lost
        }));
        bucket.down(false);
        for (int i = 0; i < 300 && !third.get(); i++) {
          Thread.sleep(50);
        }
        Thread.sleep(500);
      }
    }
    assertTrue(second.get() && third.get(), "the second and third breaks ran during L2's and L3's uploads");
    String text = Files.readString(live.resolve(".litevault/data/continuity-broken")).strip();
    bucket.down(false);
    Thread.sleep(2500);
    try (SqliteStore store = SqliteStore.builder(live).database("data", breakingOptions().build()).open()) {
      Database db = store.database("data");
      Throwable failure = startAndWrite(db);
      assertNull(failure, "the files left L, L2 and L3 only by the store's forced checkpoints (marker '"
          + text.replace('\n', '|') + "'; lineages in the bucket: "
          + LineageCatalog.list(real, new BucketLayout("p/data")).keySet() + ")");
      assertEquals(db.read(Dumps::dump), restoreLatest("p/data", "latest.db"), "restore latest is the live database");
    }
  }
}
