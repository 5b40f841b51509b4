package io.litevault.store;

import static io.litevault.store.TestWrites.failureOf;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Property: whatever a batch mixes (good writes, writes that throw, constraint errors, writes whose
 * statement makes SQLite roll the whole transaction back and that write on, deferred foreign keys left
 * violated, statements left running or left open), what each write's future reports equals what the
 * database holds: a write reported committed has all its rows, a write reported failed has none, and no
 * row exists that no committed write wrote. Bad writes always fail; good ones fail only with a
 * CommitFailedException naming a batch-mate that made SQLite roll back their shared transaction.
 *
 * <p>Random batches, replayable: the seed is printed in every failure message; run again with
 * {@code -Dlitevault.fuzz.seed=<seed>} (and {@code -Dlitevault.fuzz.rounds=<n>} for a longer run).
 * No timing: batches are formed by holding the writer thread on a latch while they queue.
 */
class WriteOutcomeFuzzTest {
  @TempDir Path dir;

  enum Kind {
    GOOD(true),
    GOOD_WITH_PARENT_AND_CHILD(true),
    LEFT_OPEN_BUT_DONE(true),
    THROWS(false),
    CONSTRAINT(false),
    OR_ROLLBACK_THEN_WRITES_ON(false),
    DEFERRED_FOREIGN_KEY(false),
    LEFT_RUNNING(false),
    LEFT_RUNNING_ON_THE_RAW_CONNECTION(false);

    final boolean good;

    Kind(boolean good) {
      this.good = good;
    }
  }

  private static final String SCHEMA = "CREATE TABLE kv(k INTEGER PRIMARY KEY, v INTEGER NOT NULL); "
      + "CREATE TABLE parent(id INTEGER PRIMARY KEY); "
      + "CREATE TABLE child(id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)";

  /** Task {@code id} writes kv rows {@code id*10} and {@code id*10+1} (and, for some kinds, parent/child {@code id}). */
  private static WriteTask<Long> task(Kind kind, long id) {
    long k0 = id * 10;
    long k1 = id * 10 + 1;
    return c -> {
      switch (kind) {
        case GOOD -> {
          Kv.insert(k0, id).execute(c);
          Kv.insert(k1, id).execute(c);
        }
        case GOOD_WITH_PARENT_AND_CHILD -> {
          Kv.insert(k0, id).execute(c);
          try (Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO child(id, p) VALUES (" + id + ", " + id + ")"); // parent comes next
            s.executeUpdate("INSERT INTO parent(id) VALUES (" + id + ")");
          }
          Kv.insert(k1, id).execute(c);
        }
        case LEFT_OPEN_BUT_DONE -> {
          c.createStatement().executeUpdate("INSERT INTO kv(k, v) VALUES (" + k0 + ", " + id + ")"); // never closed
          ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM kv"); // read to its only row
          rs.next();
          Kv.insert(k1, id).execute(c);
        }
        case THROWS -> {
          Kv.insert(k0, id).execute(c);
          throw new IllegalStateException("task " + id + " gives up");
        }
        case CONSTRAINT -> {
          Kv.insert(k0, id).execute(c);
          Kv.insert(0, id).execute(c); // row 0 exists: SQLITE_CONSTRAINT_PRIMARYKEY, not caught
        }
        case OR_ROLLBACK_THEN_WRITES_ON -> {
          Kv.insert(k0, id).execute(c);
          try (Statement s = c.createStatement()) {
            s.executeUpdate("INSERT OR ROLLBACK INTO kv(k, v) VALUES (0, " + id + ")");
          } catch (SQLException expected) {
            // handled here; the task writes on
          }
          try {
            Kv.insert(k1, id).execute(c);
          } catch (SQLException refused) {
            // handled too: the task returns normally
          }
        }
        case DEFERRED_FOREIGN_KEY -> {
          Kv.insert(k0, id).execute(c);
          try (Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO child(id, p) VALUES (" + id + ", -1)"); // no parent -1: fails at COMMIT
          }
          Kv.insert(k1, id).execute(c);
        }
        case LEFT_RUNNING -> {
          ResultSet rs = c.createStatement().executeQuery(
              "INSERT INTO kv(k, v) VALUES (" + k0 + ", " + id + "), (" + k1 + ", " + id + ") RETURNING k");
          rs.next(); // one row of two, nothing closed
        }
        case LEFT_RUNNING_ON_THE_RAW_CONNECTION -> {
          ResultSet rs = c.unwrap(java.sql.Connection.class).createStatement().executeQuery(
              "INSERT INTO kv(k, v) VALUES (" + k0 + ", " + id + "), (" + k1 + ", " + id + ") RETURNING k");
          rs.next(); // beyond the view's reach: the writer's last resort resets it
        }
        default -> throw new AssertionError(kind);
      }
      return id;
    };
  }

  private record Submitted(long id, Kind kind, int batch, CompletableFuture<Long> future) {}

