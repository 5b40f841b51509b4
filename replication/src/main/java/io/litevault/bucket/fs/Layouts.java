package io.litevault.bucket.fs;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.StoreUnavailableException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tells which layout a store's root holds, once per store, from the root's own entries: a directory named
 * {@code <segment>%d} is the legacy layout (plain keys never have a segment ending in {@code %d}); any other
 * directory is the plain layout; no directory at all (a new or empty bucket) is plain. Symbolic links to
 * directories count as the directories they lead to. System directories
 * ({@code lost+found}, dot-directories) do not count. Both at once is a
 * root someone mixed by hand: refused, since either reading would hide half of it.
 */
final class Layouts {
  private Layouts() {}

  static KeyPaths detect(Path root, String describe) {
    List<String> legacy = new ArrayList<>();
    List<String> plain = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
      for (Path e : entries) {
        String name = e.getFileName().toString();
        // Links followed: a legacy bucket's app%d moved to another disk and linked back is still legacy.
        if (!Files.isDirectory(e) || isSystemDirectory(name)) {
          continue; // top-level files look alike in both layouts
        }
        (KeyPaths.isLegacyDirectoryName(name) ? legacy : plain).add(name);
      }
    } catch (NoSuchFileException e) {
      return new KeyPaths.Plain(root); // nothing there yet: verify() reports a missing root
    } catch (IOException e) {
      throw new StoreUnavailableException(ErrorKind.OTHER, "open", "cannot read " + describe
          + " to tell its layout: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }
    if (legacy.isEmpty()) {
      return new KeyPaths.Plain(root);
    }
    if (plain.isEmpty()) {
      return new KeyPaths.Legacy(root);
    }
    throw mixed(describe, first(legacy), first(plain), "open");
  }

  /** The error for a root holding both layouts, naming {@code legacy} and {@code plain}. */
  static StoreUnavailableException mixed(String describe, String legacy, String plain, String op) {
    return new StoreUnavailableException(ErrorKind.OTHER, op, describe + " mixes two layouts: "
        + legacy + " in the legacy layout (directories named '<name>%d') and " + plain
        + " in the plain one. Move one set of directories to a root of its own, then open each separately "
        + "(FileSystemObjectStore.copyToPlainLayout converts a legacy root into a plain one)", null);
  }

  /**
   * A directory the system, not a key, puts at the top of a root that is a mount point or a share
   * ({@code lost+found}, {@code .snapshot}, {@code .Trash-1000}): it must not make a legacy root look mixed.
   */
  private static boolean isSystemDirectory(String name) {
    return name.equals("lost+found") || name.startsWith(".");
  }

  private static String first(List<String> names) {
    names.sort(null);
    return names.size() <= 3 ? names.toString() : names.subList(0, 3) + " and " + (names.size() - 3) + " more";
  }
}
