/**
 * Continuous replication to S3-compatible storage (issue: replication), and its bucket layer.
 *
 * <p>The bucket layer: {@link io.litevault.replication.ObjectStore} is the one contract every other part
 * uses to reach a bucket (its Javadoc states missing-key behaviour, idempotence, ordering, streaming and
 * which errors are retryable). Implementations: {@link io.litevault.replication.FileSystemObjectStore}
 * here, {@link io.litevault.replication.s3.MinioObjectStore} and {@link io.litevault.replication.s3.S3ObjectStore}
 * in {@code .s3}. Values are records ({@link io.litevault.replication.ObjectInfo},
 * {@link io.litevault.replication.PutResult}, {@link io.litevault.replication.OperationStats}); failures are
 * {@link io.litevault.replication.ObjectStoreException}s with an {@link io.litevault.replication.ErrorKind};
 * every request is counted in {@link io.litevault.replication.ObjectStoreMetrics}.
 */
package io.litevault.replication;
