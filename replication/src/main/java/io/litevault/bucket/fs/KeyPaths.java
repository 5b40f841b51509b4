package io.litevault.bucket.fs;

import io.litevault.bucket.ObjectKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Maps keys to paths under a root, safely and without collisions.
 *
 * <p>A key is split at {@code /}; a segment that is empty, {@code .} or {@code ..} is refused, so no key
 * can leave the root (absolute keys start with an empty segment). {@code %} is written {@code %25}. The
 * last segment is the object's file name; every other segment names a directory with the suffix
 * {@value #DIR_SUFFIX}. A proper encoding never ends with a lone {@code %d}, so the directory of
 * {@code a/b/c} cannot clash with the object {@code a/b}, and S3's "a key may also be a prefix" holds.
 * Temporary files carry {@value #TMP_MARK}, which no encoding contains, and are skipped by listings.
 */
final class KeyPaths {
  static final String DIR_SUFFIX = "%d";
  static final String TMP_MARK = "%tmp-";
  private static final int MAX_NAME_BYTES = 240; // under the usual 255-byte limit, leaving room for TMP_MARK

  private KeyPaths() {}

  /** The file of {@code key} under {@code root}; refuses keys that are not safe relative paths. */
  static Path path(Path root, String key) {
    ObjectKeys.requireValid(key);
    String[] segments = key.split("/", -1);
    Path p = root;
    for (int i = 0; i < segments.length; i++) {
      String s = segments[i];
      if (s.isEmpty() || ".".equals(s) || "..".equals(s)) {
        throw new IllegalArgumentException("key " + quoted(key) + " is not a safe relative path: segment "
            + (i + 1) + " is " + (s.isEmpty() ? "empty (absolute key, '//' or trailing '/')" : "'" + s + "'"));
      }
      String name = encode(s) + (i < segments.length - 1 ? DIR_SUFFIX : "");
      if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
        throw new IllegalArgumentException("key " + quoted(key) + ": segment " + (i + 1) + " is longer than "
            + MAX_NAME_BYTES + " bytes, too long for a file name");
      }
      p = p.resolve(name);
    }
    if (!p.normalize().startsWith(root)) {
      throw new IllegalArgumentException("key " + quoted(key) + " leaves the store's directory");
    }
    return p;
  }

  /** The directory that holds the keys starting with {@code dirPrefix} (empty or ending in '/'). */
  static Path dir(Path root, String dirPrefix) {
    return dirPrefix.isEmpty() ? root : path(root, dirPrefix + "x").getParent();
  }

  static String encode(String segment) {
    return segment.replace("%", "%25");
  }

  /** The key segment of a file name, or {@code null} if the name is not one we wrote (temp files). */
  static String decodeFile(String name) {
    return validEncoding(name) ? name.replace("%25", "%") : null;
  }

  /** The key segment of a directory name, or {@code null}. */
  static String decodeDir(String name) {
    if (!name.endsWith(DIR_SUFFIX)) {
      return null;
    }
    return decodeFile(name.substring(0, name.length() - DIR_SUFFIX.length()));
  }

  private static boolean validEncoding(String name) {
    for (int i = name.indexOf('%'); i >= 0; i = name.indexOf('%', i + 1)) {
      if (!name.startsWith("%25", i)) {
        return false;
      }
    }
    return !name.isEmpty();
  }

  private static String quoted(String key) {
    return "'" + (key.length() > 80 ? key.substring(0, 80) + "…" : key) + "'";
  }
}
