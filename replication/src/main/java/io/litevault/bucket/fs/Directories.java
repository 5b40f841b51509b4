package io.litevault.bucket.fs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The directories of a file bucket: made durably (each new entry fsynced into its parent) and, in the plain
 * layout, removed again once they hold no object, so that no husk blocks a key. Owns the set of directories
 * this store has made durable. The store decides when the plain-layout removals apply (never to an older
 * version's legacy bucket). Thread-safe.
 */
final class Directories {
  private final Path root;
  private final boolean fsync;
  /**
   * Directories whose entry in their parent this store has made durable; forgotten when the store removes
   * one, or finds one removed by another store or process.
   */
  private final Set<Path> durable = ConcurrentHashMap.newKeySet();

  Directories(Path root, boolean fsync) {
    this.root = root;
    this.fsync = fsync;
  }

  /**
   * Creates {@code dir} and its missing parents. With fsync on, each directory's entry in its parent is
   * made durable (an fsync of the parent) the first time the store writes into it, whoever created it:
   * a put that returned must survive a power loss, and a new directory is only an entry in its parent's
   * not-yet-synced data until then. A concurrent put finding a directory another one just created syncs
   * its parent too, so neither returns before the entry is durable.
   */
  void create(Path dir) throws IOException {
    if (!fsync) {
      Files.createDirectories(dir);
      return;
    }
    if (durable.contains(dir)) {
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
    } else {
      create(parent);
      Fsync.createDirectory(dir);
      sync(parent);
    }
    durable.add(dir);
  }

  /** Forgets {@code dir} and its parents as made durable: a delete here or in another process removed it. */
  void forget(Path dir) {
    for (Path d = dir; d != null && d.startsWith(root); d = d.getParent()) {
      durable.remove(d);
    }
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
    Files.delete(dir);
    durable.remove(dir);
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
        Files.delete(d); // rmdir: fails unless empty, so a concurrent put's temporary file keeps it
        durable.remove(d);
      } catch (IOException notEmpty) {
        return;
      }
    }
  }
}
