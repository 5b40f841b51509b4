package io.litevault.store;

/** A write or read reached a database whose store is closing or closed. Nothing was executed. */
public final class StoreClosedException extends StoreException {
  private static final long serialVersionUID = 1L;

  public StoreClosedException(String database) {
    super(database, "database '" + database + "' is closed: the store was closed, open a new SqliteStore");
  }
}
