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
  private final boolean scopedObject;

  ObjectDecryptionException(Reason reason, String operation, String key, Long keyId, String message,
      boolean scopedObject) {
    super(ErrorKind.CORRUPT, operation, key, message, null);
    this.reason = reason;
    this.keyId = keyId;
    this.scopedObject = scopedObject;
  }

  /** Whether the object was written for a key scope (envelope version 2). */
  public boolean scopedObject() {
    return scopedObject;
  }

  /**
   * The decryption failure behind {@code e} that the reader's settings may explain, or empty: certainly
   * ({@link #settingsCertain()}: a key scope missing, or an unscoped object read in a scope), or possibly (a
   * key id the keyset lacks, a scoped object that does not authenticate: another scope's, or damaged; one
   * object cannot tell, review 32). An older point is no answer to the first (it would drop every write since,
   * review 31); to the second only once the keyset and the scope are known to be right.
   */
  public static java.util.Optional<ObjectDecryptionException> settingsProblem(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ObjectDecryptionException d && (d.settingsCertain() || d.reason == Reason.UNKNOWN_KEY
          || (d.reason == Reason.AUTHENTICATION_FAILED && d.scopedObject))) {
        return java.util.Optional.of(d);
      }
    }
    return java.util.Optional.empty();
  }

  /** Whether the reader's settings alone explain this failure: a key scope missing, or not allowed history. */
  public boolean settingsCertain() {
    return reason == Reason.SCOPE_REQUIRED || reason == Reason.UNSCOPED_OBJECT;
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
