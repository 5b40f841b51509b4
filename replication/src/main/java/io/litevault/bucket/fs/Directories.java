package io.litevault.bucket.fs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The directories of a file bucket: made durably (each new entry fsynced into its parent) and, in the plain
 * layout, removed again once they hold no object, so that no husk blocks a key. The store decides when the plain-layout removals apply (never to an older
 * version's legacy bucket). Thread-safe.
 */
final class Directories {
  private final Path root;
  private final boolean fsync;

  Directories(Path root, boolean fsync) {
    this.root = root;
    this.fsync = fsync;
  }

  /**
   * Creates {@code dir} and its missing parents. With fsync on, every directory's entry in its parent is
   * made durable (an fsync of the parent) on every call, whoever created it and whenever: a put that
   * returned must survive a power loss, and a new directory is only an entry in its parent's not-yet-synced
   * data until then. Nothing is remembered between calls: another store (another process) may have removed
   * and made again any directory on the path meanwhile, possibly with the same inode number, and stopped
   * before its own syncs (a third review reproduced a put returning with its directory's entry unsynced).
   * A directory fsync with nothing to write is cheap.
   */
  void create(Path dir) throws IOException {
    if (!fsync) {
      Files.createDirectories(dir);
      return;
    }
    Path parent = dir.getParent();
    if (dir.equals(root) || parent == null || !dir.startsWith(root)) {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        if (parent != null) {
          sync(parent);
        }
      }
      return;
    }
    create(parent);
    Fsync.createDirectory(dir);
    sync(parent);
  }

  /** Fsyncs {@code dir} (with fsync on), making the entries just made or removed in it durable. */
  void sync(Path dir) {
    if (fsync) {
      Fsync.directory(dir);
    }
  }

  /**
   * Removes a tree of directories holding no object where an object is to go: deletes
   * of every key below it, a delete or put killed half-way, or a refused put can leave empty directories and
   * temporary files, and they must not block the key. Nothing is touched if the tree holds an object (a file
   * or link that is not a temporary file): the move or link that follows then fails as a conflict. A
   * temporary file removed here may belong to a put in progress; that put writes it again ({@link Staging#place}).
   * {@code rmdir} fails on a directory that is not empty and never follows a link, so an object a concurrent
   * put links in meanwhile stops the removal, and that put wins.
   */
  void clearEmptyTree(Path target) {
    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      if (holdsNoObject(target)) {
        removeTree(target);
      }
    } catch (IOException e) {
      // An object arrived, or the tree changed under us: the move or link that follows tells.
    }
  }

  /** Whether the tree at {@code dir} holds only directories and temporary files (links are not followed). */
  private static boolean holdsNoObject(Path dir) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(e, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
          continue;
        }
        if (a.isDirectory() ? !holdsNoObject(e) : !isTempFile(e, a)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Removes such a tree, deepest first; stops (throws) at anything that is not a directory or temporary file. */
  private void removeTree(Path dir) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        BasicFileAttributes a = Files.readAttributes(e, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isDirectory()) {
          removeTree(e);
        } else if (isTempFile(e, a)) {
          Files.deleteIfExists(e);
        } else {
          throw new java.nio.file.DirectoryNotEmptyException(dir.toString());
        }
      }
    }
    removeDirectory(dir);
  }

  private static boolean isTempFile(Path p, BasicFileAttributes a) {
    return a.isRegularFile() && p.getFileName().toString().startsWith(KeyPaths.TMP_MARK);
  }

  /**
   * Removes the directories a delete emptied, up to the root, so that a key whose
   * keys below were all deleted can be put again and a user browsing sees no husks. Never an older
   * version's legacy bucket: a process of that version, without retries, may be writing into them.
   */
  void pruneEmpty(Path dir) {
    for (Path d = dir; d.startsWith(root) && !d.equals(root); d = d.getParent()) {
      if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      try {
        removeDirectory(d); // rmdir: fails unless empty, so a concurrent put's temporary file keeps it
      } catch (IOException notEmpty) {
        return;
      }
    }
  }

  /**
   * Removes {@code dir} if it is still an empty directory, and never anything else: between a check and the
   * removal another store may remove the directory and put an object under the same name (a create-only put
   * of the key the directory blocked), and {@code Files.delete} would then unlink that acknowledged object.
   * {@code unlinkat(parent, name, AT_REMOVEDIR)}, which {@link SecureDirectoryStream#deleteDirectory} calls,
   * removes only a directory. Where the platform has no secure directory stream, the type is checked just
   * before (a narrow window, Linux always has one).
   */
  static void removeDirectory(Path dir) throws IOException {
    Path parent = dir.getParent();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(parent)) {
      if (s instanceof SecureDirectoryStream<Path> secure) {
        secure.deleteDirectory(dir.getFileName());
        return;
      }
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new java.nio.file.NotDirectoryException(dir.toString());
    }
    Files.delete(dir);
  }
}
