package io.litevault.store;

/**
 * One write task failed: it threw, or one of its statements failed (bad SQL, a constraint violation, a
 * value too big). Its changes were rolled back; the other writes of its batch were not affected. The
 * original exception is the {@linkplain #getCause() cause}.
 */
public final class WriteFailedException extends StoreException {
  private static final long serialVersionUID = 1L;
  private final int sqliteResultCode;

  public WriteFailedException(String database, Throwable cause, int sqliteResultCode) {
    super(database, "write to database '" + database + "' failed and was rolled back: " + describe(cause), cause);
    this.sqliteResultCode = sqliteResultCode;
  }

  /** SQLite's extended result code when the cause was an SQL error (e.g. 2067 SQLITE_CONSTRAINT_UNIQUE), else -1. */
  public int sqliteResultCode() {
    return sqliteResultCode;
  }

  static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
