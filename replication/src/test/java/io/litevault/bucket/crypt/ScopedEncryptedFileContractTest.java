package io.litevault.bucket.crypt;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreContractTest;
import io.litevault.bucket.fs.FileSystemObjectStore;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The whole {@link ObjectStore} contract through a scoped {@link EncryptedObjectStore} (format version 2) over the file store. */
class ScopedEncryptedFileContractTest extends ObjectStoreContractTest {
  @TempDir
  static Path dir;
  static ObjectStore store;

  @BeforeAll
  static void open() {
    store = EncryptedObjectStore.wrap(FileSystemObjectStore.create(dir), TestKeys.provider(TestKeys.fresh())).scoped("orders");
  }

  @AfterAll
  static void close() {
    store.close();
  }

  @Override
  protected ObjectStore store() {
    return store;
  }

  @Override
  protected int minimumPartsForLarge() {
    return 1;
  }

  @Override
  protected long expectedListPages(int n) {
    return 1;
  }
}
