package io.litevault.store;

import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** Maps what SQLite threw to the store's typed exceptions. */
final class SqliteErrors {
  private static final int SQLITE_FULL = 13;

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