  @ParameterizedTest
  @EnumSource(TaskIsolation.class)
  void whatEachFutureReportsIsWhatTheDatabaseHolds(TaskIsolation isolation) throws Exception {
    long seed = Long.getLong("litevault.fuzz.seed", new Random().nextLong());
    int rounds = Integer.getInteger("litevault.fuzz.rounds", 30);
    run(isolation, seed, rounds);
  }

  /** A few seeds that once mattered, run every time. */
  @Test
  void fixedSeeds() throws Exception {
    for (long seed : new long[] {1, 19, 2026}) {
      run(TaskIsolation.SAVEPOINT, seed, 10);
    }
  }

  /**
   * A task that runs COMMIT itself (against the WriteTask contract) and writes on: what it wrote before
   * the COMMIT is in the database, and so is its batch-mate's write, so the mate is reported committed
   * and the task fails with a StoreException that says part of it IS committed (not "rolled back").
   */
  @ParameterizedTest
  @EnumSource(TaskIsolation.class)
  void aTaskThatCommitsItselfIsReportedAsPartlyCommitted(TaskIsolation isolation) throws Exception {
    DatabaseOptions options = Kv.options().isolation(isolation).build();
    try (SqliteStore store = SqliteStore.builder(dir.resolve("commit-" + isolation)).database("data", options).open()) {
      Database db = store.database("data");
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch running = new CountDownLatch(1);
      CompletableFuture<Void> hold = db.write(c -> {
        running.countDown();
        release.await();
        return null;
      });
      running.await();
      CompletableFuture<Void> mate = db.write(Kv.insert(1, 1));
      CompletableFuture<Void> committer = db.write(c -> {
        Kv.insert(2, 2).execute(c);
        try (Statement s = c.createStatement()) {
          s.execute("COMMIT");
        }
        try {
          Kv.insert(3, 3).execute(c);
        } catch (SQLException refused) {
          // refused: the writer's transaction is over
        }
        return null;
      });
      CompletableFuture<Void> after = db.write(Kv.insert(4, 4));
      release.countDown();
      hold.get(30, TimeUnit.SECONDS);
      assertNull(failureOf(mate, 30), "the mate's write is in the database: reported committed");
      Throwable failure = failureOf(committer, 30);
      assertNotNull(failure);
      assertFalse(failure instanceof WriteFailedException, failure.toString());
      assertTrue(failure.getMessage().contains("is committed"), failure.getMessage());
      assertNull(failureOf(after, 30));
      assertEquals(Long.valueOf(1), db.read(c -> Kv.get(c, 1)));
      assertEquals(Long.valueOf(2), db.read(c -> Kv.get(c, 2)));
      assertNull(db.read(c -> Kv.get(c, 3)), "a statement after the task's COMMIT was refused");
      assertEquals(Long.valueOf(4), db.read(c -> Kv.get(c, 4)));
    }
  }

  /**
   * A statement left running that the view never saw (made on the raw connection): the writer resets
   * every statement as a last resort, the task fails alone, and later writes commit.
   */
  @ParameterizedTest
  @EnumSource(TaskIsolation.class)
  void aStatementLeftRunningOnTheRawConnectionFailsItsTaskAlone(TaskIsolation isolation) throws Exception {
    DatabaseOptions options = Kv.options().isolation(isolation).build();
    try (SqliteStore store = SqliteStore.builder(dir.resolve("raw-" + isolation)).database("data", options).open()) {
      Database db = store.database("data");
      WriteTask<Void> leaves = c -> {
        ResultSet rs = c.unwrap(java.sql.Connection.class).createStatement()
            .executeQuery("INSERT INTO kv(k, v) VALUES (50, 1), (51, 1) RETURNING k");
        rs.next();
        return null;
      };
      StoreException lone = assertThrows(StoreException.class, () -> db.writeAndWait(leaves));
      assertTrue(lone.getMessage().contains("left a statement running"), lone.getMessage());
      db.writeAndWait(Kv.insert(1, 1));
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch running = new CountDownLatch(1);
      CompletableFuture<Void> hold = db.write(c -> {
        running.countDown();
        release.await();
        return null;
      });
      running.await();
      CompletableFuture<Void> before = db.write(Kv.insert(2, 2));
      CompletableFuture<Void> bad = db.write(leaves);
      CompletableFuture<Void> after = db.write(Kv.insert(3, 3));
      release.countDown();
      hold.get(30, TimeUnit.SECONDS);
      assertNotNull(failureOf(bad, 30));
      assertNull(failureOf(before, 30));
      assertNull(failureOf(after, 30));
      db.writeAndWait(Kv.insert(4, 4));
      assertEquals(Set.of(1L, 2L, 3L, 4L), db.read(WriteOutcomeFuzzTest::allKeys));
    }
  }

