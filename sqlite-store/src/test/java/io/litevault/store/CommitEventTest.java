package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commit SPI's WAL ranges agree with the -wal file itself (read as the file format says). */
class CommitEventTest {
  @TempDir Path dir;

  /** WAL header salts at offsets 16 and 20, big-endian: https://www.sqlite.org/fileformat2.html#walformat */
  private static long[] walSalts(Path wal) throws IOException {
    try (FileChannel ch = FileChannel.open(wal)) {
      ByteBuffer b = ByteBuffer.allocate(32);
      ch.read(b, 0);
      return new long[] {Integer.toUnsignedLong(b.getInt(16)), Integer.toUnsignedLong(b.getInt(20))};
    }
  }

  /** The frame header's "size of the database after commit" (offset 4): non-zero only on commit frames. */
  private static int commitSize(Path wal, long frameOffset) throws IOException {
    try (FileChannel ch = FileChannel.open(wal)) {
      ByteBuffer b = ByteBuffer.allocate(24);
      ch.read(b, frameOffset);
      return b.getInt(4);
    }
  }

  @Test
  void eventsAreContiguousAndEndOnACommitFrameOfTheCurrentWal() throws Exception {
    List<CommitEvent> events = new CopyOnWriteArrayList<>();
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      db.addCommitListener(events::add);
      for (int i = 0; i < 20; i++) {
        db.writeAndWait(Kv.insert(i, i));
      }
      Path wal = db.path().resolveSibling("data.db-wal");
      long[] salts = walSalts(wal);
      assertEquals(20, events.size());
      for (int i = 0; i < events.size(); i++) {
        CommitEvent e = events.get(i);
        assertEquals(i + 1, e.txid(), "txids count up from 1");
        assertEquals(salts[0], e.walEnd().salt1());
        assertEquals(salts[1], e.walEnd().salt2());
        assertEquals(4096, e.pageSize());
        assertEquals(List.of("kv"), List.copyOf(e.tables()));
        assertTrue(e.walBytes() > 0 && e.walBytes() % (24 + 4096) == 0, e.toString());
        long lastFrame = e.walEnd().offset() - (24 + 4096);
        assertTrue(commitSize(wal, lastFrame) > 0, "the range ends with a commit frame: " + e);
        if (i > 0) {
          assertEquals(events.get(i - 1).walEnd(), e.walStart(), "ranges are contiguous");
        }
      }
      assertEquals(20, db.lastTxid());
    }
  }

  @Test
  void aWalRestartedAfterACheckpointStartsANewRangeWithNewSalts() throws Exception {
    List<CommitEvent> events = new CopyOnWriteArrayList<>();
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      db.addCommitListener(events::add);
      db.writeAndWait(Kv.insert(1, 1));
      CheckpointResult r = db.checkpoint(CheckpointMode.TRUNCATE).get();
      assertTrue(r.ran() && r.complete(), r.toString());
      db.writeAndWait(Kv.insert(2, 2));
      assertEquals(2, events.size());
      CommitEvent before = events.get(0);
      CommitEvent after = events.get(1);
      assertFalse(after.walEnd().sameWal(before.walEnd()), "new WAL incarnation");
      assertEquals(WalPosition.WAL_HEADER_BYTES, after.walStart().offset());
      assertEquals(before.walEnd().salt1() + 1, after.walEnd().salt1(), "SQLite increments salt-1");
    }
  }

  @Test
  void aListenerThatThrowsDoesNotFailTheWriteAndIsReported() throws Exception {
    List<String> reported = new CopyOnWriteArrayList<>();
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options()
        .errorHandler((db, where, e) -> reported.add(db + "/" + where + "/" + e.getMessage())).build()).open()) {
      Database db = store.database("data");
      db.addCommitListener(e -> {
        throw new IllegalStateException("listener bug");
      });
      db.writeAndWait(Kv.insert(1, 1));
      assertEquals(List.of("data/commit listener/listener bug"), reported);
      assertEquals(1, db.read(Kv::count));
      assertEquals(1, db.health().writerErrors());
    }
  }
}
