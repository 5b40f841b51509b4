package io.litevault.bucket.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.RetryPolicy;
import io.litevault.bucket.StoreUnavailableException;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.EmbeddedS3Extension;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Wrong credentials, a missing bucket and an unreachable endpoint give a typed error at startup that names
 * the endpoint and bucket and never the secret, with both clients.
 */
class StartupErrorsTest {
  @RegisterExtension
  static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();

  private static final String WRONG_SECRET = "wrong-secret-that-must-never-be-printed";
  private static final RetryPolicy QUICK = new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(10));

  static Stream<Arguments> clients() {
    Function<S3Options, ObjectStore> minio = MinioObjectStore::create;
    Function<S3Options, ObjectStore> aws = S3ObjectStore::create;
    return Stream.of(Arguments.of("minio", minio), Arguments.of("aws", aws));
  }

  private static S3Options.Builder base(String bucket, String endpoint) {
    return S3Options.builder(bucket).endpoint(endpoint).retryPolicy(QUICK);
  }

  private static StoreUnavailableException verifyFails(Function<S3Options, ObjectStore> factory, S3Options o) {
    try (ObjectStore store = factory.apply(o)) {
      StoreUnavailableException e = assertThrows(StoreUnavailableException.class, store::verify);
      assertFalse(e.retryable() && e.kind() != ErrorKind.CONNECTION && e.kind() != ErrorKind.TIMEOUT);
      assertTrue(e.getMessage().contains(o.endpoint().orElseThrow().toString()), e.getMessage());
      assertTrue(e.getMessage().contains(o.bucket()), e.getMessage());
      java.io.StringWriter trace = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(trace)); // causes included: what a log would show
      assertFalse(trace.toString().contains(WRONG_SECRET));
      assertFalse(trace.toString().contains(EmbeddedS3.SECRET_KEY));
      assertFalse(store.toString().contains(WRONG_SECRET));
      assertFalse(o.toString().contains(WRONG_SECRET));
      return e;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void wrongCredentials(String name, Function<S3Options, ObjectStore> factory) {
    EmbeddedS3 s3 = S3.server();
    S3Options o = base(s3.bucket(), s3.endpoint().toString()).credentials(s3.accessKey(), WRONG_SECRET).build();
    StoreUnavailableException e = verifyFails(factory, o);
    assertTrue(e.kind() == ErrorKind.BAD_CREDENTIALS || e.kind() == ErrorKind.ACCESS_DENIED, e.kind().toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void missingBucket(String name, Function<S3Options, ObjectStore> factory) {
    EmbeddedS3 s3 = S3.server();
    S3Options o = base("no-such-bucket", s3.endpoint().toString()).credentials(s3.accessKey(), s3.secretKey()).build();
    assertEquals(ErrorKind.NO_SUCH_BUCKET, verifyFails(factory, o).kind());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void unreachableEndpoint(String name, Function<S3Options, ObjectStore> factory) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    S3Options o = base("litevault", "http://127.0.0.1:" + port).credentials("k", WRONG_SECRET)
        .connectTimeout(Duration.ofMillis(500)).build();
    StoreUnavailableException e = verifyFails(factory, o);
    assertEquals(ErrorKind.CONNECTION, e.kind());
    assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
  }

  /** A startup check fails fast: an endpoint that accepts and never answers gets two attempts, not six. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aSilentEndpointIsGivenUpAfterTwoAttempts(String name, Function<S3Options, ObjectStore> factory) throws Exception {
    try (io.litevault.testing.SilentEndpoint silent = io.litevault.testing.SilentEndpoint.start()) {
      S3Options o = S3Options.builder("bucket").endpoint(silent.endpoint())
          .credentials("someone", WRONG_SECRET).socketTimeout(Duration.ofMillis(500))
          .retryPolicy(new RetryPolicy(6, Duration.ofMillis(5), Duration.ofMillis(10))).build();
      StoreUnavailableException e = verifyFails(factory, o);
      assertTrue(e.kind() == ErrorKind.TIMEOUT || e.kind() == ErrorKind.CONNECTION, e.toString());
      assertEquals(2, silent.connections(), "connections the startup check made against a store allowing 6 attempts");
    }
  }
}