  private void run(TaskIsolation isolation, long seed, int rounds) throws Exception {
    String replay = " [seed " + seed + ", isolation " + isolation + ": replay with -Dlitevault.fuzz.seed=" + seed + "]";
    Random random = new Random(seed);
    Path home = dir.resolve(isolation + "-" + seed);
    DatabaseOptions options = DatabaseOptions.builder().foreignKeys(true).isolation(isolation)
        .migration(new Migration(1, "kv, parent, child", SCHEMA)).build();
    List<Submitted> all = new ArrayList<>();
    try (SqliteStore store = SqliteStore.builder(home).database("data", options).open()) {
      Database db = store.database("data");
      db.writeAndWait(Kv.insert(0, 0)); // the row conflicting writes collide with
      long nextId = 1;
      for (int round = 0; round < rounds; round++) {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<Void> hold = db.write(c -> {
          running.countDown();
          release.await();
          return null;
        });
        while (!running.await(10, TimeUnit.MILLISECONDS)) {
          if (hold.isDone()) { // not a timing assertion: the writer refused the write that holds it
            fail("the writer no longer runs writes (round " + round + "): " + failureOf(hold, 30) + replay);
          }
        }
        int size = 1 + random.nextInt(8);
        for (int i = 0; i < size; i++) {
          Kind kind = pick(random);
          long id = nextId++;
          all.add(new Submitted(id, kind, round, db.write(task(kind, id))));
        }
        release.countDown();
        hold.get(30, TimeUnit.SECONDS);
      }
      Set<Long> rowsExpected = new HashSet<>();
      rowsExpected.add(0L);
      for (Submitted s : all) {
        Throwable failure = failureOf(s.future(), 30);
        List<String> mates = new ArrayList<>();
        for (Submitted m : all) {
          if (m.batch() == s.batch()) {
            mates.add(m.id() + ":" + m.kind());
          }
        }
        String what = "task " + s.id() + " (" + s.kind() + ", batch " + s.batch() + " " + mates + ") reported "
            + (failure == null ? "committed" : "failed: " + failure) + replay;
        boolean[] present = db.read(c -> rowsOf(c, s.id()));
        if (failure == null) {
          assertTrue(s.kind().good, what + ": a bad write was reported committed");
          assertTrue(present[0] && present[1], what + " but its rows are not all in the database");
          rowsExpected.add(s.id() * 10);
          rowsExpected.add(s.id() * 10 + 1);
        } else {
          assertFalse(present[0] || present[1], what + " but a row it wrote is in the database");
          assertTrue(failure instanceof StoreException, what + ": not a StoreException");
          boolean lostWithMate = failure instanceof CommitFailedException
              && failure.getMessage().contains("roll the whole transaction back");
          if (lostWithMate) {
            assertEquals(TaskIsolation.SAVEPOINT, isolation, what + ": REPLAY runs such writes again");
          } else if (s.kind().good) {
            fail(what + ": a good write may only fail with a batch-mate that made SQLite roll back their transaction");
          } else if (s.kind() == Kind.DEFERRED_FOREIGN_KEY) {
            assertEquals(787, ((WriteFailedException) failure).sqliteResultCode(), // SQLITE_CONSTRAINT_FOREIGNKEY
                what);
            assertTrue(failure.getMessage().contains("deferred foreign key"), what);
          } else if (s.kind() == Kind.OR_ROLLBACK_THEN_WRITES_ON) {
            assertTrue(failure.getMessage().contains("rolled back the whole transaction"), what);
          } else if (s.kind() == Kind.LEFT_RUNNING || s.kind() == Kind.LEFT_RUNNING_ON_THE_RAW_CONNECTION) {
            assertTrue(failure.getMessage().contains("left a statement running"), what);
          }
        }
      }
      Set<Long> rows = db.read(WriteOutcomeFuzzTest::allKeys);
      assertEquals(rowsExpected, rows, "rows no committed write wrote, or committed rows missing" + replay);
      long dangling = db.read(c -> {
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT count(*) FROM child WHERE p NOT IN (SELECT id FROM parent)")) {
          rs.next();
          return rs.getLong(1);
        }
      });
      assertEquals(0, dangling, "a dangling child row was committed" + replay);
      // The writer still serves writes after all that.
      db.writeAndWait(Kv.insert(-1, -1));
    }
  }

  private static Kind pick(Random random) {
    Kind[] kinds = Kind.values();
    // Good writes half of the time, so batches mix both.
    return random.nextBoolean() ? (random.nextBoolean() ? Kind.GOOD : kinds[random.nextInt(3)])
        : kinds[random.nextInt(kinds.length)];
  }

  private static boolean[] rowsOf(java.sql.Connection c, long id) throws SQLException {
    return new boolean[] {Kv.get(c, id * 10) != null, Kv.get(c, id * 10 + 1) != null};
  }

  private static Set<Long> allKeys(java.sql.Connection c) throws SQLException {
    Set<Long> keys = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT k FROM kv"); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        keys.add(rs.getLong(1));
      }
    }
    return keys;
  }

}
