package io.litevault.store;

/**
 * A write reached a database whose writer thread has died (an {@link Error} escaped it). Nothing was
 * executed; no later write of this database can run until the store is closed and opened again.
 */
public final class WriterDeadException extends StoreException {
  private static final long serialVersionUID = 1L;

  public WriterDeadException(String database, Throwable cause) {
    super(database, "the writer thread of database '" + database + "' has stopped (" + cause
        + "); no write can run: close the store and open it again", cause);
  }
}
