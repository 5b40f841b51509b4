package io.litevault.store;

import static io.litevault.store.TestWrites.failureOf;
import static io.litevault.store.TestWrites.blockWriter;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Review round 19: the faster write path of speed-store (ef1674d..de5ff0d: BEGIN/COMMIT/SAVEPOINT/RELEASE
 * stepped directly, a lone task without SAVEPOINT, schema_version read before COMMIT, a lone
 * writeAndWait completed by the writer thread).
 *
 * <p>No regression of that change was reproduced: every test here fails on de5ff0d AND on its parent
 * 2353aa9 (pre-existing bugs, found while attacking the questions of the review: failed COMMITs, tasks
 * whose transaction SQLite ended, statements left open). Real SQLite files, no mocks.
 */
class Review19Test {
  @TempDir Path dir;

  private SqliteStore open(DatabaseOptions options) {
    return SqliteStore.builder(dir).database("data", options).open();
  }



  /**
   * PRE-EXISTING (fails on 2353aa9 and de5ff0d). With {@code foreignKeys(true)} (an option of the
   * store) and a DEFERRABLE INITIALLY DEFERRED foreign key, one task that leaves a dangling child row
   * does not throw: the violation is found only by the batch's COMMIT, which fails, and every write of
   * the batch fails with CommitFailedException, the innocent ones included (SAVEPOINT isolation checks
   * nothing at RELEASE). One caller's bad input loses other callers' writes, against the house rule
   * ("no other caller's write is lost") and TaskIsolation.SAVEPOINT ("only its own changes are rolled
   * back"). Correct: the offending task fails alone (e.g. the writer reads
   * SQLITE_DBSTATUS_DEFERRED_FKS after each task and rolls that task's savepoint back, or on a
   * foreign-key COMMIT failure replays the batch without the task that left the violation); the others
   * commit.
   */
  @Test
  void aDeferredForeignKeyViolationOfOneTaskFailsItsInnocentBatchMates() throws Exception {
    DatabaseOptions options = DatabaseOptions.builder().foreignKeys(true)
        .migration(new Migration(1, "kv and a deferred foreign key",
            "CREATE TABLE kv(k INTEGER PRIMARY KEY, v INTEGER NOT NULL); "
                + "CREATE TABLE parent(id INTEGER PRIMARY KEY); "
                + "CREATE TABLE child(p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"))
        .build();
    try (SqliteStore store = open(options)) {
      Database db = store.database("data");
      CountDownLatch release = blockWriter(db);
      CompletableFuture<Void> before = db.write(Kv.insert(2, 2));
      CompletableFuture<Integer> dangling = db.write(c -> {
        try (Statement s = c.createStatement()) {
          return s.executeUpdate("INSERT INTO child(p) VALUES (7)"); // no parent 7: checked at COMMIT
        }
      });
      CompletableFuture<Void> after = db.write(Kv.insert(3, 3));
      release.countDown();
      assertNotNull(failureOf(dangling, 10), "the task that broke the foreign key fails");
      assertNull(failureOf(before, 10), "an innocent write before it in the batch must commit");
      assertNull(failureOf(after, 10), "an innocent write after it in the batch must commit");
      assertEquals(Long.valueOf(2), db.read(c -> Kv.get(c, 2)));
      assertEquals(Long.valueOf(3), db.read(c -> Kv.get(c, 3)));
    }
  }

