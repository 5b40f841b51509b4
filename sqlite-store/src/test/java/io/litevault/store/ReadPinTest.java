package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a {@link ReadPin} promises, checked against SQLite itself: the files hold the pinned state while
 * writes and checkpoints go on.
 */
class ReadPinTest {
  @TempDir Path dir;

  SqliteStore open() {
    return SqliteStore.builder(dir).database("data", DatabaseOptions.builder()
        .passiveCheckpointPages(1_000_000).idleCheckpointAfter(java.time.Duration.ZERO)
        .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build()).open();
  }

  static void insert(Database db, int rows) {
    db.writeAndWait(c -> {
      try (var ps = c.prepareStatement("INSERT INTO t(v) VALUES (?)")) {
        for (int i = 0; i < rows; i++) {
          ps.setString(1, "row " + i + " " + "x".repeat(200));
          ps.executeUpdate();
        }
      }
      return null;
    });
  }

  @Test
  void aPinOnAFullyCopiedWalKeepsTheMainFileWhileTheWalRestartsUnderIt() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      insert(db, 500);
      assertTrue(db.checkpoint(CheckpointMode.PASSIVE).get().complete());
      byte[] before = Files.readAllBytes(db.path());
      try (ReadPin pin = db.pin().get()) {
        assertTrue(pin.mainFileComplete(), pin.toString());
        insert(db, 500); // restarts the WAL: the pin ignores it
        long salt = db.files().size(DatabaseFiles.Kind.WAL);
        assertTrue(salt > 0);
        CheckpointResult r = db.checkpoint(CheckpointMode.PASSIVE).get();
        assertEquals(0, r.checkpointedFrames(), "no checkpoint copies a frame under the pin: " + r);
        assertArrayEquals(before, Files.readAllBytes(db.path()), "the main file is the pinned state");
      }
      assertTrue(db.checkpoint(CheckpointMode.PASSIVE).get().checkpointedFrames() > 0, "released");
    }
  }

  @Test
  void aPinOnUncopiedFramesKeepsThemInPlaceAndCheckpointsStopAtIt() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      insert(db, 300);
      try (ReadPin pin = db.pin().get()) {
        assertFalse(pin.mainFileComplete());
        long end = pin.position().offset();
        byte[] frames = Arrays.copyOf(Files.readAllBytes(db.files().walFile()), (int) end);
        insert(db, 300);
        CheckpointResult passive = db.checkpoint(CheckpointMode.PASSIVE).get();
        int pinnedFrames = (int) ((end - WalPosition.WAL_HEADER_BYTES) / (WalPosition.FRAME_HEADER_BYTES + 4096));
        assertEquals(pinnedFrames, passive.checkpointedFrames(), "copied up to the pin, not past it: " + passive);
        assertFalse(db.checkpoint(CheckpointMode.RESTART).get().complete(), "no restart under a reader");
        insert(db, 300);
        assertArrayEquals(frames, Arrays.copyOf(Files.readAllBytes(db.files().walFile()), (int) end),
            "the frames up to the pin were not overwritten");
      }
    }
  }

  @Test
  void aPinAfterCloseFails() {
    SqliteStore store = open();
    Database db = store.database("data");
    store.close();
    assertThrows(Exception.class, () -> db.pin().get());
  }
}
