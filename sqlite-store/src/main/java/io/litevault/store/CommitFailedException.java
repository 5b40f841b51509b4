package io.litevault.store;

/**
 * The COMMIT (or BEGIN) of a batch failed, for example with an I/O error: none of the writes of that
 * batch were committed, and each of their futures fails with this exception. Later batches are tried
 * afresh.
 */
public final class CommitFailedException extends StoreException {
  private static final long serialVersionUID = 1L;

  public CommitFailedException(String database, int batchSize, Throwable cause) {
    super(database, "commit of a batch of " + batchSize + " write(s) to database '" + database
        + "' failed and was rolled back: " + WriteFailedException.describe(cause), cause);
  }
}
