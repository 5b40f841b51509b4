package io.litevault.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one drained batch of write tasks as ONE transaction, isolating failing tasks as
 * {@link TaskIsolation} says. Fills each request's {@code result} or {@code failure}; never throws
 * for a task's error. Runs on the writer thread only.
 */
final class BatchRunner {
  private final String database;
  private final String path;
  private final Connection connection;
  private final TaskIsolation isolation;
  /** Told just before each COMMIT (see {@link ChangeTracker#captureBeforeCommit()}). */
  private final ChangeTracker changes;
  /** What tasks run on: the writer connection with its prepared statements cached. */
  private final StatementCache statements;
  /**
   * Prepared once: each task's SAVEPOINT/RELEASE would otherwise be compiled again (~4 us a task), and
   * each batch's BEGIN IMMEDIATE/COMMIT too; run through {@link ControlStatement}, not JDBC's execute.
   */
  private ControlStatement begin;
  private ControlStatement commit;
  private ControlStatement savepoint;
  private ControlStatement release;

  BatchRunner(String database, String path, Connection connection, TaskIsolation isolation, int statementCacheSize,
      ChangeTracker changes) {
    this.database = database;
    this.path = path;
    this.connection = connection;
    this.isolation = isolation;
    this.changes = changes;
    this.statements = new StatementCache(connection, statementCacheSize);
  }

  /** Runs one task on the caching view of the connection; what it left open is handed back after. */
  private Object runTask(WriteRequest<?> r) throws Exception {
    try {
      return r.run(statements.connection());
    } finally {
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
      return isolation == TaskIsolation.SAVEPOINT ? runWithSavepoints(batch) : runWithReplay(batch);
    } catch (SQLException e) {
      // BEGIN or COMMIT failed: nothing of this transaction is in the database.
      changes.forgetCapture();
      rollbackQuietly();
      StoreException failure = SqliteErrors.batchFailure(database, path, batch.size(), e);
      for (WriteRequest<?> r : batch) {
        if (r.failure == null) {
          r.failure = failure;
        }
      }
      return 0;
    }
  }

  private int runWithSavepoints(List<WriteRequest<?>> batch) throws SQLException {
    if (batch.size() == 1) {
      return runAlone(batch.get(0));
    }
    begin().execute();
    int txStart = 0; // first request of the current transaction
    for (int i = 0; i < batch.size(); i++) {
      WriteRequest<?> r = batch.get(i);
      savepoint().execute();
      try {
        r.result = runTask(r);
        release().execute();
      } catch (Throwable t) {
        r.failure = SqliteErrors.taskFailure(database, path, t);
        try (Statement s = connection.createStatement()) {
          s.execute("ROLLBACK TO lv_task");
          s.execute("RELEASE lv_task");
        } catch (SQLException aborted) {
          // SQLite already rolled back the whole transaction (SQLITE_FULL, I/O errors, or a task
          // that ended it): the tasks before this one in it are lost too. Go on in a new one.
          StoreException lost = SqliteErrors.batchFailure(database, path, i - txStart + 1, t);
          for (int j = txStart; j < i; j++) {
            if (batch.get(j).failure == null) {
              batch.get(j).failure = lost;
            }
          }
          rollbackQuietly();
          begin().execute();
          txStart = i + 1;
        }
      }
    }
    return commitOrIsolate(batch.subList(txStart, batch.size()));
  }

