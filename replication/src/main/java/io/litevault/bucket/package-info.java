/**
 * The bucket layer: {@link io.litevault.bucket.ObjectStore} is the one contract every other part uses to
 * reach a bucket (its Javadoc states missing-key behaviour, idempotence, ordering, streaming and which
 * errors are retryable). Implementations: {@link io.litevault.bucket.fs.FileSystemObjectStore} in
 * {@code .fs}, {@link io.litevault.bucket.s3.MinioObjectStore} and {@link io.litevault.bucket.s3.S3ObjectStore}
 * in {@code .s3}. Values are records ({@link io.litevault.bucket.ObjectInfo},
 * {@link io.litevault.bucket.PutResult}, {@link io.litevault.bucket.OperationStats}); failures are
 * {@link io.litevault.bucket.ObjectStoreException}s with an {@link io.litevault.bucket.ErrorKind}; every
 * request is counted in {@link io.litevault.bucket.ObjectStoreMetrics}. Nothing here knows SQLite.
 */
package io.litevault.bucket;
