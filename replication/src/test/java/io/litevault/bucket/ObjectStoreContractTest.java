package io.litevault.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link ObjectStore} contract, one suite for every implementation. A subclass supplies a store shared
 * by the class ({@link #store()}); each test works under its own random prefix so tests never see each
 * other's keys. Published in replication's test-jar for other modules' stores and decorators.
 */
public abstract class ObjectStoreContractTest {
  /** 20 MiB + 3 bytes: more than one 16 MiB part, so S3 stores go multipart. */
  protected static final int LARGE = 20 * 1024 * 1024 + 3;

  protected String p;

  /** The store under test, shared by the test class. */
  protected abstract ObjectStore store();

  @BeforeEach
  void freshPrefix() {
    p = "t-" + UUID.randomUUID() + "/";
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  protected static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  protected static byte[] read(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  protected static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  protected static byte[] sha256(InputStream in) {
    try (in) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        md.update(buf, 0, n);
      }
      return md.digest();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  protected List<String> keys(String prefix) {
    try (Stream<ObjectInfo> s = store().list(prefix)) {
      return s.map(ObjectInfo::key).collect(Collectors.toList());
    }
  }

  // ---- round trips ----------------------------------------------------------------------------------------

  @Test
  void emptyBodyRoundTrips() {
    PutResult r = store().put(p + "empty", new byte[0]);
    assertEquals(0, r.size());
    assertArrayEquals(new byte[0], read(store().get(p + "empty")));
    assertEquals(0, store().stat(p + "empty").orElseThrow().size());
  }

  @Test
  void smallBodyRoundTripsAndIsCounted() {
    byte[] body = "hello, bucket".getBytes(StandardCharsets.UTF_8);
    long putsBefore = store().metrics().of(Operation.PUT).requests();
    PutResult r = store().put(p + "small", body);
    assertEquals(body.length, r.size());
    assertEquals(1, r.parts());
    assertEquals(putsBefore + 1, store().metrics().of(Operation.PUT).requests());
    assertArrayEquals(body, read(store().get(p + "small")));
    ObjectInfo info = store().stat(p + "small").orElseThrow();
    assertEquals(p + "small", info.key());
    assertEquals(body.length, info.size());
    assertFalse(info.etag().isEmpty());
  }

  @Test
  void putReplacesAnExistingObject() {
    store().put(p + "k", "one".getBytes(StandardCharsets.UTF_8));
    store().put(p + "k", "second".getBytes(StandardCharsets.UTF_8));
    assertEquals("second", new String(read(store().get(p + "k")), StandardCharsets.UTF_8));
    assertEquals(List.of(p + "k"), keys(p));
  }

  @Test
  void largeBodyStreamsThroughMultipart() {
    byte[] body = random(LARGE, 1);
    PutResult r = store().put(p + "large", new ByteArrayInputStream(body), body.length);
    assertEquals(LARGE, r.size());
    assertTrue(r.parts() >= minimumPartsForLarge(), "parts: " + r.parts());
    assertEquals(LARGE, store().stat(p + "large").orElseThrow().size());
    assertArrayEquals(sha256(body), sha256(store().get(p + "large")));
  }

  @Test
  void largeBodyOfUnknownLengthStreams() {
    byte[] body = random(LARGE, 2);
    PutResult r = store().put(p + "unknown", new ByteArrayInputStream(body), ObjectStore.UNKNOWN_LENGTH);
    assertEquals(LARGE, r.size());
    assertTrue(r.parts() >= minimumPartsForLarge(), "parts: " + r.parts());
    assertArrayEquals(sha256(body), sha256(store().get(p + "unknown")));
  }

  /** Parts a {@link #LARGE} body must take: 2 for the S3 stores, 1 for the file store. */
  protected int minimumPartsForLarge() {
    return 2;
  }

  @Test
  void aBodyShorterThanDeclaredIsRefusedAndNothingIsStored() {
    assertThrows(IllegalArgumentException.class,
        () -> store().put(p + "short", new ByteArrayInputStream(new byte[10]), 11));
    assertTrue(store().stat(p + "short").isEmpty());
  }

  @Test
  void rangedReadsReturnExactlyTheRange() {
    byte[] body = random(10_000, 3);
    store().put(p + "r", body);
    assertArrayEquals(java.util.Arrays.copyOfRange(body, 0, 100), read(store().get(p + "r", 0, 100)));
    assertArrayEquals(java.util.Arrays.copyOfRange(body, 1234, 5678), read(store().get(p + "r", 1234, 5678 - 1234)));
    assertArrayEquals(java.util.Arrays.copyOfRange(body, 9990, 10_000), read(store().get(p + "r", 9990, 500)));
    assertArrayEquals(new byte[0], read(store().get(p + "r", 10_000, 10)));
    assertArrayEquals(new byte[0], read(store().get(p + "r", 50, 0)));
  }

  @Test
  void rangedReadOfALargeObjectStreams() {
    byte[] body = random(LARGE, 4);
    store().put(p + "big", body);
    long off = 17L * 1024 * 1024 - 7;
    assertArrayEquals(java.util.Arrays.copyOfRange(body, (int) off, (int) off + 1_000_000),
        read(store().get(p + "big", off, 1_000_000)));
  }

  // ---- missing keys, odd keys ----------------------------------------------------------------------------

  @Test
  void missingKeysAreTyped() {
    ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> store().get(p + "nope"));
    assertEquals(p + "nope", e.key());
    assertFalse(e.retryable());
    assertThrows(ObjectNotFoundException.class, () -> store().get(p + "nope", 5, 10));
    assertTrue(store().stat(p + "nope").isEmpty());
    store().delete(p + "nope");
    store().deleteAll(List.of(p + "nope", p + "nope2"));
    assertThrows(ObjectNotFoundException.class, () -> store().copy(p + "nope", p + "target"));
    assertTrue(store().stat(p + "target").isEmpty());
  }

  @Test
  void keysWithSpacesAndUnicodeRoundTripAndList() {
    List<String> odd = List.of(p + "with space/and more.txt", p + "ünïcødé/日本語/ключ", p + "emoji 😀 +&=?#%.bin",
        p + "percent%2Fnot-a-slash");
    for (String k : odd) {
      store().put(k, k.getBytes(StandardCharsets.UTF_8));
    }
    for (String k : odd) {
      assertEquals(k, new String(read(store().get(k)), StandardCharsets.UTF_8));
    }
    List<String> expected = new ArrayList<>(odd);
    expected.sort(ObjectKeys::compare);
    assertEquals(expected, keys(p));
  }

  @Test
  void invalidKeysAreRefusedBeforeAnyRequest() {
    long before = store().metrics().totalRequests();
    assertThrows(IllegalArgumentException.class, () -> store().put("", new byte[1]));
    assertThrows(IllegalArgumentException.class, () -> store().put(p + "bad\nkey", new byte[1]));
    assertThrows(IllegalArgumentException.class, () -> store().get("x".repeat(1025)));
    assertEquals(before, store().metrics().totalRequests());
  }

  // ---- listing -------------------------------------------------------------------------------------------

  @Test
  void listsTwoThousandFiveHundredKeysInOrderAcrossPagesThenBatchDeletesThem() throws Exception {
    int n = 2500;
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String k = p + "many/" + String.format("%05d", i);
        fs.add(pool.submit(() -> store().put(k, new byte[] {1})));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    store().put(p + "other", new byte[] {2});
    long listsBefore = store().metrics().of(Operation.LIST).requests();
    List<String> listed = keys(p + "many/");
    List<String> expected = IntStream.range(0, n).mapToObj(i -> p + "many/" + String.format("%05d", i)).toList();
    assertEquals(expected, listed);
    assertTrue(store().metrics().of(Operation.LIST).requests() - listsBefore >= expectedListPages(n));
    try (Stream<ObjectInfo> lazy = store().list(p + "many/")) {
      assertEquals(expected.subList(0, 10), lazy.limit(10).map(ObjectInfo::key).toList());
    }
    store().deleteAll(listed);
    assertEquals(List.of(), keys(p + "many/"));
    assertEquals(List.of(p + "other"), keys(p));
  }

  /** LIST requests a listing of {@code n} keys must take: n/1000 rounded up for S3. */
  protected long expectedListPages(int n) {
    return (n + 999) / 1000;
  }

  @Test
  void delimiterListingGroupsByPrefix() {
    for (String k : List.of("a/1", "a/2", "b/x/1", "b/y", "c", "d.txt")) {
      store().put(p + k, new byte[] {7});
    }
    List<String> level;
    try (Stream<ListEntry> s = store().list(p, "/")) {
      level = s.map(e -> (e instanceof CommonPrefix ? "P:" : "O:") + e.key().substring(p.length())).toList();
    }
    assertEquals(List.of("P:a/", "P:b/", "O:c", "O:d.txt"), level);
    try (Stream<ListEntry> s = store().list(p + "b/", "/")) {
      assertEquals(List.of("P:" + p + "b/x/", "O:" + p + "b/y"),
          s.map(e -> (e instanceof CommonPrefix ? "P:" : "O:") + e.key()).toList());
    }
  }

  @Test
  void listAfterYieldsOnlyTheKeysAfterStartAfterInOrder() {
    for (String k : List.of("s/0001-0002", "s/0003-0003", "s/0003-0005", "s/0006-0009", "t/0001")) {
      store().put(p + k, new byte[] {3});
    }
    try (Stream<ObjectInfo> s = store().listAfter(p + "s/", p + "s/0003-0003")) {
      assertEquals(List.of(p + "s/0003-0005", p + "s/0006-0009"), s.map(ObjectInfo::key).toList());
    }
    try (Stream<ObjectInfo> s = store().listAfter(p + "s/", p + "s/0002-ffff")) { // need not exist
      assertEquals(List.of(p + "s/0003-0003", p + "s/0003-0005", p + "s/0006-0009"), s.map(ObjectInfo::key).toList());
    }
    try (Stream<ObjectInfo> s = store().listAfter(p + "s/", p + "s/9")) {
      assertEquals(List.of(), s.map(ObjectInfo::key).toList());
    }
    try (Stream<ObjectInfo> s = store().listAfter(p + "s/", p)) { // before the prefix: all of it
      assertEquals(4, s.count());
    }
  }

  @Test
  void listingAnEmptyPrefixYieldsNothing() {
    assertEquals(List.of(), keys(p + "nothing-here/"));
  }

  // ---- copy, delete --------------------------------------------------------------------------------------

  @Test
  void copyDuplicatesOnTheServer() {
    byte[] body = random(100_000, 5);
    store().put(p + "src", body);
    store().copy(p + "src", p + "dst/copy");
    assertArrayEquals(body, read(store().get(p + "dst/copy")));
    assertArrayEquals(body, read(store().get(p + "src")));
  }

  @Test
  void deleteIsIdempotent() {
    store().put(p + "gone", new byte[] {1});
    store().delete(p + "gone");
    store().delete(p + "gone");
    assertTrue(store().stat(p + "gone").isEmpty());
  }

  // ---- create-only ---------------------------------------------------------------------------------------

  @Test
  void createOnlyPutFromEightThreadsHasExactlyOneWinner() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        byte[] body = ("owner-" + t + "-" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        results.add(pool.submit(() -> {
          go.await();
          return store().putIfAbsent(p + "lease", body);
        }));
      }
      go.countDown();
      int wins = 0;
      for (Future<Boolean> f : results) {
        wins += f.get() ? 1 : 0;
      }
      assertEquals(1, wins);
    } finally {
      pool.shutdown();
    }
    assertTrue(new String(read(store().get(p + "lease")), StandardCharsets.UTF_8).startsWith("owner-"));
    assertFalse(store().putIfAbsent(p + "lease", new byte[] {9}));
  }

  @Test
  void aPutRepeatedAfterItsAnswerWasLostLeavesOneWholeObject() {
    FaultyObjectStore lossy = new FaultyObjectStore(store()).failAfterPut(1, ErrorKind.TIMEOUT);
    byte[] body = random(50_000, 6);
    ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> lossy.put(p + "once", body));
    assertTrue(e.retryable());
    lossy.put(p + "once", body); // what a caller does with a retryable failure of an idempotent put
    assertEquals(List.of(p + "once"), keys(p));
    assertArrayEquals(body, read(store().get(p + "once")));
  }

  @Test
  void verifySucceedsOnAUsableStore() {
    store().verify();
  }
}
