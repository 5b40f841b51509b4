package io.litevault.bucket.s3;

import io.litevault.bucket.ObjectStore;
import org.junit.jupiter.api.BeforeAll;

/** The contract and fault paths of {@link S3ObjectStore} (AWS SDK v2) against EmbeddedS3. */
class S3ObjectStoreTest extends S3StoreContractTest {
  @BeforeAll
  static void openStores() {
    open(S3ObjectStore::create);
  }

  @Override
  ObjectStore create(S3Options options) {
    return S3ObjectStore.create(options);
  }
}
