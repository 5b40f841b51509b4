package io.litevault.bucket.s3;

import io.litevault.bucket.ObjectStore;
import org.junit.jupiter.api.BeforeAll;

/** The contract and fault paths of {@link MinioObjectStore} against EmbeddedS3. */
class MinioObjectStoreTest extends S3StoreContractTest {
  @BeforeAll
  static void openStores() {
    open(MinioObjectStore::create);
  }

  @Override
  ObjectStore create(S3Options options) {
    return MinioObjectStore.create(options);
  }
}
