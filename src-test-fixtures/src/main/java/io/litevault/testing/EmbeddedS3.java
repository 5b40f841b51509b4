package io.litevault.testing;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

/**
 * A real S3 server in this process: S3Proxy on {@code 127.0.0.1} and a random free port, SigV4 (and V2)
 * authentication with fixed test credentials, in memory or backed by a directory. Both the MinIO client
 * and the AWS SDK talk to it (path-style addressing, region {@value #REGION}).
 *
 * <p>{@code ignoreUnknownHeaders(true)} is set: without it S3Proxy answers 501 to headers it does not know,
 * which the AWS SDK's multipart upload sends ({@code x-amz-mp-object-size}). S3Proxy honours
 * {@code If-None-Match: *} (412 on an existing key).
 *
 * <pre>{@code
 * try (EmbeddedS3 s3 = EmbeddedS3.builder().bucket("replica").start()) {
 *   URI endpoint = s3.endpoint(); // http://127.0.0.1:PORT
 * }
 * }</pre>
 *
 * For JUnit 5 tests, {@link EmbeddedS3Extension} starts one per test class.
 */
public final class EmbeddedS3 implements AutoCloseable {
  /** Access key id of the test server. */
  public static final String ACCESS_KEY = "litevault-test-key";
  /** Secret of the test server; a fixed test value, not a real secret. */
  public static final String SECRET_KEY = "litevault-test-secret-0123456789";
  /** The region the clients should sign for. */
  public static final String REGION = "us-east-1";
  /** The bucket created when none is named. */
  public static final String DEFAULT_BUCKET = "litevault";

  private final S3Proxy proxy;
  private final BlobStore blobStore;
  private final Set<String> buckets;
  private final Path directory;

  private EmbeddedS3(S3Proxy proxy, BlobStore blobStore, Set<String> buckets, Path directory) {
    this.proxy = proxy;
    this.blobStore = blobStore;
    this.buckets = buckets;
    this.directory = directory;
  }

  /** Starts an in-memory server with the bucket {@value #DEFAULT_BUCKET}. */
  public static EmbeddedS3 start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port());
  }

  public int port() {
    return proxy.getPort();
  }

  public String accessKey() {
    return ACCESS_KEY;
  }

  public String secretKey() {
    return SECRET_KEY;
  }

  public String region() {
    return REGION;
  }

  /** The first bucket created at start. */
  public String bucket() {
    return buckets.iterator().next();
  }

  /** Creates another bucket (no-op if it exists). */
  public void createBucket(String name) {
    if (!blobStore.containerExists(name)) {
      blobStore.createContainer(name);
    }
  }

  /** The backing directory, or {@code null} in memory. */
  public Path directory() {
    return directory;
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping S3Proxy on port " + port() + " failed", e);
    }
  }

  @Override
  public String toString() {
    return "EmbeddedS3[" + endpoint() + ", buckets=" + buckets + (directory == null ? ", in memory]" : ", " + directory + "]");
  }

  /** Builds and starts an {@link EmbeddedS3}. */
  public static final class Builder {
    private final Set<String> buckets = new LinkedHashSet<>();
    private Path directory;

    private Builder() {}

    /** A bucket to create at start; the first one is {@link EmbeddedS3#bucket()}. */
    public Builder bucket(String name) {
      buckets.add(Objects.requireNonNull(name, "name"));
      return this;
    }

    /** Keep objects in files under {@code dir} (created if missing) instead of memory. */
    public Builder filesystem(Path dir) {
      this.directory = Objects.requireNonNull(dir, "dir").toAbsolutePath();
      return this;
    }

    /** Starts the server; fails with {@link IllegalStateException} if it cannot. */
    public EmbeddedS3 start() {
      Set<String> names = new LinkedHashSet<>(buckets);
      if (names.isEmpty()) {
        names.add(DEFAULT_BUCKET);
      }
      try {
        BlobStore store;
        if (directory == null) {
          store = new TransientNio2BlobStore();
        } else {
          Files.createDirectories(directory);
          store = new FilesystemNio2BlobStore(directory.toString());
        }
        for (String b : names) {
          if (!store.containerExists(b)) {
            store.createContainer(b);
          }
        }
        S3Proxy proxy = S3Proxy.builder()
            .blobStore(store)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .ignoreUnknownHeaders(true)
            .build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("S3Proxy did not start in 10 s: " + proxy.getState());
          }
          Thread.sleep(5);
        }
        return new EmbeddedS3(proxy, store, names, directory);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("starting S3Proxy failed", e);
      }
    }
  }
}
