package io.litevault.bucket.crypt;

import io.litevault.bucket.ObjectStore;

/**
 * The whole {@link ObjectStore} contract through a scoped {@link EncryptedObjectStore} (format version 2) over the
 * file store: the same suite as {@link EncryptedFileContractTest}, every call through a view scoped "orders".
 */
class ScopedEncryptedFileContractTest extends EncryptedFileContractTest {
  @Override
  protected ObjectStore store() {
    return ((EncryptedObjectStore) super.store()).scoped("orders");
  }
}
