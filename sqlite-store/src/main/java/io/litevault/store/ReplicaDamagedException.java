package io.litevault.store;

/**
 * A {@link ReplicaDatabase}'s last update failed part-way, so its file may be half-written: reads are refused
 * until an update succeeds (its owner rebuilds the file). Retry the read shortly.
 */
public final class ReplicaDamagedException extends StoreException {
  private static final long serialVersionUID = 1L;

  public ReplicaDamagedException(String database, Throwable cause) {
    super(database, "replica database '" + database + "' is being rebuilt: its last update failed part-way ("
        + WriteFailedException.describe(cause) + "), so nothing is read from it until an update succeeds; retry shortly",
        cause);
  }
}
