package io.litevault.bucket.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * What stands in a key's way on disk, so a failed call can say so instead of passing on a raw errno:
 * an object where a directory must go ({@code ENOTDIR}), or a directory (other keys) where the object goes.
 */
final class PathChecks {
  private PathChecks() {}

  /** The first ancestor of {@code p} below {@code root} that exists but is not a directory, or null. */
  static Path fileInTheWay(Path root, Path p) {
    for (Path a = p.getParent(); a != null && a.startsWith(root) && !a.equals(root); a = a.getParent()) {
      if (Files.exists(a, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(a)) {
        return a;
      }
    }
    return null;
  }

  /** Whether {@code e}, from touching {@code p}, means there is no object at {@code p}. */
  static boolean meansMissing(Path root, Path p, IOException e) {
    return e instanceof NoSuchFileException || e instanceof NotDirectoryException || fileInTheWay(root, p) != null;
  }

  /**
   * Why {@code key} (at {@code target}) cannot be stored because a key is also a prefix, or null when that is
   * not the problem.
   */
  static String conflict(Path root, String key, Path target) {
    if (Files.isDirectory(target)) {
      return "other keys start with '" + key + "/'";
    }
    Path file = fileInTheWay(root, target);
    if (file != null) {
      return "the object '" + root.relativize(file).toString().replace(java.io.File.separatorChar, '/')
          + "' is a prefix of it";
    }
    return null;
  }
}
