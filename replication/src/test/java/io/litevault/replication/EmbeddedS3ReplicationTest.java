package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link ReplicationTest} through a real S3 client against a real S3 server on loopback. */
abstract class EmbeddedS3ReplicationTest extends ReplicationTest {
  static EmbeddedS3 s3;

  @BeforeAll
  static void start() {
    s3 = EmbeddedS3.start();
  }

  @AfterAll
  static void stop() {
    s3.close();
  }

  /** The client under test. */
  abstract ObjectStore create(S3Options options);

  @Override
  ObjectStore openBucket() {
    return create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build());
  }
}
