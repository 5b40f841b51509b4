package io.litevault.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.EmbeddedS3Extension;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every store URI form {@link ObjectStores} documents, and every refusal, with its typed problem. */
class ObjectStoresTest {
  @RegisterExtension
  static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();

  @TempDir Path dir;

  @Test
  void fileUrisWithThreeSlashesOrOneOpenTheDirectoryAsTheRoot() throws Exception {
    for (String uri : new String[] {dir.toUri().toString(), "file:" + dir, "file://" + dir + "/"}) {
      try (OpenedStore s = ObjectStores.open(uri, ObjectStoreOptions.defaults())) {
        assertInstanceOf(FileSystemObjectStore.class, s.store(), uri);
        assertEquals("", s.prefix(), uri);
        assertEquals(new StoreUri.Directory(dir), s.uri(), uri);
        s.store().verify();
      }
    }
  }

  @Test
  void aMissingDirectoryFailsVerifyUnlessCreated() throws Exception {
    Path missing = dir.resolve("a/b");
    try (OpenedStore s = ObjectStores.open(missing.toUri(), ObjectStoreOptions.defaults())) {
      assertThrows(StoreUnavailableException.class, s.store()::verify);
    }
    try (OpenedStore s = ObjectStores.open(missing.toUri(), ObjectStoreOptions.builder().createDirectories(true).build())) {
      s.store().verify();
    }
    assertTrue(Files.isDirectory(missing));
  }

  @Test
  void s3UrisGiveTheBucketAndAPrefixWithoutOuterSlashes() {
    assertEquals(new StoreUri.Bucket("app-bucket", ""), StoreUri.parse("s3://app-bucket"));
    assertEquals(new StoreUri.Bucket("app-bucket", ""), StoreUri.parse("s3://app-bucket/"));
    StoreUri u = StoreUri.parse("s3://app-bucket//litevault/data/");
    assertEquals(new StoreUri.Bucket("app-bucket", "litevault/data"), u);
    assertEquals("litevault/data/", u.keyPrefix());
    assertEquals("s3://app-bucket/litevault/data/", u.toString());
  }

  @Test
  void s3WithoutAnEndpointIsAwsS3WithVirtualHostedAddressing() {
    ObjectStoreOptions o = ObjectStoreOptions.builder().environment(Map.of()).build();
    assertFalse(o.usesPathStyle());
    try (OpenedStore s = ObjectStores.open(URI.create("s3://app-bucket/x"), o)) {
      assertInstanceOf(S3ObjectStore.class, s.store());
      assertEquals("x", s.prefix());
      assertTrue(s.store().describe().contains("aws-s3"), s.store().describe());
    }
  }

