package io.litevault.bucket;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a store is, as a URI; the one parser of store URIs (see {@link ObjectStores} for the forms). A
 * value: parsing opens nothing and reads no environment.
 */
public sealed interface StoreUri permits StoreUri.Directory, StoreUri.Bucket {

  /** The key prefix inside the store, without leading or trailing {@code /}; empty for the store's root. */
  String prefix();

  /** {@link #prefix()} ready to prepend to a key: {@code ""} or {@code "prefix/"}. */
  default String keyPrefix() {
    return prefix().isEmpty() ? "" : prefix() + "/";
  }

  /**
   * A directory kept by {@code FileSystemObjectStore}: {@code file:///absolute/dir} (or {@code file:/dir}).
   *
   * @param path the absolute directory, the store's root
   */
  record Directory(Path path) implements StoreUri {
    public Directory {
      Objects.requireNonNull(path, "path");
      if (!path.isAbsolute()) {
        throw new StoreUriException(StoreUriException.Problem.BAD_PATH, "a store directory must be absolute, was: " + path);
      }
    }

    @Override
    public String prefix() {
      return "";
    }

    @Override
    public String toString() {
      return path.toUri().toString();
    }
  }

  /**
   * A bucket of an S3 or S3-compatible server: {@code s3://bucket[/prefix]}.
   *
   * @param name the bucket
   * @param prefix the key prefix, without leading or trailing {@code /}
   */
  record Bucket(String name, String prefix) implements StoreUri {
    public Bucket {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(prefix, "prefix");
      if (!name.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
        throw new StoreUriException(StoreUriException.Problem.BAD_BUCKET_NAME, "bucket name '" + name + "' must be 3-63 "
            + "characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit");
      }
      prefix = trimSlashes(prefix);
    }

    @Override
    public String toString() {
      return "s3://" + name + "/" + keyPrefix();
    }
  }

  /**
   * Parses {@code text}.
   *
   * @throws StoreUriException naming the problem; the message quotes the URI without its user-info
   */
  public static StoreUri parse(String text) {
    Objects.requireNonNull(text, "uri");
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new StoreUriException(StoreUriException.Problem.NOT_A_URI, "'" + redact(text) + "' is not a URI: "
          + e.getReason());
    }
    return of(uri);
  }

  /**
   * Reads {@code uri}.
   *
   * @throws StoreUriException naming the problem; the message quotes the URI without its user-info
   */
  public static StoreUri of(URI uri) {
    Objects.requireNonNull(uri, "uri");
    String shown = redact(uri.toString());
    String scheme = uri.getScheme();
    if (uri.getRawUserInfo() != null || (uri.getRawAuthority() != null && uri.getRawAuthority().contains("@"))) {
      throw new StoreUriException(StoreUriException.Problem.CREDENTIALS_IN_URI, "'" + shown + "' carries credentials: "
          + "a store URI never does. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or use the "
          + "AWS default credential chain (~/.aws/credentials, AWS_PROFILE, the container or instance role)");
    }
    if ("file".equals(scheme)) {
      return directory(uri, shown);
    }
    if ("s3".equals(scheme)) {
      return bucket(uri, shown);
    }
    throw new StoreUriException(StoreUriException.Problem.UNKNOWN_SCHEME, "'" + shown + "' must start with s3:// or file://");
  }

  private static Directory directory(URI uri, String shown) {
    if (uri.isOpaque() || uri.getPath() == null || uri.getPath().isEmpty()
        || (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty())) {
      throw new StoreUriException(StoreUriException.Problem.BAD_PATH, "'" + shown + "' must be file:///absolute/dir "
          + "(no host, an absolute path)");
    }
    noExtras(uri, shown);
    return new Directory(Path.of(uri.getPath()).normalize());
  }

  private static Bucket bucket(URI uri, String shown) {
    String authority = uri.getRawAuthority();
    if (authority == null || authority.isEmpty()) {
      throw new StoreUriException(StoreUriException.Problem.MISSING_BUCKET, "'" + shown + "' names no bucket: "
          + "it must be s3://bucket[/prefix]");
    }
    if (uri.getPort() != -1 || authority.contains(":")) {
      throw new StoreUriException(StoreUriException.Problem.UNSUPPORTED_PART, "'" + shown + "' must be "
          + "s3://bucket[/prefix]: a port belongs to the endpoint, not to the bucket URI");
    }
    noExtras(uri, shown);
    return new Bucket(authority, uri.getPath() == null ? "" : uri.getPath());
  }

  private static void noExtras(URI uri, String shown) {
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new StoreUriException(StoreUriException.Problem.UNSUPPORTED_PART, "'" + shown + "' must have no query "
          + "(?...) or fragment (#...)");
    }
  }

  /** {@code text} with anything between {@code ://} and {@code @} replaced by {@code ***}. */
  private static String redact(String text) {
    int start = text.indexOf("://");
    if (start < 0) {
      return text;
    }
    int slash = text.indexOf('/', start + 3);
    int at = text.lastIndexOf('@', slash < 0 ? text.length() : slash);
    return at > start ? text.substring(0, start + 3) + "***" + text.substring(at) : text;
  }

  private static String trimSlashes(String s) {
    return s.replaceAll("^/+|/+$", "");
  }
}
