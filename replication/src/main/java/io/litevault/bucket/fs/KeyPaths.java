package io.litevault.bucket.fs;

import io.litevault.bucket.ObjectKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Maps keys to paths under a root, safely: the key {@code a/b/c} is the file {@code <root>/a/b/c}, so the
 * directory looks like the bucket (any S3 tool's copy of it, {@code aws s3 sync} or {@code rclone}, restores).
 *
 * <p>A key is split at {@code /}; a segment that is empty, {@code .} or {@code ..} is refused, so no key
 * can leave the root (absolute keys start with an empty segment). A segment holding {@value #TMP_MARK} is
 * refused too: temporary files carry it, and listings skip them. One thing S3 allows cannot be mapped: a
 * key that is also a prefix of other keys ({@code a/b} and {@code a/b/c}); the store refuses the second
 * one with a clear error (MinIO's file backend refuses it too).
 *
 * <p>Buckets written before this layout encoded directories as {@code <segment>%d} and {@code %} as
 * {@code %25}; {@link #isLegacyDirectory} recognises them (see {@link FileSystemObjectStore#migrateLegacyLayout}).
 */
final class KeyPaths {
  static final String TMP_MARK = "%tmp-";
  static final String LEGACY_DIR_SUFFIX = "%d";
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
      if (s.contains(TMP_MARK)) {
        throw new IllegalArgumentException("key " + quoted(key) + ": segment " + (i + 1) + " contains '" + TMP_MARK
            + "', which a file bucket reserves for its temporary files");
      }
      if (s.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
        throw new IllegalArgumentException("key " + quoted(key) + ": segment " + (i + 1) + " is longer than "
            + MAX_NAME_BYTES + " bytes, too long for a file name");
      }
      p = p.resolve(s);
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

  /** The key segment of a file name, or {@code null} for a temporary file. */
  static String segmentOf(String name) {
    return name.contains(TMP_MARK) ? null : name;
  }

  /** A directory name of the old encoded layout. */
  static boolean isLegacyDirectory(String name) {
    return name.endsWith(LEGACY_DIR_SUFFIX) && name.length() > LEGACY_DIR_SUFFIX.length();
  }

  /** The plain name of an old-layout name: the directory suffix dropped, {@code %25} decoded. */
  static String legacyToPlain(String name, boolean directory) {
    String n = directory ? name.substring(0, name.length() - LEGACY_DIR_SUFFIX.length()) : name;
    return n.replace("%25", "%");
  }

  static String quoted(String key) {
    return "'" + (key.length() > 80 ? key.substring(0, 80) + "…" : key) + "'";
  }
}
