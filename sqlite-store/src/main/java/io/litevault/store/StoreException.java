package io.litevault.store;

/**
 * Base of every exception the store throws for a database operation. The message names the database
 * and says what went wrong and, where there is one, what to do.
 */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String database;

  public StoreException(String database, String message, Throwable cause) {
    super(message, cause);
    this.database = database;
  }

  public StoreException(String database, String message) {
    this(database, message, null);
  }

  /** The database the failure concerns, or null for a store-wide failure. */
  public String database() {
    return database;
  }
}
