package io.litevault.replication.follow;

import io.litevault.replication.ReplicationException;

/** A follower cannot start or serve: the message says what was wrong and what to do. */
public final class FollowerException extends ReplicationException {
  private static final long serialVersionUID = 1L;

  public FollowerException(String message, Throwable cause) {
    super(message, cause);
  }
}
