package io.litevault.store;

import static io.litevault.store.TestWrites.blockWriter;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class WriterTest {
  @TempDir Path dir;

  private SqliteStore open(DatabaseOptions options) {
    return SqliteStore.builder(dir).database("data", options).open();
  }

  private static Throwable failureOf(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return e.getCause();
  }


  @ParameterizedTest
  @EnumSource(TaskIsolation.class)
  void aFailingTaskFailsOnlyItsOwnFutureAndTheRestOfTheBatchCommits(TaskIsolation isolation) throws Exception {
    try (SqliteStore store = open(Kv.options().isolation(isolation).build())) {
      Database db = store.database("data");
      db.writeAndWait(Kv.insert(1, 1));
      CountDownLatch release = blockWriter(db);
      List<CompletableFuture<Void>> ok = new ArrayList<>();
      for (int i = 10; i < 20; i++) {
        ok.add(db.write(Kv.insert(i, i)));
      }
      CompletableFuture<Void> duplicate = db.write(Kv.insert(1, 99)); // PRIMARY KEY violation
      CompletableFuture<Void> throwing = db.write(c -> {
        Kv.insert(500, 5).execute(c); // its own change must roll back with it
        throw new IllegalStateException("boom");
      });
      for (int i = 20; i < 30; i++) {
        ok.add(db.write(Kv.insert(i, i)));
      }
      release.countDown();
      for (CompletableFuture<Void> f : ok) {
        f.get(10, TimeUnit.SECONDS);
      }
      Throwable dup = failureOf(duplicate);
      assertInstanceOf(WriteFailedException.class, dup);
      assertEquals(1555, ((WriteFailedException) dup).sqliteResultCode(), "SQLITE_CONSTRAINT_PRIMARYKEY");
      assertEquals("data", ((StoreException) dup).database());
      Throwable boom = failureOf(throwing);
      assertInstanceOf(WriteFailedException.class, boom);
      assertInstanceOf(IllegalStateException.class, boom.getCause());
      assertEquals(21, db.read(Kv::count));
      assertNull(db.read(c -> Kv.get(c, 500)), "the failing task's own insert was rolled back");
      assertEquals(Long.valueOf(1), db.read(c -> Kv.get(c, 1)));
    }
  }

  /**
   * A batch of one task runs without a SAVEPOINT (the transaction is the task's): a failing lone task
   * must still fail its own future, leave nothing of its changes, commit no transaction (no commit
   * event, no new txid) and leave the writer ready for the next write.
   */
  @ParameterizedTest
  @EnumSource(TaskIsolation.class)
  void aFailingLoneTaskRollsBackAndAnnouncesNoCommit(TaskIsolation isolation) throws Exception {
    try (SqliteStore store = open(Kv.options().isolation(isolation).build())) {
      Database db = store.database("data");
      List<CommitEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
      db.addCommitListener(events::add);
      db.writeAndWait(Kv.insert(1, 1));
      long txid = db.lastTxid();
      WriteFailedException e = assertThrows(WriteFailedException.class, () -> db.writeAndWait(c -> {
        Kv.insert(2, 2).execute(c);
        throw new IllegalStateException("boom");
      }));
      assertInstanceOf(IllegalStateException.class, e.getCause());
      Throwable viaFuture = failureOf(db.write(c -> {
        Kv.insert(3, 3).execute(c);
        throw new SQLException("fails");
      }));
      assertInstanceOf(WriteFailedException.class, viaFuture);
      assertEquals(txid, db.lastTxid(), "a failed lone task commits nothing");
      assertEquals(1, events.size());
      assertNull(db.read(c -> Kv.get(c, 2)));
      assertNull(db.read(c -> Kv.get(c, 3)));
      db.writeAndWait(Kv.insert(4, 4));
      assertEquals(txid + 1, db.lastTxid());
      assertEquals(2, events.size());
      assertEquals(events.get(0).walEnd(), events.get(1).walStart(), "ranges stay contiguous");
      assertEquals(2, db.read(Kv::count));
      assertEquals(2, db.health().writesFailed());
    }
  }

  @Test
  void savepointIsolationRunsEachTaskExactlyOnce() throws Exception {
    try (SqliteStore store = open(Kv.options().isolation(TaskIsolation.SAVEPOINT).build())) {
      Database db = store.database("data");
      AtomicInteger runs = new AtomicInteger();
      CountDownLatch release = blockWriter(db);
      CompletableFuture<Void> counted = db.write(c -> {
        runs.incrementAndGet();
        return null;
      });
      CompletableFuture<Void> failing = db.write(c -> {
        throw new SQLException("fails");
      });
      release.countDown();
      counted.get(10, TimeUnit.SECONDS);
      failureOf(failing);
      assertEquals(1, runs.get());
    }
  }

  @Test
  void badSqlIsATypedErrorNamingTheDatabaseAndTheWriterSurvives() throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      WriteFailedException e = assertThrows(WriteFailedException.class,
          () -> db.writeAndWait(c -> c.createStatement().executeUpdate("INSERT INTO nope VALUES (1)")));
      assertTrue(e.getMessage().contains("'data'"), e.getMessage());
      assertTrue(e.getMessage().contains("no such table: nope"), e.getMessage());
      assertThrows(WriteFailedException.class, () -> db.writeAndWait(c -> {
        throw new OutOfMemoryError("simulated error from a task");
      }));
      db.writeAndWait(Kv.insert(1, 1));
      assertEquals(1, db.read(Kv::count));
      assertTrue(db.health().writerAlive());
    }
  }

  @Test
  void aHugeBlobIsRefusedCleanly() throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      db.writeAndWait(c -> c.createStatement().executeUpdate("CREATE TABLE b(x BLOB)"));
      // SQLite's length limit defaults to 1e9 bytes; set it lower on the writer to test the path cheaply.
      db.writeAndWait(c -> {
        c.unwrap(org.sqlite.SQLiteConnection.class).setLimit(org.sqlite.SQLiteLimits.SQLITE_LIMIT_LENGTH, 1_000_000);
        return null;
      });
      WriteFailedException e = assertThrows(WriteFailedException.class, () -> db.writeAndWait(c -> {
        try (var ps = c.prepareStatement("INSERT INTO b VALUES (?)")) {
          ps.setBytes(1, new byte[2_000_000]);
          return ps.executeUpdate();
        }
      }));
      assertEquals(18, e.sqliteResultCode() & 0xff, "SQLITE_TOOBIG: " + e.getMessage());
      db.writeAndWait(Kv.insert(2, 2));
      assertEquals(1, db.read(Kv::count));
    }
  }

  @Test
  void aFullDiskFailsTheWriteWithStorageFullAndLaterWritesStillCommit() throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      db.writeAndWait(Kv.insert(1, 1));
      db.writeAndWait(c -> c.createStatement().executeUpdate("CREATE TABLE b(x BLOB)"));
      // max_page_count makes SQLite answer SQLITE_FULL exactly like a full disk.
      db.writeAndWait(c -> {
        try (var rs = c.createStatement().executeQuery("PRAGMA page_count")) {
          rs.next();
          c.createStatement().execute("PRAGMA max_page_count = " + (rs.getInt(1) + 2));
        }
        return null;
      });
      CountDownLatch release = blockWriter(db);
      CompletableFuture<Void> before = db.write(Kv.insert(2, 2));
      CompletableFuture<Integer> big = db.write(c -> {
        try (var ps = c.prepareStatement("INSERT INTO b VALUES (?)")) {
          ps.setBytes(1, new byte[200_000]);
          return ps.executeUpdate();
        }
      });
      CompletableFuture<Void> after = db.write(Kv.insert(3, 3));
      release.countDown();
      Throwable full = failureOf(big);
      assertInstanceOf(StorageFullException.class, full);
      assertTrue(full.getMessage().contains("disk is full"), full.getMessage());
      after.get(10, TimeUnit.SECONDS);
      // "before" shared the transaction; it committed unless SQLite aborted that transaction, in which
      // case it must have failed loudly, never silently vanished.
      try {
        before.get(10, TimeUnit.SECONDS);
        assertEquals(Long.valueOf(2), db.read(c -> Kv.get(c, 2)));
      } catch (ExecutionException e) {
        assertInstanceOf(StoreException.class, e.getCause());
        assertNull(db.read(c -> Kv.get(c, 2)));
      }
      assertEquals(Long.valueOf(3), db.read(c -> Kv.get(c, 3)));
      assertTrue(db.health().writerAlive());
    }
  }

  @Test
  void aFullQueueBlocksUpToTheTimeoutThenFailsWithoutDroppingAnything() throws Exception {
    try (SqliteStore store = open(Kv.options().queueCapacity(3).enqueueTimeout(Duration.ofMillis(100)).build())) {
      Database db = store.database("data");
      CountDownLatch release = blockWriter(db);
      List<CompletableFuture<Void>> queued = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        queued.add(db.write(Kv.insert(i, i)));
      }
      long t0 = System.nanoTime();
      WriteQueueFullException full = assertThrows(WriteQueueFullException.class, () -> db.write(Kv.insert(9, 9)));
      assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(90), "waited for the timeout");
      assertTrue(full.getMessage().contains("3 waiting writes"), full.getMessage());
      release.countDown();
      for (CompletableFuture<Void> f : queued) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertEquals(3, db.read(Kv::count));
      assertNull(db.read(c -> Kv.get(c, 9)), "the refused write never ran");
    }
  }

  @Test
  void closeCommitsEverythingQueuedAndLaterWritesFailClearly() throws Exception {
    SqliteStore store = open(Kv.options().build());
    Database db = store.database("data");
    CountDownLatch release = blockWriter(db);
    List<CompletableFuture<Void>> queued = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      queued.add(db.write(Kv.insert(i, i)));
    }
    Thread closer = new Thread(store::close);
    closer.start();
    Thread.sleep(50);
    release.countDown();
    closer.join(10_000);
    assertFalse(closer.isAlive());
    for (CompletableFuture<Void> f : queued) {
      assertTrue(f.isDone() && !f.isCompletedExceptionally());
    }
    StoreClosedException closed = assertThrows(StoreClosedException.class, () -> db.write(Kv.insert(1000, 1)));
    assertTrue(closed.getMessage().contains("'data' is closed"), closed.getMessage());
    assertThrows(StoreClosedException.class, () -> db.read(Kv::count));
    store.close(); // idempotent
    try (SqliteStore again = open(Kv.options().build())) {
      assertEquals(100, again.database("data").read(Kv::count));
    }
  }

  @Test
  void aWriteFromTheWriterThreadIsRefusedInsteadOfDeadlocking() throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      WriteFailedException e = assertThrows(WriteFailedException.class,
          () -> db.writeAndWait(c -> db.writeAndWait(Kv.insert(1, 1))));
      assertInstanceOf(IllegalStateException.class, e.getCause());
    }
  }

  @Test
  void groupCommitPutsConcurrentWritesIntoFewTransactions() throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      List<CommitEvent> events = new ArrayList<>();
      db.addCommitListener(events::add);
      CountDownLatch release = blockWriter(db);
      List<CompletableFuture<Committed<Void>>> fs = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        fs.add(db.writeCommitted(Kv.insert(i, i)));
      }
      release.countDown();
      long lastTxid = 0;
      for (var f : fs) {
        long txid = f.get(10, TimeUnit.SECONDS).txid();
        assertTrue(txid >= lastTxid, "txids complete in order");
        lastTxid = txid;
      }
      assertEquals(1, events.size(), "500 queued writes commit as one transaction: " + events);
      assertEquals(500, events.get(0).writes());
      assertEquals(events.get(0).txid(), lastTxid);
    }
  }

  /** Regression: a callback on a write's future ran on the writer thread, so a slow one stopped every commit. */
  @Test
  void aSlowCallbackOnAWriteFutureDelaysAcknowledgementsButNotCommits() throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch inCallback = new CountDownLatch(1);
      CountDownLatch writer = blockWriter(db); // so the callback is attached before the future completes
      CompletableFuture<Void> first = db.write(Kv.put(1, 1)).thenRun(() -> {
        inCallback.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      writer.countDown();
      try {
        assertTrue(inCallback.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> second = db.write(Kv.put(2, 2));
        CheckpointGateTest.eventually("the second write committed while the callback blocks",
            () -> db.read(Kv::count) == 2);
        assertFalse(second.isDone(), "acknowledged in commit order, after the blocked callback");
        release.countDown();
        second.get(10, TimeUnit.SECONDS);
        first.get(10, TimeUnit.SECONDS);
      } finally {
        release.countDown(); // else a failure here would leave close() waiting for the blocked thread
      }
    }
  }

  /**
   * writeAndWait of a lone write may be acknowledged by the writer thread itself, but only when no
   * earlier future waits on the completer: behind a blocked callback it waits its turn like any write.
   */
  @Test
  void aLoneWriteAndWaitIsAcknowledgedInCommitOrderBehindASlowCallback() throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch inCallback = new CountDownLatch(1);
      CountDownLatch writer = blockWriter(db);
      CompletableFuture<Void> first = db.write(Kv.put(1, 1)).thenRun(() -> {
        inCallback.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      writer.countDown();
      java.util.concurrent.ExecutorService caller = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        assertTrue(inCallback.await(10, TimeUnit.SECONDS));
        java.util.concurrent.Future<?> second = caller.submit(() -> db.writeAndWait(Kv.put(2, 2)));
        CheckpointGateTest.eventually("the second write committed while the callback blocks",
            () -> db.read(Kv::count) == 2);
        db.checkpoint(CheckpointMode.PASSIVE).get(10, TimeUnit.SECONDS); // the writer is past that batch
        assertFalse(second.isDone(), "acknowledged in commit order, after the blocked callback");
        release.countDown();
        second.get(10, TimeUnit.SECONDS);
        first.get(10, TimeUnit.SECONDS);
        assertEquals(Integer.valueOf(2), db.<Integer>writeAndWait(c -> 2), "and once the completer is idle, at once");
      } finally {
        release.countDown();
        caller.shutdownNow();
      }
    }
  }

  @Test
  void waitingForAWriteInsideAnotherWritesCallbackIsRefusedNotADeadlock() throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      CountDownLatch writer = blockWriter(db); // so the callback is attached before the future completes
      CompletableFuture<Void> nested = db.write(Kv.put(1, 1))
          .thenApply(v -> db.writeAndWait(Kv.put(2, 2)));
      writer.countDown();
      Throwable t = failureOf(nested);
      assertInstanceOf(IllegalStateException.class, t);
      assertTrue(t.getMessage().contains("never end"), t.getMessage());
    }
  }

  @Test
  void closingTheStoreFromAWriteFuturesCallbackDoesNotHang() throws Exception {
    SqliteStore store = open(Kv.options().build());
    Database db = store.database("data");
    CountDownLatch writer = blockWriter(db); // so the callback is attached before the future completes
    CompletableFuture<Void> closed = db.write(Kv.put(1, 1)).thenRun(store::close);
    writer.countDown();
    closed.get(30, TimeUnit.SECONDS);
    assertThrows(StoreClosedException.class, () -> db.write(Kv.put(2, 2)));
  }
}
