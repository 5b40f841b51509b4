package io.litevault.backup;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A store location given on the command line: {@code s3://bucket/prefix/} (prefix optional) or
 * {@code file:///directory}. Opening an {@code s3://} one reads the credentials from the environment
 * variables {@code <ROLE>_AWS_ACCESS_KEY_ID} and {@code <ROLE>_AWS_SECRET_ACCESS_KEY} (ROLE is SOURCE or
 * TARGET), or uses the client's default chain if they are unset. Secrets never pass through arguments,
 * messages or logs.
 *
 * @param scheme {@code s3} or {@code file}
 * @param bucket the bucket ({@code s3}) or the directory ({@code file})
 * @param prefix the key prefix, {@code ""} or ending with '/'
 */
record StoreUri(String scheme, String bucket, String prefix) {
  StoreUri {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(prefix, "prefix");
  }

  /** The client library used for an {@code s3://} store. */
  enum Client { MINIO, AWS }

  static StoreUri parse(String what, String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(what + " '" + text + "' is not a URI: " + e.getReason());
    }
    if ("s3".equals(uri.getScheme())) {
      if (uri.getHost() == null || uri.getUserInfo() != null) {
        throw new IllegalArgumentException(what + " '" + text + "' must be s3://bucket[/prefix/]");
      }
      String path = uri.getPath() == null ? "" : uri.getPath();
      String prefix = path.startsWith("/") ? path.substring(1) : path;
      if (!prefix.isEmpty() && !prefix.endsWith("/")) {
        prefix = prefix + "/";
      }
      return new StoreUri("s3", uri.getHost(), prefix);
    }
    if ("file".equals(uri.getScheme())) {
      if (uri.getPath() == null || uri.getPath().isEmpty()) {
        throw new IllegalArgumentException(what + " '" + text + "' must be file:///absolute/directory");
      }
      return new StoreUri("file", uri.getPath(), "");
    }
    throw new IllegalArgumentException(what + " '" + text + "' must start with s3:// or file://");
  }

  /**
   * Opens the store.
   *
   * @param role {@code SOURCE} or {@code TARGET}: which environment variables hold the credentials
   * @param endpoint an S3-compatible endpoint, or null for AWS S3
   */
  ObjectStore open(String role, String endpoint, String region, Client client, Map<String, String> env) {
    if (scheme.equals("file")) {
      return FileSystemObjectStore.create(Path.of(bucket)); // a missing directory fails verify(): exit 3
    }
    S3Options.Builder b = S3Options.builder(bucket).region(region).pathStyle(endpoint != null).interactive();
    if (endpoint != null) {
      b.endpoint(endpoint);
    }
    String id = env.get(role + "_AWS_ACCESS_KEY_ID");
    String secret = env.get(role + "_AWS_SECRET_ACCESS_KEY");
    if ((id == null) != (secret == null)) {
      throw new IllegalArgumentException("set both " + role + "_AWS_ACCESS_KEY_ID and " + role
          + "_AWS_SECRET_ACCESS_KEY, or neither (to use the default credential chain)");
    }
    if (id != null) {
      b.credentials(id, secret);
    }
    S3Options o = b.build();
    return client == Client.MINIO ? MinioObjectStore.create(o) : S3ObjectStore.create(o);
  }

  @Override
  public String toString() {
    return scheme.equals("file") ? "file://" + bucket : "s3://" + bucket + "/" + prefix;
  }
}
