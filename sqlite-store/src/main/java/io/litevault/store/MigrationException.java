package io.litevault.store;

/** A migration failed at open; the database was left as it was and the store did not open. */
public final class MigrationException extends StoreException {
  private static final long serialVersionUID = 1L;

  public MigrationException(String database, String message, Throwable cause) {
    super(database, message, cause);
  }
}
