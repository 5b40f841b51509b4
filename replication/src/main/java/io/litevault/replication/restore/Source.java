package io.litevault.replication.restore;

import io.litevault.replication.FileSystemObjectStore;
import io.litevault.replication.ObjectStore;
import io.litevault.replication.s3.MinioObjectStore;
import io.litevault.replication.s3.S3ObjectStore;
import io.litevault.replication.s3.S3Options;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Where to restore from: {@code file:///dir} (a {@link FileSystemObjectStore} root) or
 * {@code s3://bucket[/prefix]}. The replica prefix of database {@code name} is {@code <prefix>/<name>}
 * ({@code <name>} alone when the URI has no prefix): a replicator started with prefix
 * {@code litevault/data} is restored with {@code --source s3://bucket/litevault --database data}.
 *
 * @param scheme {@code file} or {@code s3}
 * @param location the directory (file) or bucket (s3)
 * @param prefix the key prefix inside it, without leading or trailing {@code /}; may be empty
 */
record Source(String scheme, String location, String prefix) {

  /** Parses {@code --source}; a bad URI throws {@link IllegalArgumentException} with a one-line reason. */
  static Source parse(String uri) {
    URI u;
    try {
      u = new URI(uri);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--source is not a URI: " + uri + " (" + e.getReason() + ")");
    }
    String scheme = u.getScheme();
    if ("file".equals(scheme)) {
      if (u.getPath() == null || u.getPath().isEmpty() || (u.getAuthority() != null && !u.getAuthority().isEmpty())) {
        throw new IllegalArgumentException("--source file URI must be file:///absolute/dir, was: " + uri);
      }
      return new Source("file", Path.of(u).toString(), "");
    }
    if ("s3".equals(scheme)) {
      if (u.getHost() == null || u.getHost().isEmpty()) {
        throw new IllegalArgumentException("--source must be s3://bucket[/prefix], was: " + uri);
      }
      if (u.getUserInfo() != null || u.getPort() != -1 || u.getQuery() != null) {
        throw new IllegalArgumentException("--source must be s3://bucket[/prefix] (credentials come from "
            + "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, never the URI), was: " + u.getScheme() + "://" + u.getHost() + "/...");
      }
      String path = u.getPath() == null ? "" : u.getPath().replaceAll("^/+|/+$", "");
      return new Source("s3", u.getHost(), path);
    }
    throw new IllegalArgumentException("--source must start with file:// or s3://, was: " + uri);
  }

  /** The replica prefix of {@code database}. */
  String replicaPrefix(String database) {
    return prefix.isEmpty() ? database : prefix + "/" + database;
  }

  /**
   * Opens the store. For s3: {@code endpoint} null means AWS S3 (virtual-hosted addressing), otherwise
   * path-style as MinIO wants; credentials come from the environment or the default provider chain.
   */
  ObjectStore open(String endpoint, String region, String client) {
    if (scheme.equals("file")) {
      return FileSystemObjectStore.create(Path.of(location));
    }
    S3Options.Builder b = S3Options.builder(location).pathStyle(endpoint != null);
    if (endpoint != null) {
      b.endpoint(endpoint);
    }
    if (region != null) {
      b.region(region);
    }
    S3Options o = b.build();
    return switch (client) {
      case "minio" -> MinioObjectStore.create(o);
      case "aws" -> S3ObjectStore.create(o);
      default -> throw new IllegalArgumentException("--client must be minio or aws, was: " + client);
    };
  }
}
