package io.litevault.bucket.crypt;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreContractTest;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.EmbeddedS3Extension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole {@link ObjectStore} contract through {@link EncryptedObjectStore} over MinioObjectStore and the embedded S3 server. */
class EncryptedMinioContractTest extends ObjectStoreContractTest {
  @RegisterExtension
  static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();

  static ObjectStore store;

  @BeforeAll
  static void open() {
    EmbeddedS3 s3 = S3.server();
    store = EncryptedObjectStore.wrap(MinioObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build()), TestKeys.provider(TestKeys.fresh()));
  }

  @AfterAll
  static void close() {
    store.close();
  }

  @Override
  protected ObjectStore store() {
    return store;
  }
}
