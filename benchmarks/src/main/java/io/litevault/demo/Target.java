package io.litevault.demo;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the demo replicates: an {@link EmbeddedS3} on loopback backed by {@code <work-dir>/bucket} (the
 * default), a directory ({@code file:///dir}) or a real S3-compatible bucket ({@code s3://bucket/prefix}
 * with an endpoint; credentials from the environment). The data database's replica prefix is
 * {@code <prefix>/data}, the layout the restore command expects.
 */
final class Target implements AutoCloseable {
  final ObjectStore store;
  final String prefix;
  final String description;
  private final EmbeddedS3 embedded;
  /** For a backup target: the prefix the tiers go under ({@code <prefix>daily/...}). */
  String tierPrefix = "tiers/";
  /**
   * The store's root as the restore command's {@code --source} takes it ({@code file:///dir},
   * {@code s3://bucket}), or null for the embedded server, which is gone when the demo ends.
   */
  String rootUri;
  /** The endpoint of an {@code s3://} target, for the restore command; null otherwise. */
  String endpoint;

  private Target(ObjectStore store, String prefix, String description, EmbeddedS3 embedded) {
    this.store = store;
    this.prefix = prefix;
    this.description = description;
    this.embedded = embedded;
  }

  /** {@code target} null: EmbeddedS3 under {@code workDir/bucket}. */
  static Target open(String target, String endpoint, String client, Path workDir) throws Exception {
    if (target == null) {
      EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(workDir.resolve("bucket")).start();
      S3Options o = S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString()).region(s3.region())
          .credentials(s3.accessKey(), s3.secretKey()).build();
      ObjectStore store = "aws".equals(client) ? S3ObjectStore.create(o) : MinioObjectStore.create(o);
      return new Target(store, "litevault/data", "embedded S3 " + s3.endpoint() + " bucket " + s3.bucket()
          + " (" + client + " client)", s3);
    }
    URI u = URI.create(target);
    if ("file".equals(u.getScheme())) {
      Path dir = Path.of(u);
      Files.createDirectories(dir);
      Target t = new Target(FileSystemObjectStore.create(dir), "litevault/data", "directory " + dir, null);
      t.rootUri = dir.toUri().toString();
      return t;
    }
    if ("s3".equals(u.getScheme()) && u.getHost() != null) {
      String pre = u.getPath() == null ? "" : u.getPath().replaceAll("^/+|/+$", "");
      S3Options.Builder b = S3Options.builder(u.getHost()).pathStyle(endpoint != null);
      if (endpoint != null) {
        b.endpoint(endpoint);
      }
      S3Options o = b.build();
      ObjectStore store = "aws".equals(client) ? S3ObjectStore.create(o) : MinioObjectStore.create(o);
      Target t = new Target(store, pre.isEmpty() ? "data" : pre + "/data", store.describe(), null);
      t.rootUri = "s3://" + u.getHost();
      t.endpoint = endpoint;
      return t;
    }
    throw new IllegalArgumentException("--target must be file:///dir or s3://bucket/prefix, was: " + target);
  }

  /**
   * The backup target: {@code uri} if given (file:// or s3://, the AWS SDK on it), else a second bucket
   * of this embedded server, else {@code <work-dir>/backup}. Closing it leaves this target open.
   */
  Target backupTarget(String uri, String endpoint, Path workDir) throws Exception {
    if (uri != null) {
      Target b = open(uri, endpoint, "aws", workDir);
      String base = b.prefix.substring(0, b.prefix.length() - "data".length());
      b.tierPrefix = base + "tiers/";
      return b;
    }
    if (embedded != null) {
      embedded.createBucket("litevault-backup");
      S3Options o = S3Options.builder("litevault-backup").endpoint(embedded.endpoint().toString())
          .region(embedded.region()).credentials(embedded.accessKey(), embedded.secretKey()).build();
      return new Target(S3ObjectStore.create(o), prefix, "embedded S3 bucket litevault-backup (aws client)", null);
    }
    Path dir = Files.createDirectories(workDir.resolve("backup"));
    Target t = new Target(FileSystemObjectStore.create(dir), prefix, "directory " + dir, null);
    t.rootUri = dir.toUri().toString();
    return t;
  }

  @Override
  public void close() {
    store.close();
    if (embedded != null) {
      embedded.close();
    }
  }
}