  /**
   * PRE-EXISTING (fails on 2353aa9 and de5ff0d, lone and batched). A task runs a statement whose
   * conflict clause ends the whole transaction ({@code INSERT OR ROLLBACK}; a trigger's
   * RAISE(ROLLBACK) does the same), catches the SQLException (the brief's "catches its own
   * SQLException and goes on") and writes on: SQLite is in autocommit mode now, so each later statement
   * commits by itself, outside the writer's transaction. The store then notices (COMMIT: "no transaction
   * is active", or RELEASE: "no such savepoint") and fails the write with an exception saying it "failed
   * and was rolled back", yet the row the task wrote after the rollback is committed (and announced
   * as a commit). A caller told "rolled back" retries, and writes twice. Correct: a failed write
   * commits nothing (e.g. the writer checks sqlite3_get_autocommit after each statement, or runs tasks
   * with a commit hook that refuses commits it did not start); at least never report "rolled back"
   * for a write that is in the database.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aTaskThatWritesOnAfterSqliteRolledItsTransactionBackIsReportedRolledBackButCommitted(boolean batched)
      throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      db.writeAndWait(Kv.insert(1, 1));
      WriteTask<String> task = c -> {
        Kv.insert(50, 50).execute(c);
        try (Statement s = c.createStatement()) {
          s.executeUpdate("INSERT OR ROLLBACK INTO kv(k, v) VALUES (1, 9)"); // duplicate: rolls back everything
        } catch (SQLException duplicate) {
          // the task handles its own conflict and goes on
        }
        Kv.insert(51, 51).execute(c);
        return "done";
      };
      Throwable failure;
      if (batched) {
        CountDownLatch release = blockWriter(db);
        CompletableFuture<Void> mate = db.write(Kv.insert(2, 2)); // a batch of two: SAVEPOINT per task
        CompletableFuture<String> f = db.write(task);
        release.countDown();
        failureOf(mate, 10); // rolled back with the transaction the task's statement ended: reported failed, right
        failure = failureOf(f, 10);
      } else {
        try {
          db.writeAndWait(task);
          failure = null;
        } catch (StoreException e) {
          failure = e;
        }
      }
      Long row51 = db.read(c -> Kv.get(c, 51));
      if (failure != null) {
        assertNull(row51, "the write failed (" + failure.getMessage() + ") but what its task wrote is committed");
      } else {
        assertEquals(Long.valueOf(50), db.read(c -> Kv.get(c, 50)), "a write reported committed lost a row");
      }
    }
  }

  /**
   * PRE-EXISTING (fails on 2353aa9 and de5ff0d). A lone task leaves a write statement unfinished on a
   * Statement of its own ({@code INSERT ... RETURNING} read one row of two and not closed). Its COMMIT
   * (de5ff0d; RELEASE on 2353aa9) fails with SQLITE_BUSY "SQL statements in progress", the batch's
   * catch calls rollbackQuietly(), whose ROLLBACK fails the same way and is swallowed: the writer
   * connection stays inside that transaction for good. Every later write of every caller fails
   * ("cannot start a transaction within a transaction"), checkpoints fail (SQLITE_LOCKED) and the WAL
   * can no longer be checkpointed. The task broke the WriteTask contract (close what you open), but
   * the house rule is that bad input never takes down the writer and no other caller's write is lost.
   * Correct: after a task, statements it left running on the writer connection are reset (sqlite3_next_stmt
   * over the connection, or sqlite-jdbc's statement list) or at least, when ROLLBACK fails, the
   * connection is reset/reopened so the next batch starts clean; the bad task fails alone.
   */
  @Test
  void aTaskLeavingAWriteStatementRunningLeavesTheWriterInsideATransactionForGood() throws Exception {
    try (SqliteStore store = open(Kv.options().build())) {
      Database db = store.database("data");
      db.writeAndWait(Kv.insert(1, 1));
      assertThrows(StoreException.class, () -> db.writeAndWait(c -> {
        ResultSet rs = c.createStatement().executeQuery("INSERT INTO kv(k, v) VALUES (50, 1), (51, 1) RETURNING k");
        rs.next(); // one row of two read; neither the ResultSet nor its Statement closed
        return null;
      }));
      for (int i = 0; i < 3; i++) {
        long k = 100 + i;
        assertDoesNotThrow(() -> db.writeAndWait(Kv.insert(k, 1)), "a later, correct write of another caller");
      }
      assertEquals(4, db.read(Kv::count));
    }
  }
}
