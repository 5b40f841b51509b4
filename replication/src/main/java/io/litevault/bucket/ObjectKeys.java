package io.litevault.bucket;

import java.nio.charset.StandardCharsets;

/** The rules every {@link ObjectStore} applies to keys before sending a request. */
public final class ObjectKeys {
  /** S3's limit on a key's length, in UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = 1024;

  private ObjectKeys() {}

  /**
   * Returns {@code key} if it is 1 to {@value #MAX_KEY_BYTES} UTF-8 bytes long and holds no control
   * character (S3 accepts some, but they break XML listings and file names).
   *
   * @throws IllegalArgumentException naming the problem otherwise
   */
  public static String requireValid(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("object key must not be null or empty");
    }
    requireNoControlCharacters(key, "object key");
    int bytes = key.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_KEY_BYTES) {
      throw new IllegalArgumentException(
          "object key is " + bytes + " UTF-8 bytes, more than " + MAX_KEY_BYTES + ": " + key.substring(0, 64) + "…");
    }
    return key;
  }

  /** Returns {@code prefix} if it is a valid key or empty. */
  public static String requireValidPrefix(String prefix) {
    if (prefix == null) {
      throw new IllegalArgumentException("prefix must not be null (use \"\" for all keys)");
    }
    return prefix.isEmpty() ? prefix : requireValid(prefix);
  }

  /** Returns {@code delimiter} if it is non-empty and has no control character. */
  public static String requireValidDelimiter(String delimiter) {
    if (delimiter == null || delimiter.isEmpty()) {
      throw new IllegalArgumentException("delimiter must not be null or empty");
    }
    requireNoControlCharacters(delimiter, "delimiter");
    return delimiter;
  }

  /** Compares keys by their UTF-8 bytes, the order S3 lists them in. */
  public static int compare(String a, String b) {
    return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static void requireNoControlCharacters(String s, String what) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(
            what + " contains control character U+" + String.format("%04X", (int) c) + " at index " + i);
      }
    }
  }
}
