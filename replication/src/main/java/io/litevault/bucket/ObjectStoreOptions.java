package io.litevault.bucket;

import io.litevault.bucket.crypt.KeyProvider;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link ObjectStores#open} needs beyond the URI. Immutable; built by {@link #builder()}, whose setters
 * reject a bad value at once with a message naming it. Every value has a default, so
 * {@code ObjectStoreOptions.defaults()} opens {@code file:} and AWS {@code s3:} URIs as they are. Holds no
 * secret: credentials are read from {@link #environment()} when the store is opened, never stored here.
 *
 * @param client the S3 client library for {@code s3:} URIs (default {@link Client#AWS})
 * @param endpoint an S3-compatible endpoint ({@code http(s)://host[:port]}), or empty for AWS S3
 * @param region the S3 region, or empty for the client default ({@code us-east-1})
 * @param pathStyle path-style addressing; empty: path-style exactly when an endpoint is set (MinIO, S3Proxy)
 * @param retryPolicy retries of S3 requests; empty: the store's default ({@link RetryPolicy#DEFAULT})
 * @param connectTimeout S3 connect timeout; empty: the store's default
 * @param socketTimeout S3 timeout without a byte; empty: the store's default
 * @param environment where the credential variables are read (default: the process environment)
 * @param variablePrefix prepended to the credential variables' names: {@code "SOURCE_"} reads
 *     {@code SOURCE_AWS_ACCESS_KEY_ID} (default {@code ""})
 * @param createDirectories whether a {@code file:} store's directory is created when missing (default
 *     false: a missing directory fails {@link ObjectStore#verify()})
 * @param encryption where the keys come from when the store encrypts what it writes and decrypts what it
 *     reads ({@link io.litevault.bucket.crypt.EncryptedObjectStore}); empty (the default): bodies as they are.
 *     Replicator, restore, followers and a backup's restore-check open with it; a backup's tier copies open
 *     without it, so they copy the ciphertext unchanged and never need the key. The provider holds the only
 *     secret and never prints it
 * @param keyScope with encryption: the key scope objects are written with and read in (the database's name;
 *     see {@link io.litevault.bucket.crypt.EncryptedObjectStore#scoped}); empty (the default): unscoped
 * @param unscopedHistory with a key scope: unscoped objects are read too, history from before the scope was set
 *     ({@link io.litevault.bucket.crypt.EncryptedObjectStore#withUnscopedHistory()}); default false
 */
public record ObjectStoreOptions(Client client, Optional<URI> endpoint, Optional<String> region,
    Optional<Boolean> pathStyle, Optional<RetryPolicy> retryPolicy, Optional<Duration> connectTimeout,
    Optional<Duration> socketTimeout, Map<String, String> environment, String variablePrefix,
    boolean createDirectories, Optional<KeyProvider> encryption, Optional<String> keyScope,
    boolean unscopedHistory) {

  /** Which S3 client library talks to an {@code s3:} store. */
  public enum Client {
    /** AWS SDK v2 ({@code S3ObjectStore}): credentials from AWS_* variables or the AWS default chain. */
    AWS,
    /** MinIO Java client ({@code MinioObjectStore}): credentials from AWS_* or MINIO_* variables. */
    MINIO
  }

  public ObjectStoreOptions {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(pathStyle, "pathStyle");
    Objects.requireNonNull(retryPolicy, "retryPolicy");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(socketTimeout, "socketTimeout");
    environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
    Objects.requireNonNull(variablePrefix, "variablePrefix");
    Objects.requireNonNull(encryption, "encryption");
    Objects.requireNonNull(keyScope, "keyScope");
    if (keyScope.isPresent() && encryption.isEmpty()) {
      throw new IllegalArgumentException("a key scope ('" + keyScope.get() + "') applies only to an encrypted "
          + "store: give the keys too, or no scope");
    }
    keyScope.ifPresent(io.litevault.bucket.crypt.EncryptedObjectStore::requireValidScope);
    if (unscopedHistory && keyScope.isEmpty()) {
      throw new IllegalArgumentException("unscoped history applies only to a store with a key scope (an unscoped "
          + "store reads unscoped objects already)");
    }
  }

  /** Every value at its default. */
  public static ObjectStoreOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether requests put the bucket in the path: as set, else when an endpoint is set. */
  public boolean usesPathStyle() {
    return pathStyle.orElse(endpoint.isPresent());
  }

  /** The environment variable holding the access key id: {@code <variablePrefix>AWS_ACCESS_KEY_ID}. */
  public String accessKeyVariable() {
    return variablePrefix + "AWS_ACCESS_KEY_ID";
  }

  /** The environment variable holding the secret: {@code <variablePrefix>AWS_SECRET_ACCESS_KEY}. */
  public String secretKeyVariable() {
    return variablePrefix + "AWS_SECRET_ACCESS_KEY";
  }

  @Override
  public String toString() {
    return "ObjectStoreOptions{client=" + client + ", endpoint=" + endpoint.map(URI::toString).orElse("aws-s3")
        + ", region=" + region.orElse("default") + ", pathStyle=" + usesPathStyle() + ", retryPolicy="
        + retryPolicy.map(Object::toString).orElse("default") + ", variables=" + accessKeyVariable()
        + ", createDirectories=" + createDirectories + ", encryption="
        + encryption.map(KeyProvider::describe).orElse("none") + keyScope.map(k -> ", keyScope=" + k).orElse("")
        + (unscopedHistory ? ", unscopedHistory" : "") + '}';
  }

  /** Builds {@link ObjectStoreOptions}; each setter checks its value at once. */
  public static final class Builder {
    /** {@link ObjectStoreOptions#socketTimeout()}s and connect timeouts above this are refused. */
    private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    private Client client = Client.AWS;
    private URI endpoint;
    private String region;
    private Boolean pathStyle;
    private RetryPolicy retryPolicy;
    private Duration connectTimeout;
    private Duration socketTimeout;
    private Map<String, String> environment;
    private String variablePrefix = "";
    private boolean createDirectories;
    private KeyProvider encryption;
    private String keyScope;
    private boolean unscopedHistory;

    private Builder() {}

    public Builder client(Client client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** {@code http(s)://host[:port]}, no user-info, no path; null means AWS S3. */
    public Builder endpoint(String endpoint) {
      this.endpoint = endpoint == null ? null : checkEndpoint(endpoint);
      return this;
    }

    /** 2-32 of a-z, 0-9 and '-'; null means the client default. */
    public Builder region(String region) {
      if (region != null && !region.matches("[a-z0-9-]{2,32}")) {
        throw new IllegalArgumentException("region must be 2-32 characters of a-z, 0-9 and '-', was: " + region);
      }
      this.region = region;
      return this;
    }

    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "retryPolicy");
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout(timeout, "connectTimeout");
      return this;
    }

    public Builder socketTimeout(Duration timeout) {
      this.socketTimeout = timeout(timeout, "socketTimeout");
      return this;
    }

    /**
     * For a command a person waits on: 3 s to connect, 10 s without a byte, 3 attempts at most 1 s apart
     * (the values of {@code S3Options.Builder.interactive()}).
     */
    public Builder interactive() {
      return connectTimeout(Duration.ofSeconds(3)).socketTimeout(Duration.ofSeconds(10))
          .retryPolicy(new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(1)));
    }

    /** Where credential variables are read (a copy is kept); default {@link System#getenv()}. */
    public Builder environment(Map<String, String> environment) {
      Objects.requireNonNull(environment, "environment");
      Map<String, String> copy = new java.util.HashMap<>();
      environment.forEach((k, v) -> {
        if (k != null && v != null) {
          copy.put(k, v);
        }
      });
      this.environment = copy;
      return this;
    }

    /** Upper-case letters, digits and '_', ending with '_' (e.g. {@code SOURCE_}), or empty. */
    public Builder variablePrefix(String prefix) {
      if (prefix == null || !prefix.matches("([A-Z][A-Z0-9_]*_)?")) {
        throw new IllegalArgumentException("variablePrefix must be empty or upper-case letters, digits and '_' ending "
            + "with '_', was: " + prefix);
      }
      this.variablePrefix = prefix;
      return this;
    }

    public Builder createDirectories(boolean create) {
      this.createDirectories = create;
      return this;
    }

    /**
     * Encrypts every object written and decrypts every object read with the keys of {@code keys}; null: no
     * encryption. See {@link ObjectStoreOptions#encryption()}.
     */
    public Builder encryption(KeyProvider keys) {
      this.encryption = keys;
      return this;
    }

    /**
     * With {@link #encryption}: binds what is written, and what is read, to this key scope (the database's
     * name); null: unscoped. See {@link ObjectStoreOptions#keyScope()}.
     *
     * @throws IllegalArgumentException the scope is empty, over 255 UTF-8 bytes, has a control character or a
     *     leading or trailing space
     */
    public Builder keyScope(String scope) {
      this.keyScope = scope == null ? null : io.litevault.bucket.crypt.EncryptedObjectStore.requireValidScope(scope);
      return this;
    }

    /** With a {@link #keyScope}: reads unscoped objects too. See {@link ObjectStoreOptions#unscopedHistory()}. */
    public Builder unscopedHistory(boolean allow) {
      this.unscopedHistory = allow;
      return this;
    }

    public ObjectStoreOptions build() {
      return new ObjectStoreOptions(client, Optional.ofNullable(endpoint), Optional.ofNullable(region),
          Optional.ofNullable(pathStyle), Optional.ofNullable(retryPolicy), Optional.ofNullable(connectTimeout),
          Optional.ofNullable(socketTimeout), environment == null ? System.getenv() : environment, variablePrefix,
          createDirectories, Optional.ofNullable(encryption), Optional.ofNullable(keyScope), unscopedHistory);
    }

    private static URI checkEndpoint(String endpoint) {
      URI uri;
      try {
        uri = new URI(endpoint);
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("endpoint is not a URI: " + e.getReason());
      }
      if (uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException("endpoint must not carry credentials: set AWS_ACCESS_KEY_ID and "
            + "AWS_SECRET_ACCESS_KEY in the environment instead");
      }
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
          || (uri.getPath() != null && !uri.getPath().isEmpty() && !"/".equals(uri.getPath()))
          || uri.getRawQuery() != null) {
        throw new IllegalArgumentException("endpoint must be http(s)://host[:port], was: " + endpoint);
      }
      return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
    }

    private static Duration timeout(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException(name + " must be in (0, 1h], was " + d);
      }
      return d;
    }
  }
}
