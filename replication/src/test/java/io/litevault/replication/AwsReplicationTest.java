package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;

/** Replication end to end through the Aws client. */
class AwsReplicationTest extends EmbeddedS3ReplicationTest {
  @Override
  ObjectStore create(S3Options options) {
    return S3ObjectStore.create(options);
  }
}
