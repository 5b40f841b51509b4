package io.litevault.replication.restore;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectStoreException;

/**
 * Finds, in a failure, the store's own verdict that an object's body is bad ({@link ErrorKind#CORRUPT}: for
 * example an encrypted object that does not decrypt, {@code bucket.crypt.ObjectDecryptionException}),
 * thrown when the object is opened or wrapped in the {@link java.io.IOException} of a read. A restore treats it
 * as a corrupt object (naming the newest restorable point), not as a failing disk or network.
 */
final class Undecodable {
  private Undecodable() {}

  /** The corrupt-object failure in {@code t} or its causes, or null. */
  static ObjectStoreException in(Throwable t) {
    for (int depth = 0; t != null && depth < 4; depth++, t = t.getCause()) {
      if (t instanceof ObjectStoreException e && e.kind() == ErrorKind.CORRUPT) {
        return e;
      }
    }
    return null;
  }
}
