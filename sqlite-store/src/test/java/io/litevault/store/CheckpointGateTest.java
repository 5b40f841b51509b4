package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointGateTest {
  @TempDir Path dir;

  private static final WalPosition NOTHING_SAFE = new WalPosition(0, 0, 0);

  /** Background checkpoints are asynchronous: wait (bounded) for a condition. */
  static void eventually(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within 10 s: " + what);
      }
      Thread.sleep(5);
    }
  }

  private static void writeRows(Database db, int from, int count) {
    for (int i = from; i < from + count; i++) {
      db.writeAndWait(Kv.insert(i, i));
    }
  }

  @Test
  void aGateHoldsCheckpointsBackUntilItReleasesTheWal() throws Exception {
    AtomicReference<WalPosition> safe = new AtomicReference<>(NOTHING_SAFE);
    List<CommitEvent> events = new CopyOnWriteArrayList<>();
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().passiveCheckpointPages(5).build()).open()) {
      Database db = store.database("data");
      db.addCheckpointGate(safe::get);
      db.addCommitListener(events::add);
      writeRows(db, 0, 30);
      assertEquals(0, db.health().checkpoints(), "held back by the gate");
      CommitEvent last = events.get(events.size() - 1);
      assertEquals(events.get(0).walEnd().salt1(), last.walEnd().salt1(), "no WAL restart while held");
      // The gate releases everything and asks the store to act.
      safe.set(last.walEnd());
      db.requestCheckpoint();
      eventually("a checkpoint ran", () -> db.health().checkpoints() >= 1);
      writeRows(db, 100, 1);
      CommitEvent next = events.get(events.size() - 1);
      assertFalse(next.walEnd().sameWal(last.walEnd()), "the WAL restarted only after the gate released it");
      assertEquals(0, db.health().continuityBreaks());
    }
  }

  @Test
  void pastTheHardLimitTheStoreCheckpointsAnywayAndSaysContinuityBroke() throws Exception {
    List<String> broken = new CopyOnWriteArrayList<>();
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options()
        .passiveCheckpointPages(1).restartWalBytes(64 * 1024).hardWalLimitBytes(128 * 1024).build()).open()) {
      Database db = store.database("data");
      db.addCheckpointGate(() -> NOTHING_SAFE); // say, the bucket is down for good
      db.addCommitListener(new CommitListener() {
        @Override
        public void onCommit(CommitEvent event) {}

        @Override
        public void onContinuityBroken(String database, WalPosition lostFrom, WalPosition walEnd) {
          broken.add(database + ":" + walEnd.offset());
        }
      });
      writeRows(db, 0, 60); // each commit writes >= 1 page + header: past 128 KiB
      assertFalse(broken.isEmpty(), "the listener was told");
      assertTrue(db.health().checkpoints() >= 1);
      assertTrue(db.health().continuityBreaks() >= 1);
      assertTrue(Files.size(db.path().resolveSibling("data.db-wal")) <= 256 * 1024, "the WAL stays bounded");
      assertEquals(60, db.read(Kv::count), "no data lost locally");
    }
  }

  @Test
  void withoutGatesCheckpointsRunInTheBackgroundAndRestartBoundsTheWal() throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options()
        .passiveCheckpointPages(10).restartWalBytes(64 * 1024).build()).open()) {
      Database db = store.database("data");
      writeRows(db, 0, 200);
      eventually("checkpoints ran", () -> db.health().checkpoints() >= 2);
      // Background PASSIVE checkpoints rarely finish before the next write, so the WAL restarts mostly
      // through RESTART, on the writer thread, once it passes restartWalBytes: the file stops growing.
      assertTrue(Files.size(db.path().resolveSibling("data.db-wal")) < 64 * 1024 + 4 * (4096 + 24),
          "the WAL is bounded by restartWalBytes");
      assertEquals(200, db.read(Kv::count));
    }
  }

  @Test
  void closeRunsAFinalTruncateWhenTheGateAllowsAndKeepsTheWalWhenItDoesNot() throws Exception {
    Path wal = dir.resolve("data.db-wal");
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      writeRows(store.database("data"), 0, 10);
    }
    assertTrue(!Files.exists(wal) || Files.size(wal) == 0, "checkpointed on close");
    long held;
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      db.addCheckpointGate(() -> NOTHING_SAFE);
      writeRows(db, 10, 10);
      held = Files.size(wal);
    }
    assertTrue(Files.exists(wal) && Files.size(wal) >= held && held > 0, "unshipped frames survive close");
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      assertEquals(20, store.database("data").read(Kv::count));
    }
  }

  /** Regression: maintenance used to wait its whole gateWait, then overrule the gate (a new lineage). */
  @Test
  void maintenanceSkipsTheCheckpointRatherThanOverruleAGateThatCannotShip() throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      db.addCheckpointGate(() -> NOTHING_SAFE); // declines awaitSafe, like a replicator whose bucket is down
      writeRows(db, 0, 10);
      long walBefore = Files.size(dir.resolve("data.db-wal"));
      MaintenanceReport report = store.maintenance(MaintenancePlan.builder().vacuum(true)
          .gateWait(java.time.Duration.ofMinutes(10)).build());
      assertTrue(report.succeeded(), report.toString());
      assertTrue(report.steps().get(0).detail().startsWith("skipped"), report.steps().get(0).toString());
      assertEquals(0, db.health().continuityBreaks(), "the gate was not overruled");
      assertTrue(Files.size(dir.resolve("data.db-wal")) >= walBefore, "the unshipped frames are still in the WAL");
      assertEquals(10, db.read(Kv::count));
    }
  }

  @Test
  void maintenanceAsksAGateToCatchUpAndThenTruncates() throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      AtomicReference<WalPosition> safe = new AtomicReference<>(NOTHING_SAFE);
      List<WalPosition> asked = new CopyOnWriteArrayList<>();
      db.addCheckpointGate(new CheckpointGate() {
        @Override
        public WalPosition safePosition() {
          return safe.get();
        }

        @Override
        public boolean awaitSafe(WalPosition end, java.time.Duration timeout) {
          asked.add(end);
          safe.set(end); // "shipped"
          return true;
        }
      });
      writeRows(db, 0, 10);
      MaintenanceReport report = store.maintenance(MaintenancePlan.defaults());
      assertEquals(1, asked.size(), "asked once, for the WAL end");
      assertTrue(report.steps().get(0).detail().contains("TRUNCATE"), report.steps().get(0).toString());
      assertEquals(0, Files.size(dir.resolve("data.db-wal")), "truncated");
      assertEquals(0, db.health().continuityBreaks());
    }
  }
}
