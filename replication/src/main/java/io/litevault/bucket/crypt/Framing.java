package io.litevault.bucket.crypt;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The encrypted object format, version 1, and its arithmetic (docs/FORMAT.md, "Encrypted objects"):
 *
 * <pre>
 * offset 0  4 bytes  magic "LVEN"
 *        4  1 byte   format version (1)
 *        5  4 bytes  key id (big-endian; the Tink keyset's id of the key that encrypted the object)
 *        9  ...      Tink AES256_GCM_HKDF_1MB streaming ciphertext: a 40-byte header (length byte, 32-byte
 *                    HKDF salt, 7-byte nonce prefix), then segments of 1 MiB of ciphertext (the first one
 *                    shorter by the header), each with a 16-byte GCM tag; the last is flagged as last in its nonce
 * associated data: the 9 header bytes, then the UTF-8 of the object's identity ({@link #identity})
 * </pre>
 *
 * Fixed parameters make the plaintext size a function of the stored size, so a listing reports plaintext
 * sizes without reading a byte, and a plaintext range maps to a ciphertext range without the header.
 */
final class Framing {
  static final byte[] MAGIC = {'L', 'V', 'E', 'N'};
  static final int VERSION = 1;
  /** Our header: magic, version, key id. */
  static final int PREFIX = 9;
  /** Tink's header for a 32-byte derived key: length byte, salt, nonce prefix. */
  static final int TINK_HEADER = 1 + 32 + 7;
  static final int TAG = 16;
  static final int SEGMENT = 1 << 20;
  /** Plaintext bytes in segment 0 and in every later segment. */
  static final int FIRST_PLAIN = SEGMENT - TINK_HEADER - TAG;
  static final int PLAIN = SEGMENT - TAG;

  private Framing() {}

  static byte[] prefix(int keyId) {
    return ByteBuffer.allocate(PREFIX).put(MAGIC).put((byte) VERSION).putInt(keyId).array();
  }

  static byte[] associatedData(byte[] prefix, String identity) {
    byte[] id = identity.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(prefix.length + id.length).put(prefix).put(id).array();
  }

  /** The stored size of a plaintext of {@code plain} bytes. */
  static long storedSize(long plain) {
    long segments = plain <= FIRST_PLAIN ? 1 : 1 + ceilDiv(plain - FIRST_PLAIN, PLAIN);
    return PREFIX + TINK_HEADER + plain + segments * TAG;
  }

  /** The plaintext size of a well-formed object of {@code stored} bytes (0 for anything too short). */
  static long plainSize(long stored) {
    long t = stored - PREFIX;
    if (t < TINK_HEADER + TAG) {
      return 0;
    }
    long segments = ceilDiv(t, SEGMENT);
    return Math.max(0, t - TINK_HEADER - segments * TAG);
  }

  /** The segment holding plaintext byte {@code p}. */
  static long segmentOf(long p) {
    return p < FIRST_PLAIN ? 0 : 1 + (p - FIRST_PLAIN) / PLAIN;
  }

  /** The first plaintext byte of segment {@code s}. */
  static long plainStart(long s) {
    return s == 0 ? 0 : FIRST_PLAIN + (s - 1) * PLAIN;
  }

  /** Where segment {@code s}'s ciphertext starts in the stored object. */
  static long storedStart(long s) {
    return PREFIX + (s == 0 ? TINK_HEADER : s * SEGMENT);
  }

  /** Segment {@code s}'s full ciphertext length (a last segment may be shorter). */
  static int storedLength(long s) {
    return s == 0 ? SEGMENT - TINK_HEADER : SEGMENT;
  }

  /**
   * The identity the ciphertext is bound to: the key from its last path segment named {@code lineages} or
   * {@code leases}, or from a last segment {@code lease}, the tails of docs/FORMAT.md's layout
   * ({@code lineages/<lineage>/segments/<first>-<last>.lvsg}, {@code leases/<generation>}); else the whole
   * key. A backup tier copies {@code <db prefix>/lineages/...} to {@code <tier>/<db prefix>/lineages/...}:
   * the tail is the same, so a restore from the tier decrypts, while an object moved to another key of the
   * layout (a swapped segment) no longer authenticates.
   */
  static String identity(String key) {
    int at = -1;
    int start = 0;
    while (start <= key.length()) {
      int slash = key.indexOf('/', start);
      int end = slash < 0 ? key.length() : slash;
      String part = key.substring(start, end);
      if (part.equals("lineages") || part.equals("leases") || (slash < 0 && part.equals("lease"))) {
        at = start;
      }
      if (slash < 0) {
        break;
      }
      start = slash + 1;
    }
    return at < 0 ? key : key.substring(at);
  }

  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
