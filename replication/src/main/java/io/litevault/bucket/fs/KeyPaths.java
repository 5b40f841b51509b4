package io.litevault.bucket.fs;

import io.litevault.bucket.ObjectKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Maps keys to paths under a store's root, safely. Two layouts, one per store ({@link Layouts#detect}):
 *
 * <ul>
 *   <li>{@link Plain} (every new bucket): key {@code a/b/c} is the file {@code <root>/a/b/c}, so the directory
 *       looks like the bucket and any S3 tool's copy of it restores. A key that is also a prefix of other keys
 *       cannot be held (a path is a file or a directory); the store refuses the second one.
 *   <li>{@link Legacy} (buckets written before plain paths, read and written as they are): {@code %} is
 *       written {@code %25} and every directory segment gets the suffix {@value #LEGACY_DIR_SUFFIX}, so
 *       {@code a} and {@code a/b} can coexist.
 * </ul>
 *
 * <p>In both, a key is split at {@code /}; a segment that is empty, {@code .} or {@code ..} is refused, so no
 * key can leave the root (absolute keys start with an empty segment). Temporary files are named
 * {@value #TMP_MARK}{@code <uuid>}, a name no key of either layout maps to, and listings skip them.
 */
abstract class KeyPaths {
  static final String TMP_MARK = "%tmp-";
  static final String LEGACY_DIR_SUFFIX = "%d";
  /**
   * The limit on a file name on Linux's file systems (and most others): a listed key's segments fit, so any
   * key a listing returns can be read. In the legacy layout it applies to the encoded name, so a directory
   * segment there has 2 bytes fewer ({@value #LEGACY_DIR_SUFFIX}), and {@code %} counts 3.
   */
  static final int MAX_NAME_BYTES = 255;

  final Path root;

  private KeyPaths(Path root) {
    this.root = root;
  }

  /** The file name of one key segment; {@code directory} when more segments follow. */
  abstract String name(String key, int index, String segment, boolean directory);

  /** The key segment a file in a listed directory stands for, or {@code null} for none (temp files). */
  abstract String fileSegment(String name);

  /** The key segment a listed directory stands for, or {@code null} for none. */
  abstract String dirSegment(String name);

  /** Whether a key may also be a prefix of other keys ({@code a} and {@code a/b}). */
  abstract boolean keysMayBePrefixes();

  /**
   * Whether listings walk, and deletes go through, symbolic links to directories: the legacy layout does, as
   * the versions that wrote it did; the plain one does not (a link could loop or lead out of the root).
   */
  final boolean followsDirectoryLinks() {
    return keysMayBePrefixes();
  }

  /** The file of {@code key}; refuses keys that are not safe relative paths or that this layout cannot hold. */
  final Path path(String key) {
    ObjectKeys.requireValid(key);
    String[] segments = key.split("/", -1);
    Path p = root;
    for (int i = 0; i < segments.length; i++) {
      String s = segments[i];
      if (s.isEmpty() || ".".equals(s) || "..".equals(s)) {
        throw new IllegalArgumentException("key " + quoted(key) + " is not a safe relative path: segment "
            + (i + 1) + " is " + (s.isEmpty() ? "empty (absolute key, '//' or trailing '/')" : "'" + s + "'"));
      }
      String name = name(key, i, s, i < segments.length - 1);
      if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
        throw new NameTooLongException("key " + quoted(key) + ": segment " + (i + 1) + " is longer than "
            + MAX_NAME_BYTES + " bytes as a file name (" + quoted(name) + "), too long for a file bucket");
      }
      p = p.resolve(name);
    }
    if (!p.normalize().startsWith(root)) {
      throw new IllegalArgumentException("key " + quoted(key) + " leaves the store's directory");
    }
    return p;
  }

  /** The directory that holds the keys starting with {@code dirPrefix} (empty or ending in '/'). */
  final Path dir(String dirPrefix) {
    return dirPrefix.isEmpty() ? root : path(dirPrefix + "x").getParent();
  }

  /** A fresh temporary file name in {@code dir}: short, so any key's directory can hold it. */
  static Path tempFile(Path dir) {
    return dir.resolve(TMP_MARK + UUID.randomUUID());
  }

  /** A key with a segment too long for a file name: refused by a put, "not found" for a read or delete. */
  static final class NameTooLongException extends IllegalArgumentException {
    NameTooLongException(String message) {
      super(message);
    }
  }

  static boolean isLegacyDirectoryName(String name) {
    return name.endsWith(LEGACY_DIR_SUFFIX) && name.length() > LEGACY_DIR_SUFFIX.length();
  }

  static String quoted(String key) {
    return "'" + (key.length() > 80 ? key.substring(0, 80) + "…" : key) + "'";
  }

  /** Key {@code a/b/c} is the file {@code a/b/c}. */
  static final class Plain extends KeyPaths {
    Plain(Path root) {
      super(root);
    }

    @Override
    String name(String key, int index, String s, boolean directory) {
      if (s.endsWith(LEGACY_DIR_SUFFIX)) { // a directory of that name would read as the legacy layout
        throw new IllegalArgumentException("key " + quoted(key) + ": segment " + (index + 1) + " '" + s
            + "' ends in '" + LEGACY_DIR_SUFFIX + "', which a file bucket reserves for its legacy layout; "
            + "choose another name");
      }
      if (s.contains(TMP_MARK)) {
        throw new IllegalArgumentException("key " + quoted(key) + ": segment " + (index + 1) + " contains '"
            + TMP_MARK + "', which a file bucket reserves for its temporary files; choose another name");
      }
      return s;
    }

    @Override
    String fileSegment(String name) {
      return name.contains(TMP_MARK) ? null : name;
    }

    @Override
    String dirSegment(String name) {
      return name;
    }

    @Override
    boolean keysMayBePrefixes() {
      return false;
    }
  }

  /** The layout before plain paths: {@code %} as {@code %25}, directories suffixed {@code %d}. */
  static final class Legacy extends KeyPaths {
    Legacy(Path root) {
      super(root);
    }

    @Override
    String name(String key, int index, String s, boolean directory) {
      return s.replace("%", "%25") + (directory ? LEGACY_DIR_SUFFIX : "");
    }

    @Override
    String fileSegment(String name) {
      return validEncoding(name) ? name.replace("%25", "%") : null;
    }

    @Override
    String dirSegment(String name) {
      return name.endsWith(LEGACY_DIR_SUFFIX)
          ? fileSegment(name.substring(0, name.length() - LEGACY_DIR_SUFFIX.length()))
          : null;
    }

    @Override
    boolean keysMayBePrefixes() {
      return true;
    }

    private static boolean validEncoding(String name) {
      for (int i = name.indexOf('%'); i >= 0; i = name.indexOf('%', i + 1)) {
        if (!name.startsWith("%25", i)) {
          return false;
        }
      }
      return !name.isEmpty();
    }
  }
}
