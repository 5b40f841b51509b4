/**
 * The S3 stores: {@link io.litevault.bucket.s3.MinioObjectStore} (MinIO Java client, the primary
 * replica target) and {@link io.litevault.bucket.s3.S3ObjectStore} (AWS SDK v2, the AWS backup
 * target), configured by one {@link io.litevault.bucket.s3.S3Options}.
 *
 * <p>Both share one package-private engine: the single retry layer (client retries off), multipart
 * uploads with one part buffer, create-only puts, resumable ranged GETs, paged listings and metrics. The
 * subclasses only send single raw requests and classify their client's exceptions.
 */
package io.litevault.bucket.s3;
