package io.litevault.replication.torture;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.RetryPolicy;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.FaultProxy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The buckets of a torture run: a directory per schedule for the file store, or one {@link EmbeddedS3}
 * (started on first use, shared by the run, a prefix per schedule) reached through the MinIO client or the
 * AWS SDK, with a {@link FaultProxy} in front of it for the replicator.
 */
final class Buckets implements AutoCloseable {
  private EmbeddedS3 s3;
  private FaultProxy proxy;

  /**
   * The stores of one schedule.
   *
   * @param replicator what the replicator (and restores while running) use: through the proxy for S3
   * @param direct what the oracle uses: straight to the server
   * @param proxy the HTTP fault proxy, or null for the file store
   * @param location the file root, or the S3 server's endpoint (for a child JVM)
   */
  record Handles(ObjectStore replicator, ObjectStore direct, FaultProxy proxy, String location, String bucket) {}

  Handles open(Setup.BucketKind kind, Path fileRoot) throws IOException {
    if (kind == Setup.BucketKind.FILE) {
      ObjectStore fs = file(fileRoot);
      return new Handles(fs, fs, null, fileRoot.toString(), "-");
    }
    if (s3 == null) {
      s3 = EmbeddedS3.builder().bucket("torture").start();
      proxy = FaultProxy.start(s3.endpoint());
    }
    proxy.clear();
    return new Handles(client(kind, proxy.endpoint().toString(), s3.bucket()), client(kind, s3.endpoint().toString(), s3.bucket()),
        proxy, s3.endpoint().toString(), s3.bucket());
  }

  static ObjectStore file(Path root) throws IOException {
    Files.createDirectories(root);
    return FileSystemObjectStore.create(FileSystemOptions.builder(root).fsync(false).build());
  }

  /** A client of the test server; retries quickly, so injected faults cost milliseconds. */
  static ObjectStore client(Setup.BucketKind kind, String endpoint, String bucket) {
    S3Options o = S3Options.builder(bucket).endpoint(endpoint).region(EmbeddedS3.REGION)
        .credentials(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY)
        .retryPolicy(new RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(200)))
        .socketTimeout(Duration.ofSeconds(10))
        .build();
    return kind == Setup.BucketKind.MINIO ? MinioObjectStore.create(o) : S3ObjectStore.create(o);
  }

  /** Deletes a schedule's objects from the shared S3 bucket (the file bucket goes with its directory). */
  static void deletePrefix(ObjectStore store, String prefix) {
    List<String> keys;
    try (Stream<ObjectInfo> s = store.list(prefix + "/")) {
      keys = s.map(ObjectInfo::key).toList();
    }
    if (!keys.isEmpty()) {
      store.deleteAll(keys);
    }
  }

  @Override
  public void close() {
    if (proxy != null) {
      proxy.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }
}
