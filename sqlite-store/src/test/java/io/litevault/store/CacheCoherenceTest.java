package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheCoherenceTest {
  @TempDir Path dir;

  @Test
  void aCachedReadAfterACompletedWriteSeesIt() {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      db.writeAndWait(Kv.put(1, 10));
      AtomicInteger loads = new AtomicInteger();
      assertEquals(Long.valueOf(10), db.cached("kv", 1L, c -> { loads.incrementAndGet(); return Kv.get(c, 1); }));
      assertEquals(Long.valueOf(10), db.cached("kv", 1L, c -> { loads.incrementAndGet(); return Kv.get(c, 1); }));
      assertEquals(1, loads.get(), "second read is a hit");
      db.writeAndWait(Kv.put(1, 11));
      assertEquals(Long.valueOf(11), db.cached("kv", 1L, c -> { loads.incrementAndGet(); return Kv.get(c, 1); }));
      assertEquals(2, loads.get());
      db.writeAndWait(c -> c.createStatement().executeUpdate("CREATE TABLE other(x)"));
      db.writeAndWait(c -> c.createStatement().executeUpdate("INSERT INTO other VALUES (1)"));
      assertEquals(Long.valueOf(11), db.cached("kv", 1L, c -> { loads.incrementAndGet(); return Kv.get(c, 1); }));
    }
  }

  /** Regression: a read whose snapshot predates a commit put its stale value back after the commit. */
  @Test
  void aReadThatStartedBeforeACommitCannotPutItsStaleValueBack() throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      db.writeAndWait(Kv.put(1, 1));
      CountDownLatch loaded = new CountDownLatch(1);
      CountDownLatch committed = new CountDownLatch(1);
      CompletableFuture<Long> slowRead = CompletableFuture.supplyAsync(() -> db.cached("kv", 1L, c -> {
        Long v = Kv.get(c, 1); // reads the old value...
        loaded.countDown();
        committed.await(); // ...and puts it back only after the new value committed
        return v;
      }));
      assertTrue(loaded.await(10, TimeUnit.SECONDS));
      db.writeAndWait(Kv.put(1, 2));
      committed.countDown();
      assertEquals(Long.valueOf(1), slowRead.get(10, TimeUnit.SECONDS), "it read before the commit");
      assertEquals(Long.valueOf(2), db.cached("kv", 1L, c -> Kv.get(c, 1)), "but its value is never served");
    }
  }

  /**
   * A schema change alone (no row changed: neither the update hook nor total_changes sees it) still
   * invalidates everything, whether its task ran alone or in a batch (the schema version is read just
   * before COMMIT).
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void aSchemaChangeAloneInvalidates(boolean batched) throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      ReadTask<Long> tables = c -> {
        try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")) {
          rs.next();
          return rs.getLong(1);
        }
      };
      long before = db.cached("kv", "tables", tables);
      WriteTask<Integer> ddl = c -> c.createStatement().executeUpdate("CREATE TABLE extra(x)");
      if (batched) {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        db.write(c -> {
          running.countDown();
          release.await();
          return null;
        });
        assertTrue(running.await(10, TimeUnit.SECONDS));
        CompletableFuture<Integer> a = db.write(ddl);
        CompletableFuture<Void> b = db.write(c -> null);
        release.countDown();
        a.get(10, TimeUnit.SECONDS);
        b.get(10, TimeUnit.SECONDS);
      } else {
        db.writeAndWait(ddl);
      }
      assertEquals(before + 1, (long) db.cached("kv", "tables", tables));
    }
  }

  /** The update hook misses these; the store must notice and invalidate everything. */
  @Test
  void changesTheUpdateHookCannotSeeStillInvalidate() throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options()
        .migration(2, "wr", "CREATE TABLE wr(k INTEGER PRIMARY KEY, v INTEGER) WITHOUT ROWID").build()).open()) {
      Database db = store.database("data");
      db.writeAndWait(Kv.put(1, 1));
      db.writeAndWait(c -> c.createStatement().executeUpdate("INSERT INTO wr VALUES (1, 1)"));
      ReadTask<Long> count = Kv::count;
      assertEquals(1L, (long) db.cached("kv", "count", count));
      db.writeAndWait(c -> c.createStatement().executeUpdate("DELETE FROM kv")); // truncate optimization
      assertEquals(0L, (long) db.cached("kv", "count", count));
      ReadTask<Long> wr = c -> {
        try (var rs = c.createStatement().executeQuery("SELECT v FROM wr WHERE k = 1")) {
          return rs.next() ? rs.getLong(1) : null;
        }
      };
      assertEquals(Long.valueOf(1), db.cached("wr", 1, wr));
      db.writeAndWait(c -> c.createStatement().executeUpdate("UPDATE wr SET v = 2 WHERE k = 1")); // WITHOUT ROWID
      assertEquals(Long.valueOf(2), db.cached("wr", 1, wr));
    }
  }

  @Test
  void badNamespacesAreRefused() {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> db.cached("kv; DROP TABLE kv", 1, c -> 1));
      assertTrue(e.getMessage().contains("invalid table name"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> db.cached(java.util.Set.of(), 1, c -> 1));
      assertThrows(NullPointerException.class, () -> db.cached("kv", null, c -> 1));
      assertTrue(Files.exists(db.path()));
    }
  }
}
