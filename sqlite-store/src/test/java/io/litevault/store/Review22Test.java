package io.litevault.store;

import static io.litevault.store.TestWrites.failureOf;
import static io.litevault.store.TestWrites.blockWriter;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Review round 22: the writer changes 3b877d7..04d97c9 (a deferred foreign key failing COMMIT re-runs
 * the batch's tasks one transaction each; commit/rollback hooks and a progress handler refuse a task's
 * statements after SQLite ended the transaction; statements left open or running are closed or reset).
 * Real SQLite files, no mocks.
 */
class Review22Test {
  @TempDir Path dir;

  private static final String FK_SCHEMA = "CREATE TABLE kv(k INTEGER PRIMARY KEY, v INTEGER NOT NULL); "
      + "CREATE TABLE parent(id INTEGER PRIMARY KEY); "
      + "CREATE TABLE child(id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)";

  private SqliteStore open(String name, DatabaseOptions options) {
    return SqliteStore.builder(dir.resolve(name)).database("data", options).open();
  }



  /**
   * REGRESSION (passes on 2672527, fails on 07fb4dc; both isolations). A task runs COMMIT itself
   * (against the WriteTask contract) and that COMMIT fails after SQLite called the commit hook: here an
   * I/O error writing the WAL (the test lowers its own RLIMIT_FSIZE with prlimit; a full disk does the
   * same). SQLite calls the commit hook BEFORE it writes the transaction (vdbeCommit), then rolls
   * everything back (sqlite3RollbackAll) and calls the rollback hook, which transactionEnded ignores
   * because {@code ended} is already COMMITTED. settleEndedTransaction then marks the batch-mate before
   * it committed and the task itself is told "what it wrote up to that COMMIT is committed": the mate's
   * future reports a write the database does not hold (nor does it hold the task's rows). On 2672527 both
   * futures failed, which is what the database holds. Correct: the hook's COMMITTED is only a claim until
   * the COMMIT statement returns; a later rollback hook (or the failed COMMIT, or get_autocommit plus a
   * check of what is on disk) must turn it into ROLLED_BACK.
   */
  @ParameterizedTest
  @EnumSource(TaskIsolation.class)
  void aTasksOwnCommitFailingAfterTheCommitHookReportsItsMateCommitted(TaskIsolation isolation) throws Exception {
    try (SqliteStore store = open("own-commit-" + isolation, Kv.options().isolation(isolation).build())) {
      Database db = store.database("data");
      for (int i = 0; i < 5; i++) {
        db.writeAndWait(Kv.insert(100 + i, i));
      }
      Path wal = Path.of(db.path().toString() + "-wal");
      long size = java.nio.file.Files.size(wal);
      CountDownLatch release = blockWriter(db);
      CompletableFuture<Void> mate = db.write(Kv.insert(1, 1));
      CompletableFuture<Void> committer = db.write(c -> {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO kv(k, v) VALUES (2, ?)")) {
          ps.setBytes(1, new byte[200_000]); // ~50 pages: the COMMIT's WAL write crosses the limit below
          ps.executeUpdate();
        }
        try (Statement s = c.createStatement()) {
          s.execute("COMMIT"); // fails: SQLITE_IOERR_WRITE, after the commit hook ran
        } catch (SQLException handled) {
          // the task goes on and returns normally
        }
        return null;
      });
      String original = prlimit("--output", "SOFT", "--noheadings", "--raw").trim();
      prlimit("--fsize=" + (size + 8192) + ":");
      Throwable mateFailure;
      Throwable committerFailure;
      try {
        release.countDown();
        mateFailure = failureOf(mate, 30);
        committerFailure = failureOf(committer, 30);
      } finally {
        prlimit("--fsize=" + original + ":");
      }
      assertNotNull(committerFailure);
      Long one = db.read(c -> Kv.get(c, 1));
      Long two = db.read(c -> Kv.get(c, 2));
      assertNull(two, "nothing of the task's transaction was committed");
      assertEquals(mateFailure == null, one != null,
          "the mate's future says " + (mateFailure == null ? "committed" : "failed: " + mateFailure)
              + ", its row is " + (one == null ? "absent" : "present"));
      assertFalse(committerFailure.getMessage().contains("up to that COMMIT is committed") && two == null,
          "the task is told its write is committed, the database does not hold it: " + committerFailure);
      db.writeAndWait(Kv.insert(3, 3)); // the writer goes on
    }
  }

  /**
   * Runs prlimit on this JVM's RLIMIT_FSIZE ("--fsize=N:" sets the soft limit: writes past N bytes
   * then fail with EFBIG, the JVM ignoring SIGXFSZ); returns its output.
   */
  private static String prlimit(String... args) throws Exception {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("prlimit", "--pid",
        Long.toString(ProcessHandle.current().pid())));
    if (!args[0].startsWith("--fsize=")) {
      cmd.add("--fsize");
    }
    cmd.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), cmd + ": " + out);
    return out;
  }

  /**
   * PRE-EXISTING (fails on 2672527 and on 07fb4dc, both isolations): the culprit search is incomplete.
   * The culprit inserts kv row 5 and leaves a deferred foreign key violated; a later batch-mate inserts
   * kv row 5 too and fails on the culprit's row (UNIQUE), which is in the transaction until COMMIT.
   * The COMMIT fails, and isolateCommitFailure re-runs only the tasks that had not failed: the mate
   * stays failed with "UNIQUE constraint failed: kv.k", yet the culprit is rolled back and the database
   * holds no row 5. Run alone, or in any batch without the culprit, the mate commits: one caller's bad
   * write loses another's (the house rule, and "fails only the task that left it" of 3b877d7). Correct:
   * re-run the tasks that failed after the culprit in that transaction too (their failure may be its
   * doing), or find the culprit before judging them.
   */
  @ParameterizedTest
  @EnumSource(TaskIsolation.class)
  @org.junit.jupiter.api.Disabled("known, pre-existing, not fixed yet: the culprit search re-runs only the tasks that had not failed; see the issue 14 note")
  void aMateThatCollidedWithTheDeferredForeignKeyCulpritsRowFailsThoughThatRowWasRolledBack(TaskIsolation isolation)
      throws Exception {
    DatabaseOptions options = DatabaseOptions.builder().foreignKeys(true).isolation(isolation)
        .migration(new Migration(1, "fk", FK_SCHEMA)).build();
    try (SqliteStore store = open("fk-" + isolation, options)) {
      Database db = store.database("data");
      CountDownLatch release = blockWriter(db);
      CompletableFuture<Void> good = db.write(Kv.insert(1, 1));
      CompletableFuture<Void> culprit = db.write(c -> {
        Kv.insert(5, 500).execute(c);
        try (Statement s = c.createStatement()) {
          s.executeUpdate("INSERT INTO child(id, p) VALUES (1, -1)"); // dangling: fails at COMMIT
        }
        return null;
      });
      CompletableFuture<Void> innocent = db.write(Kv.insert(5, 5));
      release.countDown();
      assertNotNull(failureOf(culprit, 30), "the culprit fails");
      assertNull(failureOf(good, 30));
      assertNull(db.read(c -> Kv.get(c, 5)), "the culprit's row 5 is not in the database");
      Throwable f = failureOf(innocent, 30);
      assertNull(f, "the mate failed on the culprit's row 5, which is not in the database: " + f);
      assertEquals(Long.valueOf(5), db.read(c -> Kv.get(c, 5)));
    }
  }
  /**
   * PRE-EXISTING (fails on 2672527 and on 07fb4dc). A task that keeps the WriteTask contract (it closes
   * the statement it opened) runs a query from the statement cache with {@code execute()} and does not
   * ask for its ResultSet (a generic "run this SQL" helper does that). close() hands the cached statement
   * back without resetting it: StatementCache.giveBack resets only through the ResultSets it saw handed
   * out, and clearParameters/clearBatch do not reset. The query stays stepped on the writer connection
   * after COMMIT, holding a read transaction, until a later task happens to run the same SQL: every
   * checkpoint on the writer connection fails with SQLITE_LOCKED meanwhile (the WAL grows without bound,
   * and VACUUM would refuse too). 9d4d3a5..04d97c9 close what a task leaves open but not this.
   * Correct: giveBack resets the statement itself (sqlite3_reset), whatever the task asked for.
   */
  @Test
  void aCachedQueryExecutedAndClosedUnreadBlocksEveryCheckpoint() throws Exception {
    try (SqliteStore store = open("unread", Kv.options().build())) {
      Database db = store.database("data");
      for (int i = 0; i < 20; i++) {
        db.writeAndWait(Kv.insert(i, i));
      }
      db.writeAndWait(c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT k FROM kv ORDER BY k")) {
          ps.execute(); // a row is ready; the ResultSet is never asked for
        }
        return null;
      });
      for (int i = 100; i < 150; i++) {
        db.writeAndWait(Kv.insert(i, i));
      }
      CheckpointResult r = db.checkpoint(CheckpointMode.TRUNCATE).get(30, TimeUnit.SECONDS);
      assertTrue(r.complete(), r.toString());
    }
  }

  /**
   * PRE-EXISTING (fails on 2672527 and on 07fb4dc). A task reads {@code c.getMetaData().getTables(...)}
   * and leaves the ResultSet open (against the contract, but this is what the new code claims to clean
   * up). sqlite-jdbc made that query on the raw connection, beyond the view; the writer's last resort
   * (resetEveryStatement) runs only when SQLite refuses to end a transaction, which a read never makes
   * it do. The query keeps a read transaction open on the writer connection forever: every later
   * checkpoint fails with SQLITE_LOCKED, so the WAL only grows. Correct: after a task, reset what still
   * runs on the writer connection (the same reflection, or sqlite3_stmt_busy over its statements).
   */
  @Test
  @org.junit.jupiter.api.Disabled("known, pre-existing, not fixed yet: a DatabaseMetaData result left open on the raw connection is not reset; see the issue 14 note")
  void aMetadataResultSetLeftOpenBlocksEveryCheckpoint() throws Exception {
    try (SqliteStore store = open("meta", Kv.options().build())) {
      Database db = store.database("data");
      for (int i = 0; i < 20; i++) {
        db.writeAndWait(Kv.insert(i, i));
      }
      db.writeAndWait(c -> {
        ResultSet rs = c.getMetaData().getTables(null, null, "%", null);
        rs.next();
        return null;
      });
      for (int i = 100; i < 150; i++) {
        db.writeAndWait(Kv.insert(i, i));
      }
      CheckpointResult r = db.checkpoint(CheckpointMode.TRUNCATE).get(30, TimeUnit.SECONDS);
      assertTrue(r.complete(), r.toString());
    }
  }

  /**
   * PRE-EXISTING (fails on 2672527 and on 07fb4dc); a contract violation ("must not ... close it"), but
   * the house rule says bad input never takes the writer down. A task closes the connection it was given
   * (try-with-resources on it, a habit from pooled code): the view delegates close() to the writer
   * connection itself, and every later write of the database fails ("The database has been closed")
   * until the process restarts. Correct: the view refuses (or ignores) close().
   */
  @Test
  void aTaskThatClosesItsConnectionBreaksEveryLaterWrite() throws Exception {
    try (SqliteStore store = open("close", Kv.options().build())) {
      Database db = store.database("data");
      try {
        db.writeAndWait(c -> {
          try (java.sql.Connection conn = c) {
            Kv.insert(1, 1).execute(conn);
          }
          return null;
        });
      } catch (StoreException expected) {
        // may fail: it broke the contract
      }
      for (int i = 0; i < 3; i++) {
        long k = 10 + i;
        db.writeAndWait(Kv.insert(k, k));
        assertEquals(Long.valueOf(k), db.read(c -> Kv.get(c, k)));
      }
    }
  }

  /**
   * PRE-EXISTING (fails on 2672527 and on 07fb4dc); "tasks that run PRAGMA themselves". A task runs
   * {@code PRAGMA wal_autocheckpoint = 1} (a tuning line copied from anywhere) and is reported
   * committed. That pragma acts when it is prepared, inside the transaction, and the writer connection
   * keeps it: from then on SQLite checkpoints after every COMMIT by itself and restarts the WAL, past
   * every CheckpointGate (here holdWalUntilGate, which releases nothing): frames no replicator has read
   * are copied away and overwritten, against the first rule of the house. The new commit hook/progress
   * handler cannot refuse it (it refuses only what a statement does when stepped, and only after SQLite
   * ended the transaction). Other prepare-time pragmas a task can leave on the shared writer connection
   * the same way: query_only (every later write fails), ignore_check_constraints, locking_mode, cache
   * and mmap sizes. Correct: the writer re-asserts its connection settings after a task that ran a
   * PRAGMA (or refuses PRAGMA in tasks, e.g. with an authorizer).
   */
  @Test
  @org.junit.jupiter.api.Disabled("known, pre-existing, not fixed yet: a task's connection PRAGMA (wal_autocheckpoint, query_only) outlives the task; see the issue 14 note")
  void aTasksPragmaWalAutocheckpointMakesSqliteCheckpointPastEveryGate() throws Exception {
    try (SqliteStore store = open("autockpt", Kv.options().holdWalUntilGate(true).build())) {
      Database db = store.database("data");
      for (int i = 0; i < 5; i++) {
        db.writeAndWait(Kv.insert(i, i));
      }
      java.util.List<CommitEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
      db.addCommitListener(events::add);
      byte[] main = java.nio.file.Files.readAllBytes(db.path());
      db.writeAndWait(c -> {
        try (Statement s = c.createStatement()) {
          s.execute("PRAGMA wal_autocheckpoint = 1");
        }
        Kv.insert(50, 50).execute(c);
        return null;
      });
      for (int i = 100; i < 120; i++) {
        db.writeAndWait(Kv.insert(i, i));
      }
      long walIncarnations = events.stream().map(e -> e.walEnd().salt1()).distinct().count();
      assertEquals(1, walIncarnations, "WAL incarnations while the gate held every frame (" + events.size() + " commits)");
      assertArrayEquals(main, java.nio.file.Files.readAllBytes(db.path()), "a checkpoint ran past the gate");
    }
  }

  /**
   * PRE-EXISTING (fails on 2672527 and on 07fb4dc, the same way), against the
   * claim of 23932c9/04d97c9 that a statement left running on the raw connection is "pinned only on the
   * task that left it". Found by extending WriteOutcomeFuzzTest with nested savepoints (seed
   * 5513358668159692865, REPLAY). Under REPLAY nothing checks a task that returns normally for a
   * statement the view never saw: the bad task leaves {@code INSERT ... RETURNING} running on
   * {@code c.unwrap(Connection.class)}; the next task, an innocent one using a savepoint of its own,
   * fails on its SAVEPOINT ("cannot open savepoint - SQL statements in progress"), and runWithReplay
   * takes that for the innocent task's own failure: it is failed for good (WriteFailedException, SQLITE_BUSY)
   * and never replayed. Under SAVEPOINT the bad task's RELEASE catches it first. Correct: when a task fails on "statements in progress", check (as at COMMIT) whether an
   * earlier task of the transaction left a statement running, and replay the innocent one.
   */
  @Test
  @org.junit.jupiter.api.Disabled("known, pre-existing, not fixed yet: under REPLAY a statement left running on the raw connection is blamed on the next task; see the issue 14 note")
  void underReplayAStatementLeftRunningOnTheRawConnectionFailsTheNextTasksSavepoint() throws Exception {
    try (SqliteStore store = open("raw-replay", Kv.options().isolation(TaskIsolation.REPLAY).build())) {
      Database db = store.database("data");
      CountDownLatch release = blockWriter(db);
      CompletableFuture<Void> leaves = db.write(c -> {
        ResultSet rs = c.unwrap(java.sql.Connection.class).createStatement()
            .executeQuery("INSERT INTO kv(k, v) VALUES (50, 1), (51, 1) RETURNING k");
        rs.next(); // one row of two, nothing closed
        return null;
      });
      CompletableFuture<Void> innocent = db.write(c -> {
        try (Statement s = c.createStatement()) {
          s.execute("SAVEPOINT mine");
          s.execute("INSERT INTO kv(k, v) VALUES (1, 1)");
          s.execute("RELEASE mine");
        }
        return null;
      });
      release.countDown();
      assertNotNull(failureOf(leaves, 30), "the task that left the statement running fails");
      Throwable f = failureOf(innocent, 30);
      assertNull(f, "the innocent write failed on its batch-mate's running statement: " + f);
      assertEquals(Long.valueOf(1), db.read(c -> Kv.get(c, 1)));
      assertNull(db.read(c -> Kv.get(c, 50)));
    }
  }
}
