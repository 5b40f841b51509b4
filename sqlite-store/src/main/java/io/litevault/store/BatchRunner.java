package io.litevault.store;

import static io.litevault.store.ControlStatements.Kind.BEGIN;
import static io.litevault.store.ControlStatements.Kind.COMMIT;
import static io.litevault.store.ControlStatements.Kind.RELEASE;
import static io.litevault.store.ControlStatements.Kind.ROLLBACK;
import static io.litevault.store.ControlStatements.Kind.ROLLBACK_TO;
import static io.litevault.store.ControlStatements.Kind.SAVEPOINT;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.sqlite.ProgressHandler;
import org.sqlite.SQLiteCommitListener;
import org.sqlite.SQLiteConnection;
import org.sqlite.core.DB;

/**
 * Runs one drained batch of write tasks as ONE transaction, isolating failing tasks as
 * {@link TaskIsolation} says. Fills each request's {@code result} or {@code failure}; never throws
 * for a task's error. Runs on the writer thread only.
 */
final class BatchRunner {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BatchRunner.class);
  private final String database;
  private final String path;
  private final Connection connection;
  /** sqlite-jdbc's handle of the writer connection: its progress handler (see {@link #transactionEnded}). */
  private final DB db;
  private final TaskIsolation isolation;
  /** Told just before each COMMIT (see {@link ChangeTracker#captureBeforeCommit()}). */
  private final ChangeTracker changes;
  /** What tasks run on: the writer connection with its prepared statements cached. */
  private final StatementCache statements;
  /**
   * Prepared once: each task's SAVEPOINT/RELEASE would otherwise be compiled again (~4 us a task), and
   * each batch's BEGIN IMMEDIATE/COMMIT too; run through {@link ControlStatement}, not JDBC's execute.
   */
  private final ControlStatements control;

  BatchRunner(String database, String path, Connection connection, TaskIsolation isolation, int statementCacheSize,
      ChangeTracker changes) throws SQLException {
    this.database = database;
    this.path = path;
    this.connection = connection;
    this.control = new ControlStatements(connection);
    this.isolation = isolation;
    this.changes = changes;
    this.statements = new StatementCache(connection, statementCacheSize);
    SQLiteConnection sqlite = connection.unwrap(SQLiteConnection.class);
    this.db = sqlite.getDatabase();
    // One JNI call per COMMIT (the commit hook) and per ROLLBACK; see transactionEnded.
    sqlite.addCommitListener(new SQLiteCommitListener() {
      @Override
      public void onCommit() {
        transactionEnded(TransactionEnd.COMMITTED);
      }

      @Override
      public void onRollback() {
        transactionEnded(TransactionEnd.ROLLED_BACK);
      }
    });
  }

  /**
   * How SQLite's transaction ended while a task ran, as the commit and rollback hooks reported it.
   * https://www.sqlite.org/c3ref/commit_hook.html: "For the purposes of this API, a transaction is said
   * to have been rolled back if an explicit "ROLLBACK" statement is executed, or an error or constraint
   * causes an implicit rollback to occur." (ROLLBACK TO a savepoint does not call it: checked.)
   */
  enum TransactionEnd {
    /** The task ran COMMIT (or END) itself: what the transaction held up to then is in the database. */
    COMMITTED,
    /**
     * SQLite rolled the whole transaction back: a conflict clause ({@code INSERT OR ROLLBACK}, a
     * trigger's {@code RAISE(ROLLBACK)}), an error SQLite answers with a rollback, or the task's own
     * ROLLBACK.
     */
    ROLLED_BACK
  }

  /**
   * Refuses every statement while armed: "If the progress callback returns non-zero, the operation is
   * interrupted." (https://www.sqlite.org/c3ref/progress_handler.html). Called every VM instruction,
   * it stops a statement at its first jump, which every statement that opens the database reaches
   * before writing anything (the OP_Transaction at the end of the program jumps back to the start;
   * checked with INSERT, SELECT, BEGIN and COMMIT: each refused with SQLITE_INTERRUPT, nothing written).
   */
  private final ProgressHandler refuse = new ProgressHandler() {
    @Override
    protected int progress() {
      refused = true;
      return 1;
    }
  };
  /** A statement was refused since the transaction ended (see {@link #transactionEnded}); writer thread only. */
  private boolean refused;

  /** Whether a task runs now (writer thread only, as the hooks that read it). */
  private boolean taskRunning;
  /** How the transaction ended while the current task ran, or null; see {@link #takeEnded()}. */
  private TransactionEnd ended;

  /**
   * Called by SQLite's commit or rollback hook. While a task runs, the writer's transaction can only
   * end this way if SQLite ended it (or the task did, against the WriteTask contract); from then on
   * SQLite is in autocommit mode: https://www.sqlite.org/c3ref/get_autocommit.html, "Autocommit mode is
   * re-enabled by a COMMIT or ROLLBACK", and "If certain kinds of errors occur on a statement within a
   * multi-statement transaction [...] then the transaction might be rolled back automatically." Every
   * later statement of the task would then commit on its own, outside any transaction of the writer
   * (https://www.sqlite.org/lang_conflict.html, ROLLBACK: "aborts the current SQL statement with an
   * SQLITE_CONSTRAINT error and rolls back the current transaction"): the writer could then neither
   * report the write as failed (part of it is in the database) nor as committed (part of it is not).
   * So every later statement of the task is refused, by a progress handler armed here, before it
   * writes anything; {@link #runTask} disarms it when the task returns. Setting the handler only sets
   * a field of the connection: it runs no SQL, which the hook must not do.
   */
  private void transactionEnded(TransactionEnd how) {
    if (!taskRunning) {
      return;
    }
    if (ended != null) {
      // The commit hook runs before the transaction is written ("The callback implementation must not do
      // anything that will modify the database connection that invoked the callback" - it is called
      // from within the commit): if writing it then fails (an I/O error, a full disk), SQLite rolls back
      // and calls the rollback hook, within the same COMMIT. That rollback is what happened. (A rollback
      // after a statement was refused is that statement's own, autocommit, transaction: the COMMIT held.)
      if (ended == TransactionEnd.COMMITTED && how == TransactionEnd.ROLLED_BACK && !refused) {
        ended = how;
      }
      return;
    }
    ended = how;
    refused = false;
    try {
      db.register_progress_handler(1, refuse);
    } catch (SQLException e) {
      throw new IllegalStateException("could not refuse statements after the transaction ended", e);
    }
  }

  /** How the transaction ended during the last task, or null if it did not; forgets it. */
  private TransactionEnd takeEnded() {
    TransactionEnd e = ended;
    ended = null;
    return e;
  }

  /** Runs {@code r}'s task, keeping its result: null, or what it threw. */
  private Throwable runCatching(WriteRequest<?> r) {
    try {
      r.result = runTask(r);
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /**
   * If SQLite ended the transaction while {@code r}'s task ran: closes what the task left, fails it as
   * {@link SqliteErrors#transactionEnded} says and returns how it ended; else null. The caller settles
   * the tasks before it in that transaction.
   */
  private TransactionEnd failIfEnded(WriteRequest<?> r, Throwable thrown) {
    TransactionEnd end = takeEnded();
    if (end != null) {
      statements.closeLeftovers();
      r.result = null;
      r.failure = SqliteErrors.transactionEnded(database, path, end, thrown);
    }
    return end;
  }

  /** Runs one task on the caching view of the connection; what it left open is handed back after. */
  private Object runTask(WriteRequest<?> r) throws Exception {
    taskRunning = true;
    try {
      return r.run(statements.connection());
    } finally {
      taskRunning = false;
      if (ended != null) {
        db.clear_progress_handler();
      }
      // A task that re-set the interrupt flag (as the JDK advises after catching InterruptedException)
      // must not reach the writer's own blocking calls: an interrupted FileChannel read closes the
      // wal-index for good and an interrupted queue wait would end the thread. The task's outcome stands.
      Thread.interrupted();
      statements.afterTask();
    }
  }

  /**
   * Runs and commits the batch.
   *
   * @return how many tasks committed
   */
  int run(List<WriteRequest<?>> batch) {
    try {
      if (isolation == TaskIsolation.SAVEPOINT) {
        runWithSavepoints(batch);
      } else {
        runWithReplay(batch);
      }
    } catch (SQLException e) {
      // BEGIN or COMMIT failed: nothing of this transaction is in the database (earlier transactions of
      // the batch, if any, committed: their tasks are marked so).
      changes.forgetCapture();
      rollbackQuietly();
      StoreException failure = SqliteErrors.batchFailure(database, path, batch.size(), e);
      for (WriteRequest<?> r : batch) {
        if (r.failure == null && !r.committed) {
          r.failure = failure;
        }
      }
    }
    int committed = 0;
    for (WriteRequest<?> r : batch) {
      if (r.committed) {
        committed++;
      }
    }
    return committed;
  }

  private void runWithSavepoints(List<WriteRequest<?>> batch) throws SQLException {
    if (batch.size() == 1) {
      runAlone(batch.get(0));
      return;
    }
    beginTransaction();
    int txStart = 0; // first request of the current transaction
    for (int i = 0; i < batch.size(); i++) {
      WriteRequest<?> r = batch.get(i);
      control.run(SAVEPOINT);
      Throwable thrown = runCatching(r);
      TransactionEnd end = failIfEnded(r, thrown);
      if (end != null) {
        // SQLite ended the transaction during this task: settle the tasks before it in that
        // transaction as SQLite did, and go on in a new transaction.
        settleEndedTransaction(batch.subList(txStart, i), end, r.failure, thrown);
        rollbackQuietly(); // nothing to roll back but what the task may have begun itself
        beginTransaction();
        txStart = i + 1;
        continue;
      }
      if (thrown == null) {
        thrown = leftRunning();
      }
      if (thrown == null) {
        try {
          control.run(RELEASE);
          continue;
        } catch (Throwable t) {
          thrown = t;
        }
      }
      if (statements.closeLeftovers() == 0 && SqliteErrors.isStatementsInProgress(thrown)) {
        thrown = resetEveryStatement(thrown); // the task left running a statement the view never saw
      } else {
        resetIfStillRunning(); // before ROLLBACK TO: a statement still running would keep blocking RELEASE
      }
      r.result = null;
      r.failure = SqliteErrors.taskFailure(database, path, thrown);
      try {
        control.run(ROLLBACK_TO);
        control.run(RELEASE);
      } catch (SQLException aborted) {
        // SQLite already rolled back the whole transaction without telling the rollback hook (the hook
        // reports every rollback; kept as a safety net): the tasks before this one in it are lost too.
        StoreException lost = SqliteErrors.batchFailure(database, path, i - txStart + 1, thrown);
        for (int j = txStart; j < i; j++) {
          if (batch.get(j).failure == null) {
            batch.get(j).failure = lost;
          }
        }
        rollbackQuietly();
        beginTransaction();
        txStart = i + 1;
      }
    }
    commitOrIsolate(batch.subList(txStart, batch.size()));
  }

  /**
   * The tasks that ran before the culprit in a transaction that ended during the culprit's task:
   * committed with it if the task ran COMMIT, else lost with it (their futures fail, saying why).
   */
  private void settleEndedTransaction(List<WriteRequest<?>> before, TransactionEnd end, StoreException culprit,
      Throwable thrown) {
    StoreException lost = null;
    for (WriteRequest<?> w : before) {
      if (w.failure != null) {
        continue;
      }
      if (end == TransactionEnd.COMMITTED) {
        w.committed = true;
      } else {
        if (lost == null) {
          lost = SqliteErrors.lostWithTransaction(database, path, before.size() + 1, culprit, thrown);
        }
        w.result = null;
        w.failure = lost;
      }
    }
  }

  /**
   * Commits the open transaction, which holds the tasks of {@code inTransaction} that have not failed.
   * When the COMMIT fails on a deferred foreign key (see {@link #isolateCommitFailure}), finds the
   * task that left it. Any other COMMIT failure is thrown: nothing of the transaction was committed.
   */
  private void commitOrIsolate(List<WriteRequest<?>> inTransaction) throws SQLException {
    try {
      commitTransaction();
    } catch (SQLException e) {
      if (SqliteErrors.isStatementsInProgress(e)) {
        // REPLAY only (under SAVEPOINT, RELEASE refuses first): a task left running a statement the view
        // never saw. Reset it, then find the task the way a deferred foreign key is found.
        isolateCommitFailure(inTransaction, resetEveryStatement(e));
        return;
      }
      if (!SqliteErrors.isForeignKey(e)) {
        throw e;
      }
      isolateCommitFailure(inTransaction, e);
      return;
    }
    for (WriteRequest<?> r : inTransaction) {
      if (r.failure == null) {
        r.committed = true;
      }
    }
  }

  /**
   * The COMMIT of a transaction of several tasks failed on a deferred foreign key constraint.
   * https://www.sqlite.org/foreignkeys.html: "Deferred foreign key constraints are not checked until the
   * transaction tries to COMMIT. [...] However, COMMIT will fail as long as foreign key constraints
   * remain in violation." The transaction is still open then (checked: a BEGIN after it fails), and
   * nothing tells which task left the violation: SQLite counts deferred violations per connection
   * (SQLITE_DBSTATUS_DEFERRED_FKS), which sqlite-jdbc does not expose, and savepoints do not check
   * them at RELEASE. So the transaction is rolled back and, unless one task alone is left in it (the
   * culprit then), each of its tasks runs again in a transaction of its own: the one whose COMMIT fails
   * gets the foreign key error, the others commit. This is the one case where a task runs twice under
   * {@link TaskIsolation#SAVEPOINT} (documented there); its first run's changes were rolled back. Under
   * REPLAY the same search finds a task that left running a statement the view never saw.
   */
  private void isolateCommitFailure(List<WriteRequest<?>> inTransaction, SQLException commitFailure)
      throws SQLException {
    changes.forgetCapture();
    rollbackQuietly();
    List<WriteRequest<?>> candidates = new ArrayList<>();
    for (WriteRequest<?> r : inTransaction) {
      if (r.failure == null) {
        candidates.add(r);
      }
    }
    // A deferred foreign key is left by a task of this transaction: alone in it, it is the culprit. A
    // statement the view never saw may have been left running by a task of an earlier, rolled back
    // attempt (REPLAY): such a failure is never pinned on a task without running it alone.
    if (candidates.size() == 1 && SqliteErrors.isForeignKey(commitFailure)) {
      candidates.get(0).result = null;
      candidates.get(0).failure = SqliteErrors.deferredForeignKeyFailure(database, commitFailure);
      return;
    }
    for (WriteRequest<?> r : candidates) {
      r.result = null;
      runAlone(r);
    }
  }

  /**
   * A batch of one task under SAVEPOINT isolation: the transaction holds nothing but the task, so
   * rolling the transaction back undoes exactly what rolling its savepoint back would, and the
   * SAVEPOINT/RELEASE pair is skipped. The task runs once, its failure fails only its future, and a
   * failed task commits nothing (before: an empty COMMIT, which writes no frame and announces nothing).
   */
  private void runAlone(WriteRequest<?> r) throws SQLException {
    beginTransaction();
    Throwable thrown = runCatching(r);
    if (failIfEnded(r, thrown) != null) {
      rollbackQuietly(); // nothing to roll back but what the task may have begun itself
      return;
    }
    if (thrown == null) {
      thrown = leftRunning();
    }
    if (thrown != null) {
      statements.closeLeftovers(); // before ROLLBACK, which a statement still running would not stop
      resetIfStillRunning();
      r.result = null;
      r.failure = SqliteErrors.taskFailure(database, path, thrown);
      rollbackQuietly();
      return;
    }
    try {
      commitTransaction();
    } catch (SQLException e) {
      if (SqliteErrors.isStatementsInProgress(e)) {
        // The task left running a statement the view never saw (leftRunning found none).
        changes.forgetCapture();
        SQLException running = resetEveryStatement(e);
        rollbackQuietly();
        r.result = null;
        r.failure = SqliteErrors.taskFailure(database, path, running);
        return;
      }
      if (!SqliteErrors.isForeignKey(e)) {
        throw e;
      }
      // The transaction holds this task alone: it left the deferred foreign key violated. The failed
      // COMMIT leaves the transaction open (see isolateCommitFailure).
      changes.forgetCapture();
      rollbackQuietly();
      r.result = null;
      r.failure = SqliteErrors.deferredForeignKeyFailure(database, e);
      return;
    }
    r.committed = true;
  }

  private void runWithReplay(List<WriteRequest<?>> batch) throws SQLException {
    attempt:
    while (true) {
      beginTransaction();
      List<WriteRequest<?>> inTransaction = new ArrayList<>(batch.size());
      for (WriteRequest<?> r : batch) {
        if (r.failure != null || r.committed) {
          continue;
        }
        Throwable thrown = runCatching(r);
        TransactionEnd end = failIfEnded(r, thrown);
        if (end != null) {
          if (end == TransactionEnd.COMMITTED) {
            settleEndedTransaction(inTransaction, end, r.failure, thrown); // committed: never replayed
          }
          rollbackQuietly();
          continue attempt; // replay the rest without the task that ended the transaction
        }
        if (thrown == null) {
          thrown = leftRunning();
        }
        if (thrown instanceof UnseenStatementLeftRunning unseen) {
          // Reset already; which task of this transaction left it is unknown: find it as at COMMIT.
          List<WriteRequest<?>> suspects = new ArrayList<>(inTransaction);
          suspects.add(r);
          isolateCommitFailure(suspects, unseen);
          continue attempt; // then the rest of the batch
        }
        if (thrown != null) {
          statements.closeLeftovers();
          resetIfStillRunning(); // (under REPLAY maybe an earlier task's: it would run on into the replay)
          r.result = null;
          r.failure = SqliteErrors.taskFailure(database, path, thrown);
          rollbackQuietly();
          continue attempt; // replay the batch without the failed task
        }
        inTransaction.add(r);
      }
      commitOrIsolate(inTransaction);
      return;
    }
  }

  /**
   * After a task that returned normally: whether it left a statement running on the writer
   * connection (a query or {@code INSERT ... RETURNING} not read to the end, neither its ResultSet nor
   * its Statement closed, against the WriteTask contract), which SQLite would let no RELEASE, COMMIT or
   * SAVEPOINT past ("cannot commit transaction - SQL statements in progress"): then the task fails, and
   * the caller closes the statement and rolls the task back. Either way the statements it left open are
   * closed here or by the caller. Asked of SQLite itself (a SAVEPOINT, which fails while a write statement
   * runs), and only when the task left an uncached statement open: nothing on the common path.
   *
   * @return the failure to give the task, or null if it left nothing running
   */
  private SQLException leftRunning() throws SQLException {
    if (!statements.leftOpen()) {
      return null;
    }
    SQLException refused = probeRunning();
    statements.closeLeftovers(); // left open, running or done: closed, or it would hold native memory and a read snapshot
    if (refused == null) {
      return null;
    }
    if (probeRunning() != null) {
      // Still refused with the task's own statements closed: a statement the view never saw runs, this
      // task's (SAVEPOINT, lone: an earlier task's would have failed its own RELEASE or COMMIT) or, under
      // REPLAY, maybe an earlier task's of the same transaction (see runWithReplay).
      return resetEveryStatement(refused);
    }
    return new SQLException("the write left a statement running on the writer connection (a query or a "
        + "... RETURNING statement not read to the end, and neither its ResultSet nor its Statement closed, "
        + "against the WriteTask contract), and SQLite lets no transaction end while it runs (" + refused.getMessage()
        + "): the store closed the statement and rolled the write back", refused.getSQLState(), refused.getErrorCode(),
        refused);
  }

  /**
   * After a task failed, with the statements it opened through the view closed: resets what still runs
   * (a statement the view never saw), so that the rollback that follows leaves nothing running.
   * Failure path only.
   */
  private void resetIfStillRunning() throws SQLException {
    SQLException refused = probeRunning();
    if (refused != null) {
      resetEveryStatement(refused);
    }
  }

  /** A SAVEPOINT and its RELEASE: null, or SQLite's refusal because a write statement still runs. */
  private SQLException probeRunning() throws SQLException {
    try {
      control.run(SAVEPOINT);
      control.run(RELEASE);
      return null;
    } catch (SQLException e) {
      if (!SqliteErrors.isStatementsInProgress(e)) {
        throw e;
      }
      return e;
    }
  }

  /** What {@link #resetEveryStatement} gives the task: a statement the view never saw was left running. */
  private static final class UnseenStatementLeftRunning extends SQLException {
    private static final long serialVersionUID = 1L;

    UnseenStatementLeftRunning(String message, int code, Throwable cause) {
      super(message, null, code, cause);
    }
  }

  /**
   * Last resort, when SQLite refuses to end a transaction because a statement still runs and none of
   * the statements the task opened through the view does (it made one through {@code unwrap()} or
   * {@code Statement.getConnection()}, which the view cannot see): resets every statement of the
   * connection, found in sqlite-jdbc's private set of them (no public API of sqlite-jdbc reaches
   * sqlite3_next_stmt). Resetting an idle statement (the writer's own, the cached ones between tasks)
   * changes nothing. Without this every later write would fail ("SQL statements in progress").
   *
   * @return the failure to give the task that left it running
   */
  @SuppressWarnings("unchecked")
  private SQLException resetEveryStatement(Throwable refused) {
    try {
      java.lang.reflect.Field field = DB.class.getDeclaredField("stmts");
      field.setAccessible(true);
      for (org.sqlite.core.SafeStmtPtr p : new ArrayList<>((java.util.Set<org.sqlite.core.SafeStmtPtr>) field.get(db))) {
        if (!p.isClosed()) {
          p.safeRunInt((d, ptr) -> d.reset(ptr));
        }
      }
      log.warn("database '{}': a write left running a statement it made outside the connection it was given; every "
          + "statement of the writer connection was reset", database);
    } catch (ReflectiveOperationException | RuntimeException | SQLException e) {
      log.error("database '{}': a write left a statement running and it could not be reset: writes will fail until "
          + "it is closed", database, e);
    }
    return new UnseenStatementLeftRunning("the write left a statement running on the writer connection, made "
        + "outside the connection it was given (unwrap() or Statement.getConnection()), and SQLite lets no "
        + "transaction end while it runs (" + refused.getMessage() + "): the store reset it and rolled the write back",
        SqliteErrors.resultCode(refused), refused);
  }

  /**
   * BEGIN IMMEDIATE. Should the writer connection be inside a transaction already (nothing of the
   * writer leaves one open; a statement left running used to, through sqlite-jdbc's autocommit probe),
   * that transaction is rolled back first, with a warning: without that, every later write would fail
   * ("cannot start a transaction within a transaction").
   */
  private void beginTransaction() throws SQLException {
    try {
      control.run(BEGIN);
    } catch (SQLException e) {
      if (e.getMessage() == null || !e.getMessage().contains("within a transaction")) {
        throw e;
      }
      log.warn("database '{}': the writer connection was left inside a transaction; rolled back before the next "
          + "batch", database);
      rollbackQuietly();
      control.run(BEGIN);
    }
  }

  /** COMMIT, with the schema version read just before it (see {@link ChangeTracker#captureBeforeCommit()}). */
  private void commitTransaction() throws SQLException {
    changes.captureBeforeCommit();
    control.run(COMMIT);
  }

  /** Closes the prepared statements (before maintenance: VACUUM refuses to run with any open). */
  void closeStatements() {
    statements.clear();
    control.closeAll();
  }

  /**
   * ROLLBACK, stepped directly: through JDBC's execute, sqlite-jdbc (in autocommit mode) follows it with
   * a {@code begin;} and a {@code commit;}, and when a statement still runs that commit fails and leaves
   * the connection inside the transaction the begin opened (Review19: every later write failed).
   */
  private void rollbackQuietly() {
    try {
      control.run(ROLLBACK);
    } catch (SQLException ignored) {
      // no transaction was active: nothing to roll back
    }
  }
}
