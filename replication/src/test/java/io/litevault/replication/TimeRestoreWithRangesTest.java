package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores to a time use the compacted ranges (a range applies whole only if none of its transactions
 * committed after the time) and give exactly what the segments alone give: the state before the first
 * commit after the time. The clock steps back twice during the history, so commit times are not in txid
 * order. The second step comes 20 writes before the close, which uploads the open ranges as they are: their
 * last commit time is then before their latest, the case where "last at or before the time" would wrongly
 * apply a range whole (the times just after the last commit test it). Oracles: the restore of the same time from the segments alone
 * (the path every earlier test checks), and, for times before the first step back, the dump the test took
 * after each commit.
 */
class TimeRestoreWithRangesTest {
  @TempDir Path dir;

  private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
  private static final int WRITES = 1_200;
  /** Where the clock steps back: 75 s in the middle, 60 s near the end (20 writes before the close). */
  private static final int FIRST_STEP_BACK = 400;
  private static final int SECOND_STEP_BACK = WRITES - 20;

  @Test
  void aTimeRestoreReadsFewObjectsAndEqualsTheSegmentsAloneEvenWhenTheClockStepsBack() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    MutableClock clock = new MutableClock(START);
    List<Instant> commitTimes = new ArrayList<>();
    List<String> dumps = new ArrayList<>();
    int writes = WRITES;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("store")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "r/data").clock(clock)
          .snapshotInterval(Duration.ofDays(2)).snapshotChainFraction(0).minUploadInterval(Duration.ZERO)
          .compactionWindows(CompactionLevels.DEFAULT).workDirectory(dir.resolve("work")).build())) {
        for (int i = 0; i < writes; i++) {
          if (i == FIRST_STEP_BACK) {
            clock.advance(Duration.ofSeconds(-75));
          } else if (i == SECOND_STEP_BACK) {
            clock.advance(Duration.ofSeconds(-60));
          }
          int id = i;
          r.write(c -> {
            try (var s = c.createStatement()) {
              s.executeUpdate("INSERT INTO post(author, body) VALUES ('a', 'row " + id + "')");
              if (id % 4 == 0) {
                s.executeUpdate("DELETE FROM post WHERE id = " + (1 + id / 2));
              }
            }
            return null;
          }, Durability.REPLICATED).get();
          commitTimes.add(clock.instant());
          dumps.add(id < FIRST_STEP_BACK ? db.read(Dumps::dump) : null);
          clock.advance(Duration.ofSeconds(1));
        }
      }
    }
    Random random = new Random(7);
    List<Instant> times = new ArrayList<>();
    for (int k = 0; k < 40; k++) {
      times.add(START.plusMillis(1_000 + random.nextInt(1_000 * (writes + 10))));
    }
    // Around the steps back: the commits before and after each, and the times between.
    for (int i : new int[] {FIRST_STEP_BACK, SECOND_STEP_BACK}) {
      times.add(commitTimes.get(i - 1));
      times.add(commitTimes.get(i));
      times.add(commitTimes.get(i).plusMillis(500));
      times.add(commitTimes.get(i - 1).minusMillis(500));
    }
    times.add(commitTimes.get(writes - 1).plusMillis(500));
    times.add(commitTimes.get(writes - 1).plusMillis(30_500));
    long objectsWith = 0;
    long objectsWithout = 0;
    for (Instant t : times) {
      Path withRanges = dir.resolve("with.db");
      Path without = dir.resolve("without.db");
      RestoreResult a = Restore.run(RestoreOptions.builder(bucket, "r/data", withRanges).timestamp(t).force(true).build());
      RestoreResult b = Restore.run(RestoreOptions.builder(bucket, "r/data", without).timestamp(t).force(true)
          .compactedRanges(false).build());
      assertEquals(b.txid(), a.txid(), "txid restored for " + t);
      assertEquals(Dumps.dump(without), Dumps.dump(withRanges), "restore to " + t);
      int before = firstAfter(commitTimes, t);
      if (before < FIRST_STEP_BACK && before > 0) {
        assertEquals(dumps.get(before - 1), Dumps.dump(withRanges), "restore to " + t + ", before any step back");
      }
      objectsWith += a.objects();
      objectsWithout += b.objects();
      // After a step back the finer windows stay open until the clock passes them again (a transaction
      // never goes to an earlier window than the one before it): around the steps, ranges hold more and
      // the finer objects over a range the time cuts are more.
      boolean nearAStepBack = before > FIRST_STEP_BACK - 100 && before < FIRST_STEP_BACK + 100
          || before > SECOND_STEP_BACK - 100;
      assertTrue(a.objects() <= (nearAStepBack ? 150 : 40), t + " (before write " + before + ") restored from "
          + a.objects() + " objects");
    }
    System.out.printf("time restores: %d objects with ranges, %d from the segments alone, over %d times%n",
        objectsWith, objectsWithout, times.size());
    assertTrue(objectsWith * 5 < objectsWithout, objectsWith + " objects with ranges, " + objectsWithout + " without");
  }

  /** The index of the first commit after {@code t} in commit order (the restore stops before it). */
  private static int firstAfter(List<Instant> commitTimes, Instant t) {
    for (int i = 0; i < commitTimes.size(); i++) {
      if (commitTimes.get(i).isAfter(t)) {
        return i;
      }
    }
    return commitTimes.size();
  }
}
