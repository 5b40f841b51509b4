package io.litevault.bucket;

/**
 * The store cannot be used at all: wrong credentials, a bucket that does not exist, access denied or an
 * endpoint that does not answer. Thrown by {@link ObjectStore#verify()} at startup (and by any operation
 * that meets the same condition later). The message names the endpoint and the bucket, never the secret.
 */
public final class StoreUnavailableException extends ObjectStoreException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(ErrorKind kind, String operation, String message, Throwable cause) {
    super(kind, operation, null, message, cause);
  }
}
