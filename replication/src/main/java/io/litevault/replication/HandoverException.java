package io.litevault.replication;

/**
 * A {@link Handover} could not finish before anything was let go: the writes accepted before it did not
 * commit, or did not reach the bucket, within its timeout (a long write, a bucket outage, a lost lease).
 * Nothing was released: this process still holds the lease and the store, and — when
 * {@link #writesResumed()} — serves writes again; a successor waiting for the store's lock times out.
 */
public final class HandoverException extends ReplicationException {
  private static final long serialVersionUID = 1L;
  private final boolean writesResumed;

  HandoverException(String message, Throwable cause, boolean writesResumed) {
    super(message, cause);
    this.writesResumed = writesResumed;
  }

  /** Whether this process accepts writes again (false when the store was closing meanwhile). */
  public boolean writesResumed() {
    return writesResumed;
  }
}
