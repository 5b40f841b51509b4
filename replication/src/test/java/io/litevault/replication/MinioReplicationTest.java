package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;

/** Replication end to end through the Minio client. */
class MinioReplicationTest extends EmbeddedS3ReplicationTest {
  @Override
  ObjectStore create(S3Options options) {
    return MinioObjectStore.create(options);
  }
}
