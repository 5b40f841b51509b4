package io.litevault.bucket;

import java.util.Objects;

/**
 * A request to an {@link ObjectStore} failed. Carries the {@link ErrorKind}, the operation and the key
 * (when there is one); the message names the store (endpoint and bucket, or directory) and never a
 * secret.
 *
 * <p>When this escapes a store the retry layer has already spent its attempts on it (for idempotent
 * operations) or did not retry at all (create-only put on an ambiguous failure, see
 * {@link ObjectStore#putIfAbsent}). {@link #retryable()} tells the caller whether trying again later
 * makes sense.
 */
public class ObjectStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorKind kind;
  private final String operation;
  private final String key;

  /**
   * @param kind why it failed
   * @param operation the operation, for example {@code "get"}
   * @param key the key concerned, or {@code null} for bucket-level operations
   * @param message a message naming the store, never containing a secret
   * @param cause the underlying client exception, or {@code null}
   */
  public ObjectStoreException(ErrorKind kind, String operation, String key, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.operation = Objects.requireNonNull(operation, "operation");
    this.key = key;
  }

  /** Why the request failed. */
  public ErrorKind kind() {
    return kind;
  }

  /** Whether trying the same request again later may succeed; see {@link ErrorKind#retryable()}. */
  public boolean retryable() {
    return kind.retryable();
  }

  /** The operation that failed, for example {@code "put"}, {@code "list"}. */
  public String operation() {
    return operation;
  }

  /** The key concerned, or {@code null} for an operation on the bucket itself. */
  public String key() {
    return key;
  }
}
