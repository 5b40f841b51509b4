package io.litevault.bucket;

/**
 * The key asked for does not exist: thrown by {@link ObjectStore#get} and by {@link ObjectStore#copy}
 * for a missing source. Never retryable. ({@link ObjectStore#stat} returns an empty {@code Optional}
 * instead, and {@link ObjectStore#delete} of a missing key succeeds.)
 */
public final class ObjectNotFoundException extends ObjectStoreException {
  private static final long serialVersionUID = 1L;

  public ObjectNotFoundException(String operation, String key, String store, Throwable cause) {
    super(ErrorKind.NOT_FOUND, operation, key, operation + " " + key + ": no such key in " + store, cause);
  }
}