  /**
   * Commits the open transaction, which holds the tasks of {@code inTransaction} that have not failed.
   * When the COMMIT fails on a deferred foreign key (see {@link #isolateForeignKeyViolation}), finds the
   * task that left it. Any other COMMIT failure is thrown: nothing of the transaction was committed.
   *
   * @return how many tasks committed
   */
  private int commitOrIsolate(List<WriteRequest<?>> inTransaction) throws SQLException {
    try {
      commitTransaction();
    } catch (SQLException e) {
      if (!SqliteErrors.isForeignKey(e)) {
        throw e;
      }
      return isolateForeignKeyViolation(inTransaction, e);
    }
    int committed = 0;
    for (WriteRequest<?> r : inTransaction) {
      if (r.failure == null) {
        committed++;
      }
    }
    return committed;
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
   * {@link TaskIsolation#SAVEPOINT} (documented there); its first run's changes were rolled back.
   */
  private int isolateForeignKeyViolation(List<WriteRequest<?>> inTransaction, SQLException commitFailure)
      throws SQLException {
    changes.forgetCapture();
    rollbackQuietly();
    List<WriteRequest<?>> candidates = new ArrayList<>();
    for (WriteRequest<?> r : inTransaction) {
      if (r.failure == null) {
        candidates.add(r);
      }
    }
    if (candidates.size() == 1) {
      candidates.get(0).failure = SqliteErrors.deferredForeignKeyFailure(database, commitFailure);
      return 0;
    }
    int committed = 0;
    for (WriteRequest<?> r : candidates) {
      r.result = null;
      committed += runAlone(r);
    }
    return committed;
  }

  /**
   * A batch of one task under SAVEPOINT isolation: the transaction holds nothing but the task, so
   * rolling the transaction back undoes exactly what rolling its savepoint back would, and the
   * SAVEPOINT/RELEASE pair is skipped. The task runs once, its failure fails only its future, and a
   * failed task commits nothing (before: an empty COMMIT, which writes no frame and announces nothing).
   */
  private int runAlone(WriteRequest<?> r) throws SQLException {
    begin().execute();
    try {
      r.result = runTask(r);
    } catch (Throwable t) {
      r.failure = SqliteErrors.taskFailure(database, path, t);
      rollbackQuietly(); // quiet: SQLite may have rolled back already (SQLITE_FULL, or the task ended it)
      return 0;
    }
    try {
      commitTransaction();
    } catch (SQLException e) {
      if (!SqliteErrors.isForeignKey(e)) {
        throw e;
      }
      // The transaction holds this task alone: it left the deferred foreign key violated. The failed
      // COMMIT leaves the transaction open (see isolateForeignKeyViolation).
      changes.forgetCapture();
      rollbackQuietly();
      r.failure = SqliteErrors.deferredForeignKeyFailure(database, e);
      return 0;
    }
    return 1;
  }

  private int runWithReplay(List<WriteRequest<?>> batch) throws SQLException {
    attempt:
    while (true) {
      begin().execute();
      int ran = 0;
      for (WriteRequest<?> r : batch) {
        if (r.failure != null) {
          continue;
        }
        try {
          r.result = runTask(r);
          ran++;
        } catch (Throwable t) {
          r.failure = SqliteErrors.taskFailure(database, path, t);
          rollbackQuietly();
          continue attempt; // replay the batch without the failed task
        }
      }
      List<WriteRequest<?>> inTransaction = new ArrayList<>(ran);
      for (WriteRequest<?> r : batch) {
        if (r.failure == null) {
          inTransaction.add(r);
        }
      }
      return commitOrIsolate(inTransaction);
    }
  }

  /** COMMIT, with the schema version read just before it (see {@link ChangeTracker#captureBeforeCommit()}). */
  private void commitTransaction() throws SQLException {
    changes.captureBeforeCommit();
    commit().execute();
  }

  private ControlStatement begin() throws SQLException {
    if (begin == null) {
      begin = new ControlStatement(connection, "BEGIN IMMEDIATE");
    }
    return begin;
  }

  private ControlStatement commit() throws SQLException {
    if (commit == null) {
      commit = new ControlStatement(connection, "COMMIT");
    }
    return commit;
  }

  private ControlStatement savepoint() throws SQLException {
    if (savepoint == null) {
      savepoint = new ControlStatement(connection, "SAVEPOINT lv_task");
    }
    return savepoint;
  }

  private ControlStatement release() throws SQLException {
    if (release == null) {
      release = new ControlStatement(connection, "RELEASE lv_task");
    }
    return release;
  }

  /** Closes the prepared statements (before maintenance: VACUUM refuses to run with any open). */
  void closeStatements() {
    statements.clear();
    for (ControlStatement p : new ControlStatement[] {begin, commit, savepoint, release}) {
      if (p != null) {
        p.close();
      }
    }
    begin = null;
    commit = null;
    savepoint = null;
    release = null;
  }

  private void rollbackQuietly() {
    try (Statement s = connection.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException ignored) {
      // no transaction was active: nothing to roll back
    }
  }
}
