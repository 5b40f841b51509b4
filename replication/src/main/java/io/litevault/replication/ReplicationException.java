package io.litevault.replication;

/** Replication could not start or had to stop; the message says why and what to do. */
public class ReplicationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ReplicationException(String message, Throwable cause) {
    super(message, cause);
  }

  public ReplicationException(String message) {
    super(message);
  }
}
