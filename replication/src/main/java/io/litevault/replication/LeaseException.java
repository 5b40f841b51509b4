package io.litevault.replication;

/**
 * Another process holds the lease of this replica prefix: two processes replicating the same database
 * to the same prefix would corrupt each other's history, so this one refuses to (no split brain).
 */
public final class LeaseException extends ReplicationException {
  private static final long serialVersionUID = 1L;

  public LeaseException(String message) {
    super(message);
  }
}
