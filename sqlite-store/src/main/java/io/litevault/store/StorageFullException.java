package io.litevault.store;

/**
 * SQLite reported SQLITE_FULL: the disk (or the file-size limit) is full. The transaction was rolled
 * back; committed data is intact. Free disk space and retry; the store keeps running.
 */
public final class StorageFullException extends StoreException {
  private static final long serialVersionUID = 1L;

  public StorageFullException(String database, String path, Throwable cause) {
    super(database, "database '" + database + "' could not write to " + path
        + ": the disk is full (SQLITE_FULL). The write was rolled back and committed data is intact; "
        + "free disk space and retry", cause);
  }
}
