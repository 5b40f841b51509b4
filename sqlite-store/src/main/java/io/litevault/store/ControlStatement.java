package io.litevault.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.sqlite.core.CoreStatement;
import org.sqlite.core.DB;
import org.sqlite.core.SafeStmtPtr;

/**
 * One of the writer's own statements run once or more per batch ({@code BEGIN IMMEDIATE},
 * {@code COMMIT}, {@code SAVEPOINT}, {@code RELEASE}, {@code PRAGMA schema_version}): prepared once and
 * stepped on SQLite directly.
 *
 * <p>Why not {@code PreparedStatement.execute()}: sqlite-jdbc runs, after every statement, a regular
 * expression over its SQL to learn whether it was an INSERT (for generated keys), and in autocommit
 * mode (the writer connection's JDBC mode: the store begins and commits itself) steps a
 * {@code begin;} that fails inside our transaction, or a {@code begin; commit;} pair after it. A profile
 * of one write per transaction put that machinery at a tenth of the writer thread's time. The SQL and
 * its effect on the database are the same; a failure throws the same {@code SQLiteException} (code
 * and message read from SQLite before the statement is reset) that the JDBC path throws.
 *
 * <p>Writer thread only. A statement is reset after each run, so none is left active (VACUUM refuses
 * to run while one is); {@link #close()} finalizes it (before maintenance and at close).
 */
final class ControlStatement implements AutoCloseable {
  private static final int SQLITE_ROW = 100;
  private static final int SQLITE_DONE = 101;

  private final PreparedStatement statement;
  private final SafeStmtPtr pointer;
  private final DB db;

  ControlStatement(Connection connection, String sql) throws SQLException {
    this.statement = connection.prepareStatement(sql);
    CoreStatement core = (CoreStatement) statement;
    this.pointer = core.pointer;
    this.db = core.getDatabase();
  }

  /** Runs the statement to completion (rows, if any, are ignored) and resets it. */
  void execute() throws SQLException {
    int rc = pointer.safeRunInt(ControlStatement::step);
    try {
      int primary = rc & 0xff;
      if (primary != SQLITE_DONE && primary != SQLITE_ROW) {
        db.throwex(rc); // reads SQLite's message for this error: before the reset below
      }
    } finally {
      pointer.safeRunInt(ControlStatement::reset);
    }
  }

  /** Runs a statement that yields one integer (a PRAGMA), resets it, and returns that integer (0 if no row). */
  int queryInt() throws SQLException {
    int rc = pointer.safeRunInt(ControlStatement::step);
    try {
      int primary = rc & 0xff;
      if (primary == SQLITE_ROW) {
        return pointer.safeRunInt(ControlStatement::firstColumn);
      }
      if (primary != SQLITE_DONE) {
        db.throwex(rc);
      }
      return 0;
    } finally {
      pointer.safeRunInt(ControlStatement::reset);
    }
  }

  private static int step(DB db, long p) throws SQLException {
    return db.step(p);
  }

  private static int reset(DB db, long p) throws SQLException {
    return db.reset(p);
  }

  private static int firstColumn(DB db, long p) throws SQLException {
    return db.column_int(p, 0);
  }

  @Override
  public void close() {
    try {
      statement.close();
    } catch (SQLException ignored) {
      // finalizing a statement of a healthy connection does not fail; nothing to do if it did
    }
  }
}
