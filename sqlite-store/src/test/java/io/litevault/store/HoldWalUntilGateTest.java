package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** holdWalUntilGate: no checkpoint runs until the first gate is added; from then on the gates decide. */
class HoldWalUntilGateTest {
  @TempDir Path dir;

  private SqliteStore open(boolean hold) {
    return SqliteStore.builder(dir).database("data", DatabaseOptions.builder().holdWalUntilGate(hold)
        .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build()).open();
  }

  private static void insert(Database db) throws Exception {
    db.writeAndWait(c -> c.createStatement().executeUpdate("INSERT INTO t(v) VALUES ('x')"));
  }

  @Test
  void checkpointsWaitForTheFirstGateThenFollowIt() throws Exception {
    try (SqliteStore store = open(true)) {
      Database db = store.database("data");
      insert(db);
      CheckpointResult held = db.checkpoint(CheckpointMode.TRUNCATE).get();
      assertFalse(held.ran(), "held before any gate: " + held);
      CheckpointGate replicator = () -> new WalPosition(0, 0, 0); // holds everything, like a starting replicator
      db.addCheckpointGate(replicator);
      assertFalse(db.checkpoint(CheckpointMode.TRUNCATE).get().ran(), "held by the gate");
      db.removeCheckpointGate(replicator);
      insert(db);
      CheckpointResult free = db.checkpoint(CheckpointMode.TRUNCATE).get();
      assertTrue(free.complete(), "the hold went with the first gate: " + free);
    }
  }

  @Test
  void withoutTheOptionCheckpointsRunWithNoGate() throws Exception {
    try (SqliteStore store = open(false)) {
      Database db = store.database("data");
      insert(db);
      CheckpointResult r = db.checkpoint(CheckpointMode.TRUNCATE).get();
      assertTrue(r.complete(), r.toString());
    }
  }
}
