package io.litevault.store;

import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** Maps what SQLite threw to the store's typed exceptions. */
final class SqliteErrors {
  private static final int SQLITE_FULL = 13;
  private static final int SQLITE_BUSY = 5;
  /** SQLITE_CONSTRAINT_FOREIGNKEY: what a COMMIT answers when a deferred foreign key is still violated. */
  static final int SQLITE_CONSTRAINT_FOREIGNKEY = 787;

  private SqliteErrors() {}

  /** SQLite's extended result code somewhere in the cause chain, or -1. */
  static int resultCode(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLiteException e) {
        SQLiteErrorCode code = e.getResultCode();
        return code == null ? e.getErrorCode() : code.code;
      }
      if (c instanceof SQLException e && e.getErrorCode() != 0) {
        return e.getErrorCode();
      }
    }
    return -1;
  }

  static boolean isDiskFull(Throwable t) {
    int code = resultCode(t);
    return code >= 0 && (code & 0xff) == SQLITE_FULL;
  }

  /** SAVEPOINT, RELEASE or COMMIT refused while a write statement of the connection still runs. */
  static boolean isStatementsInProgress(Throwable t) {
    int code = resultCode(t);
    String m = t.getMessage();
    return code >= 0 && (code & 0xff) == SQLITE_BUSY && m != null && m.contains("statements in progress");
  }

  static boolean isForeignKey(Throwable t) {
    return resultCode(t) == SQLITE_CONSTRAINT_FOREIGNKEY;
  }

  /**
   * The failure of the one task whose changes left a deferred foreign key violated: the COMMIT of a
   * transaction holding that task alone failed with {@code e}.
   */
  static StoreException deferredForeignKeyFailure(String database, SQLException e) {
    SQLException cause = new SQLException("COMMIT failed on a deferred foreign key constraint (DEFERRABLE "
        + "INITIALLY DEFERRED, checked only at COMMIT) that this write left violated: " + e.getMessage(),
        e.getSQLState(), SQLITE_CONSTRAINT_FOREIGNKEY, e);
    return new WriteFailedException(database, cause, SQLITE_CONSTRAINT_FOREIGNKEY);
  }

  /**
   * The failure of a task during which SQLite's transaction ended (see BatchRunner#transactionEnded):
   * everything the task ran after that was refused, so what it wrote is either all rolled back (the
   * transaction was rolled back) or, if it ran COMMIT itself, in the database up to that COMMIT.
   */
  static StoreException transactionEnded(String database, String path, BatchRunner.TransactionEnd end,
      Throwable thrown) {
    if (thrown != null && isDiskFull(thrown)) {
      return new StorageFullException(database, path, thrown);
    }
    if (end == BatchRunner.TransactionEnd.COMMITTED) {
      // Not a WriteFailedException, whose message says "rolled back": part of this write is committed.
      return new StoreException(database, "write to database '" + database + "' ended the writer's transaction "
          + "itself with COMMIT (a WriteTask must not commit or roll back): what it wrote up to that COMMIT is "
          + "committed, the statements it ran after it were refused"
          + (thrown == null ? "" : "; the write threw " + WriteFailedException.describe(thrown)), thrown);
    }
    String how = "SQLite rolled back the whole transaction while the write ran (a conflict clause such as INSERT OR "
            + "ROLLBACK, a trigger's RAISE(ROLLBACK), a ROLLBACK statement, or an error SQLite answers with a "
            + "rollback); the statements the write ran after that were refused (SQLITE_INTERRUPT), so nothing "
            + "of it is committed";
    int code = thrown == null ? -1 : resultCode(thrown);
    SQLException cause = new SQLException(how + (thrown == null ? "" : "; the write threw "
        + WriteFailedException.describe(thrown)), null, Math.max(code, 0), thrown);
    return new WriteFailedException(database, cause, code);
  }

  /** The failure of the writes that ran in a transaction before the task during which SQLite rolled it back. */
  static StoreException lostWithTransaction(String database, String path, int transactionSize, StoreException culprit,
      Throwable thrown) {
    if (thrown != null && isDiskFull(thrown)) {
      return new StorageFullException(database, path, thrown);
    }
    return new CommitFailedException(database, transactionSize, new SQLException(
        "another write of the same transaction made SQLite roll the whole transaction back: " + culprit.getMessage(),
        culprit));
  }

  /** A task's failure as the caller sees it. */
  static StoreException taskFailure(String database, String path, Throwable t) {
    if (t instanceof StoreException e) {
      return e;
    }
    if (isDiskFull(t)) {
      return new StorageFullException(database, path, t);
    }
    return new WriteFailedException(database, t, resultCode(t));
  }

  /** A BEGIN/COMMIT failure as every caller of the batch sees it. */
  static StoreException batchFailure(String database, String path, int batchSize, Throwable t) {
    if (isDiskFull(t)) {
      return new StorageFullException(database, path, t);
    }
    return new CommitFailedException(database, batchSize, t);
  }
}
