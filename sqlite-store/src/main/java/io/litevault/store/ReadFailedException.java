package io.litevault.store;

/** A read task threw or its SQL failed; the cause is the original exception. */
public final class ReadFailedException extends StoreException {
  private static final long serialVersionUID = 1L;

  public ReadFailedException(String database, Throwable cause) {
    super(database, "read from database '" + database + "' failed: " + WriteFailedException.describe(cause), cause);
  }
}
