package io.litevault.replication;

import io.litevault.replication.format.DatabaseChecksum;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.CommitEvent;
import io.litevault.store.CommitListener;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.ReplicationPort;
import io.litevault.store.SqliteStore;
import io.litevault.store.WalPosition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WalStates computes, in one pass, the checksum PageReader reads at every commit boundary: for random
 * workloads (inserts, updates, deletes that free pages, VACUUMs that shrink the file in the WAL, growth
 * again after a shrink) on a real database whose WAL keeps every commit. Seeded: a failure names its seed.
 */
class WalStatesTest {
  @TempDir Path dir;

  @Test
  void everyCommitBoundaryOfARandomWalMatchesPageReader() throws Exception {
    long base = new Random().nextLong();
    for (int run = 0; run < 4; run++) {
      check(base + run);
    }
  }

  private void check(long seed) throws Exception {
    Random random = new Random(seed);
    List<WalPosition> ends = new ArrayList<>();
    Path home = java.nio.file.Files.createDirectories(dir.resolve("s" + seed));
    // auto_vacuum=FULL (set before the first table: it cannot be changed later): deletes shrink the file at
    // their commit, so sizes go down and up within one WAL.
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + home.resolve("data.db"));
        var s = c.createStatement()) {
      s.execute("PRAGMA auto_vacuum = FULL");
      s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    }
    try (SqliteStore store = SqliteStore.builder(home).database("data", DatabaseOptions.builder()
        .holdWalUntilGate(true).build()).open()) {
      Database db = store.database("data");
      ReplicationPort port = ReplicationPort.of(db);
      port.addCommitListener(new CommitListener() {
        @Override
        public void onCommit(CommitEvent e) {
          ends.add(e.walEnd());
        }
      });
      for (int i = 0; i < 60; i++) {
        int op = random.nextInt(10);
        String sql = op < 5 ? "INSERT INTO t(b) SELECT randomblob(" + (100 + random.nextInt(6000)) + ") FROM (SELECT 1 UNION ALL SELECT 2)"
            : op < 7 ? "UPDATE t SET b = randomblob(300) WHERE id % 3 = " + random.nextInt(3)
            : "DELETE FROM t WHERE id % 2 = " + random.nextInt(2);
        db.writeAndWait(c -> {
          try (var s = c.createStatement()) {
            return s.executeUpdate(sql);
          }
        });
      }
      List<DatabaseChecksum> expected = new ArrayList<>();
      List<DatabaseChecksum> actual = port.atCommitBoundary(end -> call(() -> {
        expected.add(PageReader.at(port.files(), Shipper.NOTHING).checksum());
        for (WalPosition p : ends) {
          if (p.sameWal(end)) {
            DatabaseChecksum c = PageReader.at(port.files(), p).checksum();
            DatabaseChecksum last = expected.get(expected.size() - 1);
            if (last.value() != c.value() || last.pages() != c.pages()) {
              expected.add(c);
            }
          }
        }
        return WalStates.upTo(port.files(), end, 10_000);
      })).get();
      assertTrue(expected.size() > 20, "seed " + seed + ": commits in one WAL: " + expected.size());
      boolean shrank = false;
      for (int i = 1; i < expected.size(); i++) {
        shrank |= expected.get(i).pages() < expected.get(i - 1).pages();
      }
      assertTrue(shrank, "seed " + seed + ": the database shrank within the WAL");
      assertEquals(summaries(expected), summaries(actual), "seed " + seed);
      List<DatabaseChecksum> newest = port.atCommitBoundary(end -> call(
          () -> WalStates.upTo(port.files(), end, 5))).get();
      assertEquals(summaries(expected.subList(expected.size() - 5, expected.size())), summaries(newest),
          "seed " + seed + ": the newest 5");
    }
  }

  private static <T> T call(java.util.concurrent.Callable<T> body) {
    try {
      return body.call();
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private static List<String> summaries(List<DatabaseChecksum> states) {
    List<String> out = new ArrayList<>();
    for (DatabaseChecksum c : states) {
      out.add(c.value() + "/" + c.pages());
    }
    return out;
  }
}