  /** The MinIO / S3-compatible form: s3://bucket/prefix plus an endpoint, path-style, either client. */
  @ParameterizedTest
  @EnumSource(ObjectStoreOptions.Client.class)
  void s3WithAnEndpointReachesAnS3CompatibleServerWithEitherClient(ObjectStoreOptions.Client client, EmbeddedS3 s3)
      throws Exception {
    ObjectStoreOptions o = ObjectStoreOptions.builder().client(client).endpoint(s3.endpoint().toString())
        .region(s3.region()).environment(Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY",
            s3.secretKey())).build();
    assertTrue(o.usesPathStyle());
    try (OpenedStore s = ObjectStores.open("s3://" + s3.bucket() + "/p/q/", o)) {
      Class<?> type = client == ObjectStoreOptions.Client.MINIO ? MinioObjectStore.class : S3ObjectStore.class;
      assertInstanceOf(type, s.store());
      s.store().verify();
      byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
      s.store().put(s.keyPrefix() + client, new ByteArrayInputStream(body), body.length);
      try (InputStream in = s.store().get("p/q/" + client)) {
        assertEquals("hello", new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void prefixedVariablesCarryTheCredentialsOfOneSide(EmbeddedS3 s3) {
    ObjectStoreOptions o = ObjectStoreOptions.builder().endpoint(s3.endpoint().toString()).variablePrefix("SOURCE_")
        .environment(Map.of("SOURCE_AWS_ACCESS_KEY_ID", s3.accessKey(), "SOURCE_AWS_SECRET_ACCESS_KEY", s3.secretKey()))
        .build();
    try (OpenedStore s = ObjectStores.open("s3://" + s3.bucket(), o)) {
      s.store().verify();
    }
    ObjectStoreOptions half = ObjectStoreOptions.builder().variablePrefix("SOURCE_")
        .environment(Map.of("SOURCE_AWS_ACCESS_KEY_ID", "x")).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObjectStores.open("s3://b-1", half));
    assertTrue(e.getMessage().contains("SOURCE_AWS_SECRET_ACCESS_KEY"), e.getMessage());
  }

  @Test
  void aReplicaUnderAFileUriIsFoundWhereverTheStoreIsRooted() throws Exception {
    try (FileSystemObjectStore root = FileSystemObjectStore.create(dir)) {
      root.put("litevault/data/lineages/x", new ByteArrayInputStream(new byte[] {1}), 1);
    }
    try (OpenedStore s = ObjectStores.openReplica(dir.resolve("litevault").toUri().toString(), "data",
        ObjectStoreOptions.defaults())) {
      assertTrue(s.prefix().endsWith("data"), s.prefix()); // "data" under <dir>/litevault, or "litevault/data"
      assertTrue(s.store().stat(s.keyPrefix() + "lineages/x").isPresent(), s.prefix());
    }
    try (OpenedStore s = ObjectStores.openReplica("s3://app-bucket/litevault/", "data",
        ObjectStoreOptions.builder().environment(Map.of()).build())) {
      assertEquals("litevault/data", s.prefix());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://host/dir", "/plain/path", "relative/dir", "http://minio:9000/bucket"})
  void otherSchemesAndPlainPathsAreAnUnknownScheme(String uri) {
    assertProblem(StoreUriException.Problem.UNKNOWN_SCHEME, uri);
  }

  @Test
  void eachBadUriHasItsProblem() {
    assertProblem(StoreUriException.Problem.NOT_A_URI, "s3://bucket/a b");
    assertProblem(StoreUriException.Problem.MISSING_BUCKET, "s3:///prefix");
    assertProblem(StoreUriException.Problem.MISSING_BUCKET, "s3:bucket");
    assertProblem(StoreUriException.Problem.BAD_BUCKET_NAME, "s3://Bad_Bucket/x");
    assertProblem(StoreUriException.Problem.BAD_BUCKET_NAME, "s3://ab/x");
    assertProblem(StoreUriException.Problem.UNSUPPORTED_PART, "s3://bucket:9000/x");
    assertProblem(StoreUriException.Problem.UNSUPPORTED_PART, "s3://bucket/x?versionId=1");
    assertProblem(StoreUriException.Problem.UNSUPPORTED_PART, "file:///dir#frag");
    assertProblem(StoreUriException.Problem.BAD_PATH, "file://host/dir");
    assertProblem(StoreUriException.Problem.BAD_PATH, "file:relative");
  }

  @Test
  void credentialsInAUriAreRefusedWithoutEchoingThemAndSayWhereTheyGo() {
    for (String uri : new String[] {"s3://AKIAEXAMPLE:very-secret-value@bucket/x", "file://user:very-secret-value@/dir",
        "s3://AKIAEXAMPLE:very-secret-value@bucket/a b"}) {
      StoreUriException e = assertThrows(StoreUriException.class, () -> StoreUri.parse(uri));
      assertFalse(e.getMessage().contains("very-secret-value"), e.getMessage());
      assertFalse(e.getMessage().contains("--"), "a library message names no flag: " + e.getMessage());
      if (e.problem() == StoreUriException.Problem.CREDENTIALS_IN_URI) {
        assertTrue(e.getMessage().contains("AWS_ACCESS_KEY_ID") && e.getMessage().contains("AWS_SECRET_ACCESS_KEY"),
            e.getMessage());
      } else {
        assertEquals(StoreUriException.Problem.NOT_A_URI, e.problem(), uri);
      }
    }
  }

  @Test
  void optionsRejectBadValuesAtOnceNamingThem() {
    ObjectStoreOptions.Builder b = ObjectStoreOptions.builder();
    for (String endpoint : new String[] {"minio:9000", "http://minio:9000/path", "ftp://minio"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.endpoint(endpoint));
      assertTrue(e.getMessage().contains("endpoint"), e.getMessage());
    }
    IllegalArgumentException creds = assertThrows(IllegalArgumentException.class, () -> b.endpoint("http://k:s3cr3t@minio"));
    assertFalse(creds.getMessage().contains("s3cr3t"), creds.getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> b.region("EU WEST")).getMessage().contains("EU WEST"));
    assertThrows(IllegalArgumentException.class, () -> b.variablePrefix("source_"));
    assertThrows(IllegalArgumentException.class, () -> b.socketTimeout(java.time.Duration.ZERO));
    assertEquals("http://minio:9000", b.endpoint("http://minio:9000/").build().endpoint().orElseThrow().toString());
    ObjectStoreOptions secret = ObjectStoreOptions.builder().environment(Map.of("AWS_SECRET_ACCESS_KEY", "s3cr3t")).build();
    assertFalse(secret.toString().contains("s3cr3t"), secret.toString());
  }

  private static void assertProblem(StoreUriException.Problem problem, String uri) {
    StoreUriException e = assertThrows(StoreUriException.class, () -> StoreUri.parse(uri), uri);
    assertEquals(problem, e.problem(), uri + ": " + e.getMessage());
    assertFalse(e.getMessage().contains("--"), "a library message names no flag: " + e.getMessage());
  }
}
