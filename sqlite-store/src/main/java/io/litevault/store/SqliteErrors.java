package io.litevault.store;

import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** Maps what SQLite threw to the store's typed exceptions. */
final class SqliteErrors {
  private static final int SQLITE_FULL = 13;
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
