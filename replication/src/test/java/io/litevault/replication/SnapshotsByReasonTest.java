package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

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
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots by reason: a snapshot once what a restore of latest reads beyond the last one (the chain of
 * compacted ranges) reaches a fraction of the database, at most every minSnapshotSpacing; none for a
 * chain that stays small; none when turned off. Simulated time (an injectable clock), a real database
 * and a file bucket; every sampled txid and latest still restore.
 */
class SnapshotsByReasonTest {
  @TempDir Path dir;

  /** Rows of the table the writes update; 100 rows of 2,000 bytes are about 60 pages. */
  private static final int ROWS = 100;

  private record Run(List<Long> snapshotMillis, long snapshots) {}

  /**
   * 240 REPLICATED updates, 10 simulated seconds apart (40 minutes); update {@code i} rewrites row
   * {@code rowOf(i)}. Returns the clock times of the snapshots after the first, and checks restores.
   */
  private Run run(String name, java.util.function.LongUnaryOperator rowOf, UnaryOperator<ReplicatorOptions.Builder> options)
      throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve(name + "-bucket")));
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    List<Long> snapshots = new ArrayList<>();
    TreeMap<Long, String> samples = new TreeMap<>();
    try (SqliteStore store = SqliteStore.builder(dir.resolve(name)).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB NOT NULL)").build()).open()) {
      Database db = store.database("data");
      db.writeAndWait(c -> {
        try (var s = c.createStatement()) {
          return s.executeUpdate("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + ROWS
              + ") INSERT INTO t(id, body) SELECT i, randomblob(2000) FROM n");
        }
      });
      try (Replicator r = Replicator.start(db, options.apply(ReplicatorOptions.builder(bucket, "s/data").clock(clock)
          .minUploadInterval(Duration.ZERO)).build())) {
        long seen = 0;
        for (int i = 0; i < 240; i++) {
          clock.advance(Duration.ofSeconds(10));
          long row = 1 + rowOf.applyAsLong(i);
          r.write(c -> {
            try (var ps = c.prepareStatement("UPDATE t SET body = randomblob(2000) WHERE id = ?")) {
              ps.setLong(1, row);
              return ps.executeUpdate();
            }
          }, Durability.REPLICATED).get();
          if (r.metrics().snapshotsUploaded() > seen + 1) {
            seen = r.metrics().snapshotsUploaded() - 1;
            snapshots.add(r.metrics().lastSnapshotMillis());
          }
          if (i % 20 == 0) {
            samples.put(r.positionOf(db.lastTxid()).orElseThrow().txid(), db.read(Dumps::dump));
          }
        }
        String last = db.read(Dumps::dump);
        Path out = dir.resolve(name + "-latest.db");
        Restore.run(RestoreOptions.builder(bucket, "s/data", out).build());
        assertEquals(last, Dumps.dump(out), "restore latest");
        assertEquals("ok", Dumps.integrity(out));
        for (var e : samples.entrySet()) {
          Path at = dir.resolve(name + "-at-" + e.getKey() + ".db");
          Restore.run(RestoreOptions.builder(bucket, "s/data", at).txid(e.getKey()).build());
          assertEquals(e.getValue(), Dumps.dump(at), "restore at txid " + e.getKey());
        }
        return new Run(snapshots, r.metrics().snapshotsUploaded());
      }
    }
  }

  @Test
  void aDatabaseRewrittenFasterThanTheIntervalGetsSnapshotsSpacedByTheMinimum() throws Exception {
    Run run = run("rewritten", i -> i % ROWS, b -> b);
    // 40 minutes, the whole table rewritten every 1,000 s: the chain reaches half the database after about
    // 8 minutes, so a snapshot comes every 10 minutes (the spacing), not every 8, and not once a day.
    assertTrue(run.snapshots() >= 4 && run.snapshots() <= 5, "snapshots: " + run);
    System.out.println("snapshots by reason: " + run);
    long previous = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();
    for (long at : run.snapshotMillis()) {
      assertTrue(at - previous >= ReplicatorOptions.DEFAULT_MIN_SNAPSHOT_SPACING.toMillis(),
          "snapshots at least the spacing apart: " + run);
      previous = at;
    }
  }

  @Test
  void aChainThatStaysSmallTakesNoSnapshotBeforeTheInterval() throws Exception {
    Run run = run("hot-rows", i -> i % 5, b -> b); // 5 rows of 100: the chain stays near 5% of the database
    assertEquals(1, run.snapshots(), "only the lineage's first snapshot: " + run);
  }

  @Test
  void aFractionOfZeroTurnsSnapshotsByReasonOff() throws Exception {
    Run run = run("off", i -> i % ROWS, b -> b.snapshotChainFraction(0));
    assertEquals(1, run.snapshots(), "only the lineage's first snapshot: " + run);
  }

  @Test
  void badValuesAreRejectedNamingThem() {
    var b = ReplicatorOptions.builder(FileSystemObjectStore.create(dir), "x/data");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.snapshotChainFraction(-0.1));
    assertTrue(e.getMessage().contains("snapshotChainFraction") && e.getMessage().contains("-0.1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.snapshotChainFraction(Double.NaN));
    e = assertThrows(IllegalArgumentException.class, () -> b.minSnapshotSpacing(Duration.ofSeconds(-1)));
    assertTrue(e.getMessage().contains("minSnapshotSpacing"), e.getMessage());
  }
}
