package io.litevault.bucket;

/**
 * Why a request to an {@link ObjectStore} failed. {@link #retryable()} tells whether trying the same
 * idempotent request again may succeed.
 */
public enum ErrorKind {
  /** The key (or the source of a copy) does not exist. Not retryable. */
  NOT_FOUND(false),
  /** A conditional request's precondition did not hold (for example {@code If-Match}). Not retryable. */
  PRECONDITION_FAILED(false),
  /** The server asked us to slow down (HTTP 429, 503 SlowDown). Retryable, after a backoff. */
  THROTTLED(true),
  /** The server failed (HTTP 5xx other than throttling). Retryable. */
  SERVER_ERROR(true),
  /** No answer in time (connect, read or whole-call timeout). Retryable. */
  TIMEOUT(true),
  /** The connection was refused, reset or closed early. Retryable. */
  CONNECTION(true),
  /** The access key is unknown or the signature does not match. Not retryable: fix the configuration. */
  BAD_CREDENTIALS(false),
  /** The credentials are valid but not allowed to do this. Not retryable. */
  ACCESS_DENIED(false),
  /** The bucket does not exist. Not retryable. */
  NO_SUCH_BUCKET(false),
  /** A body read back did not match what was expected (checksum, length). Not retryable as is. */
  CORRUPT(false),
  /**
   * The key is also a prefix of other keys, or one of its prefixes is a key ({@code a} and {@code a/b}), and
   * this store cannot hold both (the file store, MinIO). Not retryable: choose keys where none is a prefix
   * of another.
   */
  KEY_CONFLICT(false),
  /** Any other refusal by the server or the client (bad request, unsupported operation). Not retryable. */
  OTHER(false);

  private final boolean retryable;

  ErrorKind(boolean retryable) {
    this.retryable = retryable;
  }

  /** Whether the same idempotent request may succeed if sent again after a pause. */
  public boolean retryable() {
    return retryable;
  }
}
