package io.litevault.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The fixtures work with a plain AWS client: the server, its file back-end, and the fault proxy. */
class EmbeddedS3Test {
  @TempDir
  Path dir;

  private static S3Client client(EmbeddedS3 s3, java.net.URI endpoint) {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .region(Region.of(s3.region()))
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
        .overrideConfiguration(c -> c.retryStrategy(RetryMode.STANDARD).apiCallAttemptTimeout(Duration.ofSeconds(2)))
        .build();
  }

  @Test
  void filesystemBackedServerKeepsObjectsInTheDirectoryAndChecksSignatures() throws Exception {
    try (EmbeddedS3 s3 = EmbeddedS3.builder().bucket("files").filesystem(dir).start();
        S3Client c = client(s3, s3.endpoint())) {
      assertTrue(s3.endpoint().toString().startsWith("http://127.0.0.1:"));
      c.putObject(r -> r.bucket("files").key("a/b.txt"), RequestBody.fromString("on disk"));
      assertEquals("on disk", c.getObjectAsBytes(r -> r.bucket("files").key("a/b.txt")).asUtf8String());
      try (Stream<Path> files = Files.walk(dir)) {
        assertTrue(files.anyMatch(f -> f.getFileName().toString().equals("b.txt")));
      }
      S3Client wrong = S3Client.builder().endpointOverride(s3.endpoint()).region(Region.of(s3.region()))
          .forcePathStyle(true)
          .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), "nope")))
          .build();
      assertEquals(403, assertThrows(S3Exception.class, () -> wrong.headBucket(r -> r.bucket("files"))).statusCode());
      wrong.close();
    }
  }

  @Test
  void createOnlyPutIsHonoured() {
    try (EmbeddedS3 s3 = EmbeddedS3.start(); S3Client c = client(s3, s3.endpoint())) {
      c.putObject(r -> r.bucket(s3.bucket()).key("lease").ifNoneMatch("*"), RequestBody.fromString("1"));
      S3Exception e = assertThrows(S3Exception.class,
          () -> c.putObject(r -> r.bucket(s3.bucket()).key("lease").ifNoneMatch("*"), RequestBody.fromString("2")));
      assertEquals(412, e.statusCode());
    }
  }

  @Test
  void faultProxyThrottlesResetsAndPassesTheRestThrough() {
    try (EmbeddedS3 s3 = EmbeddedS3.start(); FaultProxy proxy = FaultProxy.start(s3.endpoint());
        S3Client c = client(s3, proxy.endpoint())) {
      proxy.inject(Fault.slowDown(), 1, HttpRequestHead::isObjectPut);
      c.putObject(r -> r.bucket(s3.bucket()).key("k"), RequestBody.fromBytes(new byte[100_000]));
      assertEquals(1, proxy.injected());
      proxy.inject(Fault.resetResponseAfter(5_000), 1, HttpRequestHead::isObjectGet);
      assertEquals(100_000, c.getObjectAsBytes(r -> r.bucket(s3.bucket()).key("k")).asByteArray().length);
      assertEquals(2, proxy.injected());
      assertEquals(0, proxy.pending());
      assertTrue(proxy.requests() >= 4, "requests: " + proxy.requests());
      c.putObject(r -> r.bucket(s3.bucket()).key("plain"), RequestBody.fromString("x", StandardCharsets.UTF_8));
    }
  }

  @Test
  void faultProxyCountsRequestsByKindAndBytes() {
    try (EmbeddedS3 s3 = EmbeddedS3.start(); FaultProxy proxy = FaultProxy.start(s3.endpoint());
        S3Client c = client(s3, proxy.endpoint())) {
      Traffic.Snapshot before = proxy.traffic().snapshot();
      c.putObject(r -> r.bucket(s3.bucket()).key("db/0001.wal.lz4"), RequestBody.fromBytes(new byte[10_000]));
      c.putObject(r -> r.bucket(s3.bucket()).key("db/leases/0002"), RequestBody.fromString("1"));
      c.getObjectAsBytes(r -> r.bucket(s3.bucket()).key("db/leases/0002"));
      c.headObject(r -> r.bucket(s3.bucket()).key("db/leases/0002"));
      c.listObjectsV2(r -> r.bucket(s3.bucket()).prefix("db/"));
      c.listObjects(r -> r.bucket(s3.bucket()).prefix("db/"));
      c.deleteObject(r -> r.bucket(s3.bucket()).key("db/leases/0002"));
      Traffic.Snapshot t = proxy.traffic().snapshot().minus(before);
      assertEquals(java.util.Map.of("PUT", 2L, "GET", 1L, "HEAD", 1L, "LIST", 2L, "DELETE", 1L), t.requests());
      assertEquals(java.util.Map.of(".wal.lz4", 1L, "leases/", 1L), t.putsByKind());
      assertTrue(t.bytesUp() > 10_000 && t.bytesUp() < 20_000, "bytes up: " + t.bytesUp());
      assertTrue(t.bytesDown() > 0, "bytes down: " + t.bytesDown());
    }
  }
}
