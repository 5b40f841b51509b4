package io.litevault.bucket.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * Makes directory entries durable: a file created or renamed into a directory survives a power loss only
 * once the directory itself is fsynced (and a new directory only once its parent is).
 */
public final class Fsync {
  /** Tests observe the directories synced, in order; null (always, outside tests) for none. */
  public static volatile Consumer<Path> observer;

  private Fsync() {}

  /**
   * Fsyncs {@code dir}. Best effort: some file systems cannot open a directory for fsync (the rename or
   * create before it is still atomic).
   */
  public static void directory(Path dir) {
    Consumer<Path> o = observer;
    if (o != null) {
      o.accept(dir);
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Not supported here: nothing more can be done.
    }
  }

  /** Creates {@code dir} (its parent must exist); one that exists already, made by anyone, is fine. */
  static void createDirectory(Path dir) throws IOException {
    try {
      java.nio.file.Files.createDirectory(dir);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      if (!java.nio.file.Files.isDirectory(dir)) {
        throw e;
      }
    }
  }

  /** Creates {@code dir} and missing parents, fsyncing the parent of each one created. */
  public static void createDirectories(Path dir) throws IOException {
    if (java.nio.file.Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    createDirectory(dir);
    if (parent != null) {
      directory(parent);
    }
  }
}
