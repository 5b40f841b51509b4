/**
 * A directory as a bucket: {@link io.litevault.bucket.fs.FileSystemObjectStore} (configured by
 * {@link io.litevault.bucket.fs.FileSystemOptions}), for tests, demos and a local or mounted replica; and
 * {@link io.litevault.bucket.fs.Fsync}, the directory fsyncs every local writer shares.
 */
package io.litevault.bucket.fs;
