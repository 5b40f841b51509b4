package io.litevault.bucket.crypt;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The encrypted object format, versions 1 and 2, and its arithmetic (docs/FORMAT.md, "Encrypted objects"):
 *
 * <pre>
 * offset 0  4 bytes  magic "LVEN"
 *        4  1 byte   format version (1: unscoped, 2: scoped)
 *        5  4 bytes  key id (big-endian; the Tink keyset's id of the key that encrypted the object)
 *        9  ...      Tink AES256_GCM_HKDF_1MB streaming ciphertext: a 40-byte header (length byte, 32-byte
 *                    HKDF salt, 7-byte nonce prefix), then segments of 1 MiB of ciphertext (the first one
 *                    shorter by the header), each with a 16-byte GCM tag; the last is flagged as last in its nonce
 * associated data: the 9 header bytes, then (version 2 only) the scope's UTF-8 length (1 byte) and bytes,
 *                    then the UTF-8 of the object's identity ({@link #identity})
 * </pre>
 *
 * The scope is not stored: it is the name of the database (or any name the writer chose) that both the
 * writer and the reader are configured with, so that an object copied under another database's prefix of
 * the same keyset does not authenticate, wherever a backup tier puts it. The two versions have the same
 * 9-byte header, so sizes stay a function of the stored size in a bucket holding both.
 *
 * Fixed parameters make the plaintext size a function of the stored size, so a listing reports plaintext
 * sizes without reading a byte, and a plaintext range maps to a ciphertext range without the header.
 */
final class Framing {
  static final byte[] MAGIC = {'L', 'V', 'E', 'N'};
  /** Bound to its identity only. */
  static final int VERSION_UNSCOPED = 1;
  /** Bound to its identity and to a scope the reader must know. */
  static final int VERSION_SCOPED = 2;
  /** The longest scope, in UTF-8 bytes (its length is one byte of the associated data). */
  static final int MAX_SCOPE_BYTES = 255;
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

  /** The header of an object encrypted with key {@code keyId}, scoped ({@code scope} not null) or not. */
  static byte[] prefix(int keyId, byte[] scope) {
    int version = scope == null ? VERSION_UNSCOPED : VERSION_SCOPED;
    return ByteBuffer.allocate(PREFIX).put(MAGIC).put((byte) version).putInt(keyId).array();
  }

  /**
   * What the ciphertext is bound to: the header, the scope when the header says version 2 (length-prefixed,
   * so no scope and identity pair reads as another), and the identity.
   *
   * @param scope the scope's UTF-8 bytes; ignored for a version 1 header, required for version 2
   */
  static byte[] associatedData(byte[] prefix, byte[] scope, String identity) {
    byte[] id = identity.getBytes(StandardCharsets.UTF_8);
    boolean scoped = prefix[4] == VERSION_SCOPED;
    int scopeBytes = scoped ? 1 + scope.length : 0;
    ByteBuffer aad = ByteBuffer.allocate(prefix.length + scopeBytes + id.length).put(prefix);
    if (scoped) {
      aad.put((byte) scope.length).put(scope);
    }
    return aad.put(id).array();
  }

  /**
   * A scope's UTF-8 bytes, checked: 1 to {@link #MAX_SCOPE_BYTES} bytes, no control character, no leading or
   * trailing space (a name from a config file that differs only there would be another scope, silently).
   */
  static byte[] scopeBytes(String scope) {
    if (scope == null || scope.isEmpty()) {
      throw new IllegalArgumentException("a key scope must not be empty (it is the database's name, or another "
          + "name the writer and every reader share)");
    }
    if (!scope.strip().equals(scope) || scope.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("key scope '" + scope.replaceAll("\\p{Cntrl}", "?") + "' has a control "
          + "character or a leading or trailing space; use the database's name as it is");
    }
    byte[] b = scope.getBytes(StandardCharsets.UTF_8);
    if (b.length > MAX_SCOPE_BYTES) {
      throw new IllegalArgumentException("key scope is " + b.length + " UTF-8 bytes long; at most "
          + MAX_SCOPE_BYTES + " are allowed");
    }
    return b;
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
