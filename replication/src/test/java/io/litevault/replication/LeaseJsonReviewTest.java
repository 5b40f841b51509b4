package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review of eadd3f7 (lease bodies through Jackson). The first test fails on eadd3f7 (a reproduced
 * defect); the others pin the compatibility questions that held, comparing the new reader with the
 * reader of every earlier version (b60bf62's regex, byte for byte its logic, on the first 4096 bytes).
 */
class LeaseJsonReviewTest {
  static final Duration TTL = Duration.ofSeconds(10);
  static final String KEY = "p/leases/0000000000000001";

  @TempDir Path dir;
  FileSystemObjectStore files;
  final BucketLayout layout = new BucketLayout("review/db");
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T01:00:00Z"));
  final AtomicLong nanos = new AtomicLong(1);

  @BeforeEach
  void bucket() throws Exception {
    files = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("b"))).build());
  }

  @AfterEach
  void close() {
    files.close();
  }

  Lease lease(io.litevault.bucket.ObjectStore store, String owner, String home) {
    return new Lease(store, layout, owner, home, TTL, clock, nanos::get);
  }

  // ---------------------------------------------------------------- reproduced defect

  /**
   * FAILS on eadd3f7. A generation whose first bytes look like UTF-32/UCS-4 to Jackson's encoding
   * detection (here {@code 00 7B 00 00}: garbage from a torn or foreign write) makes Jackson throw a
   * {@link java.io.CharConversionException}, an IOException that is not a JsonProcessingException, so
   * LeaseBody.parse neither falls back to the old reading nor refuses it as "not a Litevault lease": it
   * throws IllegalStateException("reading an array in memory failed"), without the key and without
   * "delete it if nothing else uses this prefix". The old code refused the same bytes with a
   * ReplicationException naming the key. LeaseBody.parse's javadoc promises a ReplicationException
   * naming the key.
   */
  @Test
  void aGenerationJacksonTakesForUcs4IsRefusedAsNotALeaseNamingItsKey() {
    byte[] garbage = {0x00, 0x7B, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04};
    assertEquals(null, OldReader.read(garbage), "the old reader refused it as not a lease");
    files.put(layout.leaseGeneration(1), garbage);
    RuntimeException e = assertThrows(RuntimeException.class, () -> lease(files, "host-a", "boot/a").acquire());
    assertEquals(ReplicationException.class, e.getClass(), "acquire threw " + e);
    assertTrue(e.getMessage().contains(layout.leaseGeneration(1)) && e.getMessage().contains("not a Litevault lease"),
        e.getMessage());
  }

  /** FAILS on eadd3f7: the same for bytes Jackson takes for big-endian UTF-32 with an invalid code point. */
  @Test
  void aGenerationJacksonTakesForUtf32IsRefusedAsNotALeaseNamingItsKey() {
    byte[] garbage = {0x00, 0x00, 0x00, 0x7B, 0x00, 0x11, 0x00, 0x00};
    RuntimeException e = assertThrows(RuntimeException.class, () -> LeaseBody.parse(KEY, garbage));
    assertEquals(ReplicationException.class, e.getClass(), "parse threw " + e);
    assertTrue(e.getMessage().contains(KEY), e.getMessage());
  }

  // ---------------------------------------------------------------- questions that held

  static final String NASTY = "\"\\,{}:u0123456789abcdefABCDEF nrtbf/'\t\n\r\u0000\u0001\u001f\u007f\u0080é\u2028\uFEFF"
      + "\uD800\uDC00\uD83D\uDE00";

  static String nastyOwner(Random r) {
    int len = 1 + r.nextInt(r.nextBoolean() ? 12 : 200);
    StringBuilder sb = new StringBuilder();
    for (int j = 0; j < len; j++) {
      sb.append(NASTY.charAt(r.nextInt(NASTY.length())));
    }
    return sb.toString();
  }

  /**
   * Bodies of ffd4887 (legacy lease: only '"' replaced, raw '\'), of 2f2c1d7..7ae2668 (no fence) and of
   * 8df4c93..6e86e12 (all fields) read the same nonce, home, expiry, released and fence in the new reader
   * as in the old one, and are never refused where the old reader accepted them; and bodies the new code
   * writes read the same in the old reader. Owners of quotes, backslashes, commas, braces, "\\u" runs,
   * control characters, non-ASCII and lone surrogates, up to 200 characters; expiries up to Long.MIN/MAX.
   */
  @Test
  void everyVersionsBodiesReadTheSameBothWays() {
    Random r = new Random(20261202);
    for (int i = 0; i < 20_000; i++) {
      String owner = nastyOwner(r);
      String nonce = UUID.randomUUID().toString();
      long exp = r.nextBoolean() ? r.nextLong() : Math.abs(r.nextLong() % 4_000_000_000_000L);
      boolean rel = r.nextBoolean();
      boolean fence = r.nextBoolean();
      String home = r.nextBoolean() ? "" : UUID.randomUUID() + "/" + UUID.randomUUID() + "/0123456789abcdef";
      String o1 = owner.replace("\"", "'");
      String o2 = o1.replace("\\", "/");
      String[] texts = {
          "{\"owner\": \"" + o1 + "\", \"nonce\": \"" + nonce + "\", \"expiresAtMillis\": " + exp + "}\n",
          "{\"owner\": \"" + o2 + "\", \"nonce\": \"" + nonce + "\", \"home\": \"" + home + "\", \"expiresAtMillis\": "
              + exp + ", \"released\": " + rel + "}\n",
          "{\"owner\": \"" + o2 + "\", \"nonce\": \"" + nonce + "\", \"home\": \"" + home + "\", \"expiresAtMillis\": "
              + exp + ", \"released\": " + rel + ", \"fence\": " + fence + "}\n",
          new String(new LeaseBody(owner, nonce, home, exp, rel, fence).toJson(), StandardCharsets.UTF_8)};
      for (String text : texts) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        OldReader old = OldReader.read(b);
        LeaseBody now = LeaseBody.parse(KEY, b);
        String label = "owner " + owner.codePoints().mapToObj(Integer::toHexString).toList() + " in " + text;
        assertTrue(old != null, label);
        assertEquals(old.nonce, now.nonce(), label);
        assertEquals(nonce, now.nonce(), label);
        assertEquals(old.home, now.home(), label);
        assertEquals(old.expires, now.expiresAtMillis(), label);
        assertEquals(old.released, now.released(), label);
        assertEquals(old.fence, now.fence(), label);
        assertTrue(b.length <= LeaseBody.MAX_BYTES, label);
      }
    }
  }

  /**
   * A body cut short at every length (a crash mid-write on a store that is not atomic), of each version:
   * the new reader reads what the old one read, or refuses where the old one refused (the old one threw
   * NumberFormatException for an empty expiry, the new one a ReplicationException).
   */
  @Test
  void truncatedBodiesReadAsTheOldReaderReadThem() {
    String nonce = UUID.randomUUID().toString();
    String[] full = {
        "{\"owner\": \"a\\b,c}\", \"nonce\": \"" + nonce + "\", \"expiresAtMillis\": 1764000000000}\n",
        "{\"owner\": \"x\ty\", \"nonce\": \"" + nonce + "\", \"home\": \"b/h/0123\", \"expiresAtMillis\": 1764000000000, "
            + "\"released\": false, \"fence\": true}\n",
        new String(new LeaseBody("x\ty\"z", nonce, "b/h/0123", 1_764_000_000_000L, false, true).toJson(),
            StandardCharsets.UTF_8)};
    for (String text : full) {
      byte[] all = text.getBytes(StandardCharsets.UTF_8);
      for (int n = 0; n <= all.length; n++) {
        byte[] b = java.util.Arrays.copyOf(all, n);
        for (byte[] body : new byte[][] {b, zeroPadded(b, all.length)}) {
          OldReader old;
          try {
            old = OldReader.read(body);
          } catch (NumberFormatException e) {
            old = null;
          }
          LeaseBody now;
          try {
            now = LeaseBody.parse(KEY, body);
          } catch (ReplicationException e) {
            now = null;
          }
          String label = n + " bytes of " + text;
          assertEquals(old == null, now == null, label);
          if (old != null) {
            assertEquals(old.nonce, now.nonce(), label);
            assertEquals(old.home, now.home(), label);
            assertEquals(old.expires, now.expiresAtMillis(), label);
            assertEquals(old.released, now.released(), label);
            assertEquals(old.fence, now.fence(), label);
          }
        }
      }
    }
  }

  private static byte[] zeroPadded(byte[] b, int length) {
    return java.util.Arrays.copyOf(b, Math.max(b.length, length)); // the tail a crashed file system leaves zero
  }

  /** Not UTF-8, duplicate keys as any writer would format them, empty: the same reading or refusal. */
  @Test
  void oddBodiesReadAsTheOldReaderReadThem() {
    byte[][] bodies = {
        "{\"owner\": \"o\", \"nonce\": \"n1\", \"nonce\": \"n2\", \"expiresAtMillis\": 5}\n".getBytes(StandardCharsets.UTF_8),
        "{\"owner\":\"o\",\"nonce\":\"n1\",\"expiresAtMillis\":9,\"expiresAtMillis\":5,\"released\":true,\"released\":false}"
            .getBytes(StandardCharsets.UTF_8),
        {'{', '"', 'o', 'w', 'n', 'e', 'r', '"', ':', '"', (byte) 0xff, (byte) 0xc3, '"', ',', '"', 'n', 'o', 'n', 'c', 'e',
            '"', ':', '"', 'n', '"', ',', '"', 'e', 'x', 'p', 'i', 'r', 'e', 's', 'A', 't', 'M', 'i', 'l', 'l', 'i', 's', '"',
            ':', '7', '}'},
        ("\uFEFF{\"owner\": \"o\", \"nonce\": \"n\", \"expiresAtMillis\": 5}").getBytes(StandardCharsets.UTF_8),
        new byte[0],
        new byte[64]};
    for (byte[] b : bodies) {
      OldReader old = OldReader.read(b);
      LeaseBody now;
      try {
        now = LeaseBody.parse(KEY, b);
      } catch (ReplicationException e) {
        now = null;
      }
      String label = new String(b, StandardCharsets.UTF_8);
      assertEquals(old == null, now == null, label);
      if (old != null) {
        assertEquals(old.nonce, now.nonce(), label);
        assertEquals(old.expires, now.expiresAtMillis(), label);
        assertEquals(old.released, now.released(), label);
      }
    }
  }

  /** A put stored whose answer was lost: the retry finds its own body by nonce, whatever the owner. */
  @Test
  void anAcquireWhoseAnswerWasLostFindsItsOwnGenerationWithANastyOwner() {
    String owner = "a\"b\\c,d}e\u0000\n\uD800é😀{\"nonce\": \"x\"}";
    FaultyObjectStore flaky = new FaultyObjectStore(files);
    Lease a = lease(flaky, owner, "");
    flaky.failAfterPut(1, ErrorKind.TIMEOUT);
    assertThrows(ObjectStoreException.class, a::acquire);
    a.acquire();
    assertThrows(LeaseException.class, () -> lease(files, "host-b", "").acquire());
    pass(TTL);
    flaky.failAfterPut(1, ErrorKind.TIMEOUT);
    assertThrows(ObjectStoreException.class, a::renewIfDue);
    a.renewIfDue(); // its generation 2: ours by nonce
    a.confirm();
  }

  void pass(Duration d) {
    clock.advance(d);
    nanos.addAndGet(d.toNanos());
  }

  /** b60bf62's Lease.parse, byte for byte its logic: null where it refused the body. */
  static final class OldReader {
    static final Pattern FIELD =
        Pattern.compile("\"(owner|nonce|home|expiresAtMillis|released|fence)\":\\s*\"?([^\",}]*)\"?");
    String owner;
    String nonce;
    String home = "";
    long expires;
    boolean released;
    boolean fence;

    static OldReader read(byte[] bytes) {
      String text = new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.UTF_8);
      OldReader r = new OldReader();
      Matcher m = FIELD.matcher(text);
      while (m.find()) {
        switch (m.group(1)) {
          case "owner" -> r.owner = m.group(2);
          case "nonce" -> r.nonce = m.group(2);
          case "home" -> r.home = m.group(2);
          case "released" -> r.released = Boolean.parseBoolean(m.group(2).trim());
          case "fence" -> r.fence = Boolean.parseBoolean(m.group(2).trim());
          default -> r.expires = Long.parseLong(m.group(2).trim());
        }
      }
      return r.owner == null || r.nonce == null ? null : r;
    }
  }
}
