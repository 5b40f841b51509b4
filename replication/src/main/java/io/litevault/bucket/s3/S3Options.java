package io.litevault.bucket.s3;

import io.litevault.bucket.RetryPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything {@link MinioObjectStore} and {@link S3ObjectStore} need to reach a bucket. Immutable; built by
 * {@link #builder(String)}, which rejects a bad value at once with a message naming it. {@link #toString()}
 * never shows the secret.
 */
public final class S3Options {
  /**
   * 16 MiB parts. S3 wants parts of 5 MiB to 5 GiB and at most 10,000 of them: 16 MiB carries objects up
   * to 156 GiB, sends a 5 GiB snapshot in 320 billed requests (5 MiB parts would take 1,024) and keeps one
   * upload's heap at 16 MiB.
   */
  public static final int DEFAULT_PART_SIZE = 16 * 1024 * 1024;

  /** S3's smallest part (except the last). */
  public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

  /** Our largest part: it is held in one byte array. */
  public static final int MAX_PART_SIZE = 512 * 1024 * 1024;

  /** 5 s to connect: a loopback or LAN MinIO connects in milliseconds; longer means it is down. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * 30 s without a byte on an open connection: a 16 MiB part at 1 MB/s still moves bytes every few
   * milliseconds, so 30 s of silence is a dead peer, not a slow one.
   */
  public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Command-line tools ({@link Builder#interactive()}): 3 s to connect and 10 s without a byte, 3 attempts
   * with at most 1 s between them. A person waits for the answer: an endpoint that accepts and never
   * answers fails one request after at most 3 × (3 s + 10 s) + 2 × 1 s = 41 s (see
   * {@link #maxWaitWithoutAnswer()}), with one logged line per retry, instead of the service defaults'
   * 6 × 30 s. A slow but live store still works: the 10 s count from the last byte, not the request start.
   */
  public static final Duration INTERACTIVE_CONNECT_TIMEOUT = Duration.ofSeconds(3);
  /** See {@link #INTERACTIVE_CONNECT_TIMEOUT}. */
  public static final Duration INTERACTIVE_SOCKET_TIMEOUT = Duration.ofSeconds(10);
  /** See {@link #INTERACTIVE_CONNECT_TIMEOUT}. */
  public static final RetryPolicy INTERACTIVE_RETRY_POLICY =
      new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(1));

  /** 1000 keys per listing page: S3's maximum, the fewest billed LIST requests. */
  public static final int DEFAULT_LIST_PAGE_SIZE = 1000;

  /** {@code us-east-1}: what MinIO and S3Proxy answer to when no region is configured. */
  public static final String DEFAULT_REGION = "us-east-1";

  private final URI endpoint;
  private final String bucket;
  private final String region;
  private final S3Credentials credentials;
  private final boolean pathStyle;
  private final int partSize;
  private final int listPageSize;
  private final Duration connectTimeout;
  private final Duration socketTimeout;
  private final RetryPolicy retryPolicy;

  private S3Options(Builder b) {
    this.endpoint = b.endpoint;
    this.bucket = b.bucket;
    this.region = b.region;
    this.credentials = b.credentials;
    this.pathStyle = b.pathStyle;
    this.partSize = b.partSize;
    this.listPageSize = b.listPageSize;
    this.connectTimeout = b.connectTimeout;
    this.socketTimeout = b.socketTimeout;
    this.retryPolicy = b.retryPolicy;
  }

  /** A builder for the given bucket; every other value has a default. */
  public static Builder builder(String bucket) {
    return new Builder(bucket);
  }

  /** The endpoint, or empty for AWS S3's regional endpoint. */
  public Optional<URI> endpoint() {
    return Optional.ofNullable(endpoint);
  }

  public String bucket() {
    return bucket;
  }

  public String region() {
    return region;
  }

  /** Explicit credentials, or empty to use the default provider chain (environment, profile, instance). */
  public Optional<S3Credentials> credentials() {
    return Optional.ofNullable(credentials);
  }

  /** Whether requests address the bucket in the path ({@code http://host/bucket/key}), as MinIO wants. */
  public boolean pathStyle() {
    return pathStyle;
  }

  public int partSize() {
    return partSize;
  }

  public int listPageSize() {
    return listPageSize;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration socketTimeout() {
    return socketTimeout;
  }

  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /**
   * The longest one request waits on a store that accepts connections and never answers, retries
   * included: {@code maxAttempts × (connectTimeout + socketTimeout) + (maxAttempts - 1) × maxDelay}.
   * A store that answers slowly, byte by byte, is not bounded by it.
   */
  public Duration maxWaitWithoutAnswer() {
    int n = retryPolicy.maxAttempts();
    return connectTimeout.plus(socketTimeout).multipliedBy(n).plus(retryPolicy.maxDelay().multipliedBy(n - 1L));
  }

  /** {@code http://host:port bucket name}: for messages. */
  String describe(String kind) {
    return kind + " " + (endpoint == null ? "aws-s3 " + region : endpoint.toString()) + " bucket " + bucket;
  }

  /** A builder preset with these values. */
  public Builder toBuilder() {
    Builder b = new Builder(bucket);
    b.endpoint = endpoint;
    b.region = region;
    b.credentials = credentials;
    b.pathStyle = pathStyle;
    b.partSize = partSize;
    b.listPageSize = listPageSize;
    b.connectTimeout = connectTimeout;
    b.socketTimeout = socketTimeout;
    b.retryPolicy = retryPolicy;
    return b;
  }

  @Override
  public String toString() {
    return "S3Options{endpoint=" + endpoint + ", bucket=" + bucket + ", region=" + region + ", credentials="
        + (credentials == null ? "default-chain" : credentials) + ", pathStyle=" + pathStyle + ", partSize="
        + partSize + ", listPageSize=" + listPageSize + ", connectTimeout=" + connectTimeout
        + ", socketTimeout=" + socketTimeout + ", retryPolicy=" + retryPolicy + '}';
  }

  /** Builds {@link S3Options}; each setter checks its value at once. */
  public static final class Builder {
    private URI endpoint;
    private final String bucket;
    private String region = DEFAULT_REGION;
    private S3Credentials credentials;
    private boolean pathStyle = true;
    private int partSize = DEFAULT_PART_SIZE;
    private int listPageSize = DEFAULT_LIST_PAGE_SIZE;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration socketTimeout = DEFAULT_SOCKET_TIMEOUT;
    private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;

    private Builder(String bucket) {
      // S3 bucket naming rules, simplified: 3-63 of [a-z0-9.-], starting and ending alphanumeric.
      if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
        throw new IllegalArgumentException("bucket name must be 3-63 characters of a-z, 0-9, '.' and '-', "
            + "starting and ending with a letter or digit, was: " + bucket);
      }
      this.bucket = bucket;
    }

    /** An S3-compatible endpoint such as {@code http://127.0.0.1:9000}; unset means AWS S3. */
    public Builder endpoint(String endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      URI uri;
      try {
        uri = URI.create(endpoint);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("endpoint is not a URI: " + endpoint, e);
      }
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new IllegalArgumentException("endpoint must be http(s)://host[:port], was: " + endpoint);
      }
      if (uri.getUserInfo() != null) {
        throw new IllegalArgumentException("endpoint must not carry user info (credentials go in credentials())");
      }
      if (uri.getPath() != null && !uri.getPath().isEmpty() && !"/".equals(uri.getPath())) {
        throw new IllegalArgumentException("endpoint must have no path, was: " + endpoint);
      }
      this.endpoint = URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
      return this;
    }

    public Builder region(String region) {
      if (region == null || !region.matches("[a-z0-9-]{2,32}")) {
        throw new IllegalArgumentException("region must be 2-32 characters of a-z, 0-9 and '-', was: " + region);
      }
      this.region = region;
      return this;
    }

    /** Explicit credentials; without them the default provider chain is used. */
    public Builder credentials(String accessKeyId, String secretAccessKey) {
      this.credentials = new S3Credentials(accessKeyId, secretAccessKey);
      return this;
    }

    /** Path-style addressing (default {@code true}, what MinIO and S3Proxy want); AWS prefers false. */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /** Multipart part size and single-request threshold, in [5 MiB, 512 MiB]. */
    public Builder partSize(int bytes) {
      if (bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
        throw new IllegalArgumentException(
            "partSize must be in [" + MIN_PART_SIZE + ", " + MAX_PART_SIZE + "] bytes, was " + bytes);
      }
      this.partSize = bytes;
      return this;
    }

    /** Keys per listing request, in [1, 1000]. */
    public Builder listPageSize(int keys) {
      if (keys < 1 || keys > 1000) {
        throw new IllegalArgumentException("listPageSize must be in [1, 1000], was " + keys);
      }
      this.listPageSize = keys;
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /** The longest silence on an open connection (read or write) before the request fails as TIMEOUT. */
    public Builder socketTimeout(Duration timeout) {
      this.socketTimeout = positive(timeout, "socketTimeout");
      return this;
    }

    /**
     * Timeouts and retries for a command-line tool a person waits on: {@link #INTERACTIVE_CONNECT_TIMEOUT},
     * {@link #INTERACTIVE_SOCKET_TIMEOUT} and {@link #INTERACTIVE_RETRY_POLICY}.
     */
    public Builder interactive() {
      return connectTimeout(INTERACTIVE_CONNECT_TIMEOUT).socketTimeout(INTERACTIVE_SOCKET_TIMEOUT)
          .retryPolicy(INTERACTIVE_RETRY_POLICY);
    }

    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "retryPolicy");
      return this;
    }

    public S3Options build() {
      return new S3Options(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero() || d.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(name + " must be in (0, 1h], was " + d);
      }
      return d;
    }
  }
}
