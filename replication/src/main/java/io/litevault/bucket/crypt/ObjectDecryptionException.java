package io.litevault.bucket.crypt;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectStoreException;

/**
 * An object read through an {@link EncryptedObjectStore} cannot be decrypted: the one error for a wrong key, a
 * key id the keyset does not hold, a tampered, truncated or swapped object, or an object that was never
 * encrypted. Its {@link #kind()} is {@link ErrorKind#CORRUPT} (not retryable); {@link #reason()} tells which.
 * The message names the object's key and the key id from its header, and says what to do; it never carries
 * key material or a cipher's stack trace (there is no cause).
 */
public final class ObjectDecryptionException extends ObjectStoreException {
  private static final long serialVersionUID = 1L;

  /** Why the object cannot be decrypted. */
  public enum Reason {
    /** The object does not start with the encrypted format's magic: written without encryption. */
    NOT_ENCRYPTED,
    /** A format version this build cannot read. */
    UNSUPPORTED_VERSION,
    /** The object was written for a key scope and the reader has none. */
    SCOPE_REQUIRED,
    /** The object was written without a key scope and the reader reads only its scope. */
    UNSCOPED_OBJECT,
    /** The key id in the header is not an enabled key of the keyset. */
    UNKNOWN_KEY,
    /**
     * Authentication failed: another key with the same id, or bytes changed, cut off or moved from another key,
     * or (a scoped object) another scope's object.
     */
    AUTHENTICATION_FAILED
  }

  private final Reason reason;
  private final Long keyId;

  ObjectDecryptionException(Reason reason, String operation, String key, Long keyId, String message) {
    super(ErrorKind.CORRUPT, operation, key, message, null);
    this.reason = reason;
    this.keyId = keyId;
  }

  /** Why. */
  public Reason reason() {
    return reason;
  }

  /** The key id the object's header names (unsigned), or -1 when the header could not be read. */
  public long keyId() {
    return keyId == null ? -1 : keyId;
  }
}
