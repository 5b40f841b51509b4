package io.litevault.cli;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Where to restore from: {@code file:///dir[/prefix]} (a {@link FileSystemObjectStore} root, then a key
 * prefix) or {@code s3://bucket[/prefix]}. The replica prefix of database {@code name} is
 * {@code <prefix>/<name>} ({@code <name>} alone when there is no prefix): a replicator started with prefix
 * {@code litevault/data} is restored with {@code --source s3://bucket/litevault --database data}, or
 * {@code --source file:///dir/litevault --database data} when the store's root is {@code /dir}.
 *
 * @param scheme {@code file} or {@code s3}
 * @param location the whole path (file) or the bucket (s3)
 * @param prefix the key prefix inside the bucket, without leading or trailing {@code /}; may be empty.
 *     For file sources it is found when opening: see {@link #open}.
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

  /** An open store and the replica prefix of the database in it. */
  record Opened(ObjectStore store, String replicaPrefix) {}

  private static String join(String prefix, String database) {
    return prefix.isEmpty() ? database : prefix + "/" + database;
  }

  /**
   * Opens the store and finds the replica of {@code database}. For s3: {@code endpoint} null means AWS S3
   * (virtual-hosted addressing), otherwise path-style as MinIO wants; credentials come from the environment
   * or the default provider chain. For file: the path is a store root followed by a prefix, split where
   * the replica's objects are found (a store lays keys out in its own directory encoding); when none is
   * found, the deepest existing directory is the root.
   */
  Opened open(String database, String endpoint, String region, String client) {
    if (scheme.equals("file")) {
      Path full = Path.of(location);
      Path fallback = null;
      for (Path root = full; root != null; root = root.getParent()) {
        if (!Files.isDirectory(root)) {
          continue;
        }
        String pre = join(root.relativize(full).toString().replace(java.io.File.separatorChar, '/'), database);
        FileSystemObjectStore store = FileSystemObjectStore.create(root);
        boolean found;
        try (Stream<ObjectInfo> objects = store.list(pre + "/")) {
          found = objects.findAny().isPresent();
        } catch (RuntimeException e) {
          found = false;
        }
        if (found) {
          return new Opened(store, pre);
        }
        store.close();
        if (fallback == null) {
          fallback = root;
        }
      }
      Path root = fallback == null ? full : fallback;
      return new Opened(FileSystemObjectStore.create(root),
          join(root.relativize(full).toString().replace(java.io.File.separatorChar, '/'), database));
    }
    return new Opened(openS3(endpoint, region, client), join(prefix, database));
  }

  private ObjectStore openS3(String endpoint, String region, String client) {
    S3Options.Builder b = S3Options.builder(location).pathStyle(endpoint != null).interactive();
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
