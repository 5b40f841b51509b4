package io.litevault.bucket.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreContractTest;
import io.litevault.bucket.OperationStats;
import io.litevault.bucket.Operation;
import io.litevault.bucket.PutResult;
import io.litevault.bucket.RetryPolicy;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.EmbeddedS3Extension;
import io.litevault.testing.Fault;
import io.litevault.testing.FaultProxy;
import io.litevault.testing.HttpRequestHead;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract for an S3 store against {@link EmbeddedS3}, plus the retry paths of the real client under
 * faults injected by a {@link FaultProxy} in front of the same server: nothing lost, nothing duplicated.
 */
abstract class S3StoreContractTest extends ObjectStoreContractTest {
  @RegisterExtension
  static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();

  static ObjectStore direct;
  static ObjectStore faulty;
  static FaultProxy proxy;

  /** Fast retries for the faulty store, and a short socket timeout so stalls end quickly. */
  static final RetryPolicy FAST = new RetryPolicy(5, Duration.ofMillis(10), Duration.ofMillis(100));

  static S3Options.Builder options(String endpoint) {
    EmbeddedS3 s3 = S3.server();
    return S3Options.builder(s3.bucket()).endpoint(endpoint).region(s3.region())
        .credentials(s3.accessKey(), s3.secretKey());
  }

  static void open(Function<S3Options, ObjectStore> factory) {
    direct = factory.apply(options(S3.server().endpoint().toString()).build());
    proxy = FaultProxy.start(S3.server().endpoint());
    faulty = factory.apply(options(proxy.endpoint().toString()).retryPolicy(FAST)
        .socketTimeout(Duration.ofMillis(1500)).build());
  }

  @AfterAll
  static void closeStores() {
    direct.close();
    faulty.close();
    proxy.close();
  }

  @AfterEach
  void disarm() {
    proxy.clear();
  }

  @Override
  protected ObjectStore store() {
    return direct;
  }

  private OperationStats stats(Operation op) {
    return faulty.metrics().of(op);
  }

  @Test
  void slowDownOnPutIsRetriedAndCounted() {
    int injectedBefore = proxy.injected();
    proxy.inject(Fault.slowDown(), 2, HttpRequestHead::isObjectPut);
    OperationStats before = stats(Operation.PUT);
    byte[] body = "throttled".getBytes(StandardCharsets.UTF_8);
    faulty.put(p + "k", body);
    OperationStats after = stats(Operation.PUT);
    assertEquals(3, after.requests() - before.requests());
    assertEquals(2, after.errors() - before.errors());
    assertEquals(2, after.retries() - before.retries());
    assertEquals(2, proxy.injected() - injectedBefore);
    assertArrayEquals(body, read(direct.get(p + "k")));
  }

  @Test
  void aPartUploadCutMidBodyIsRetriedAndTheObjectIsWhole() {
    int injectedBefore = proxy.injected();
    proxy.inject(Fault.resetRequestAfter(1_000_000), 1, HttpRequestHead::isUploadPart);
    proxy.inject(Fault.internalError(), 1, h -> "POST".equals(h.method()) && h.target().contains("uploadId="));
    byte[] body = random(LARGE, 11);
    PutResult r = faulty.put(p + "cut", new ByteArrayInputStream(body), body.length);
    assertEquals(2, proxy.injected() - injectedBefore);
    assertEquals(2, r.parts());
    assertArrayEquals(sha256(body), sha256(direct.get(p + "cut")));
    assertEquals(List.of(p + "cut"), keys(p));
  }

  @Test
  void aDownloadResetMidBodyResumesWhereItStopped() {
    byte[] body = random(3 * 1024 * 1024, 12);
    direct.put(p + "dl", body);
    proxy.inject(Fault.resetResponseAfter(700_000), 2, HttpRequestHead::isObjectGet);
    long getsBefore = stats(Operation.GET).requests();
    assertArrayEquals(sha256(body), sha256(faulty.get(p + "dl")));
    assertEquals(3, stats(Operation.GET).requests() - getsBefore);
  }

  @Test
  void aResumeFailsRatherThanSpliceTwoVersions() throws Exception {
    byte[] body = random(2 * 1024 * 1024, 13);
    direct.put(p + "v", body);
    proxy.inject(Fault.resetResponseAfter(300_000), 1, HttpRequestHead::isObjectGet);
    try (InputStream in = faulty.get(p + "v")) {
      byte[] head = in.readNBytes(100_000);
      direct.put(p + "v", random(2 * 1024 * 1024, 14)); // replaced while we read
      // The invariant: never a body spliced from two versions. Either the resume is refused, or (when
      // the client had already buffered past the injected reset, which happens under load) the whole
      // body read is the original one.
      try {
        byte[] rest = in.readAllBytes();
        byte[] all = new byte[head.length + rest.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(rest, 0, all, head.length, rest.length);
        assertArrayEquals(sha256(body), sha256(all), "a complete read must be the original version");
      } catch (java.io.IOException e) {
        assertTrue(e.getMessage().contains("resume"), e.getMessage());
      }
    }
  }

  @Test
  void aStalledRequestTimesOutAndIsRetried() {
    proxy.inject(Fault.stall(Duration.ofSeconds(3)), 1, h -> "HEAD".equals(h.method()));
    direct.put(p + "s", new byte[] {1, 2, 3});
    long errorsBefore = stats(Operation.HEAD).errors();
    assertEquals(3, faulty.stat(p + "s").orElseThrow().size());
    assertEquals(1, stats(Operation.HEAD).errors() - errorsBefore);
  }

  @Test
  void listingPagesThrottledMidWayAreNeitherLostNorDuplicated() {
    S3Options small = options(proxy.endpoint().toString()).retryPolicy(FAST).listPageSize(7).build();
    try (ObjectStore store = create(small)) {
      for (int i = 0; i < 30; i++) {
        direct.put(p + "l/" + String.format("%03d", i), new byte[] {(byte) i});
      }
      proxy.inject(Fault.slowDown(), 2, HttpRequestHead::isList);
      List<String> keys;
      try (Stream<ObjectInfo> s = store.list(p + "l/")) {
        keys = s.map(ObjectInfo::key).toList();
      }
      assertEquals(30, keys.size());
      assertEquals(30, keys.stream().distinct().count());
      assertEquals(5 + 2, store.metrics().of(Operation.LIST).requests());
    }
  }

  @Test
  void aCreateOnlyPutWhoseAnswerWasLostStillWinsOnce() {
    byte[] mine = ("me-" + p).getBytes(StandardCharsets.UTF_8);
    proxy.inject(Fault.resetResponseAfter(0), 1, HttpRequestHead::isObjectPut);
    assertTrue(faulty.putIfAbsent(p + "lease", mine));
    assertArrayEquals(mine, read(direct.get(p + "lease")));
    proxy.inject(Fault.resetResponseAfter(0), 1, HttpRequestHead::isObjectPut);
    assertFalse(faulty.putIfAbsent(p + "lease", "someone-else".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void batchDeleteThrottledIsRetried() {
    direct.put(p + "a", new byte[] {1});
    direct.put(p + "b", new byte[] {1});
    proxy.inject(Fault.slowDown(), 1, h -> "POST".equals(h.method()) && h.target().contains("delete"));
    faulty.deleteAll(List.of(p + "a", p + "b"));
    assertEquals(List.of(), keys(p));
  }

  /** Creates a store of the kind under test. */
  abstract ObjectStore create(S3Options options);

  @BeforeAll
  static void checkServer() {
    assertTrue(S3.server().port() > 0);
  }
}
