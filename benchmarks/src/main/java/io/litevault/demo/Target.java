package io.litevault.demo;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreOptions;
import io.litevault.bucket.ObjectStores;
import io.litevault.bucket.OpenedStore;
import io.litevault.bucket.StoreUri;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.cli.Cli;
import io.litevault.testing.EmbeddedS3;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where the demo replicates: an {@link EmbeddedS3} on loopback backed by {@code <work-dir>/bucket} (the
 * default), or a store URI opened by {@link ObjectStores}: a directory ({@code file:///dir}, created if
 * missing) or a real S3-compatible bucket ({@code s3://bucket/prefix} with an endpoint; credentials from
 * the environment). The data database's replica prefix is
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

  /** {@code target} null: EmbeddedS3 under {@code workDir/bucket}; else a store URI ({@link ObjectStores}). */
  static Target open(String target, String endpoint, String client, Path workDir) throws Exception {
    ObjectStoreOptions.Client library = ObjectStoreOptions.Client.valueOf(client.toUpperCase(Locale.ROOT));
    if (target == null) {
      EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(workDir.resolve("bucket")).start();
      ObjectStore store = embedded(s3, s3.bucket(), library);
      return new Target(store, "litevault/data", "embedded S3 " + s3.endpoint() + " bucket " + s3.bucket()
          + " (" + client + " client)", s3);
    }
    StoreUri uri = Cli.uri("--target", target);
    ObjectStoreOptions.Builder b = ObjectStoreOptions.builder().client(library).createDirectories(true);
    Cli.flag("--endpoint", () -> b.endpoint(endpoint));
    OpenedStore opened = ObjectStores.open(uri, b.build());
    String data = opened.keyPrefix() + "data";
    if (uri instanceof StoreUri.Directory d) {
      Target t = new Target(opened.store(), "litevault/data", "directory " + d.path(), null);
      t.rootUri = d.toString();
      return t;
    }
    Target t = new Target(opened.store(), data, opened.store().describe(), null);
    t.rootUri = "s3://" + ((StoreUri.Bucket) uri).name();
    t.endpoint = endpoint;
    return t;
  }

  /** A store on a bucket of the embedded server, credentials given as the AWS variables would give them. */
  private static ObjectStore embedded(EmbeddedS3 s3, String bucket, ObjectStoreOptions.Client client) {
    ObjectStoreOptions o = ObjectStoreOptions.builder().client(client).endpoint(s3.endpoint().toString())
        .region(s3.region()).environment(Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY",
            s3.secretKey())).build();
    return ObjectStores.open(URI.create("s3://" + bucket), o).store();
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
      return new Target(embedded(embedded, "litevault-backup", ObjectStoreOptions.Client.AWS), prefix,
          "embedded S3 bucket litevault-backup (aws client)", null);
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
