package io.litevault.bucket.fs;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a file bucket writes a body: to a temporary file beside its key, fsynced, then put in place by a rename
 * or a create-only link (the store chooses, see {@link Placement}), so a reader sees the old object or the
 * new one, never a part. Concurrent deletes may prune the directory, and a put clearing an empty tree may
 * remove the temporary file, at any moment: each step is repeated a bounded number of times
 * ({@value #RACE_ATTEMPTS}), and losing every time is a {@link RaceLostException}. Thread-safe.
 */
final class Staging {
  private static final int BUFFER = 64 * 1024;

  /**
   * Attempts at creating directories and a temporary file, or at placing it, when a concurrent delete removes
   * an emptied directory (or a put clearing an empty tree removes the temporary file) meanwhile.
   */
  static final int RACE_ATTEMPTS = 32;

  /**
   * Attempts made at once before backing off. Two stores on one root creating and pruning the same parent in
   * tight loops can each undo the other for several rounds when both run on a loaded machine: CI on 2 cores
   * saw 8 immediate attempts all lost. After these, each attempt waits a random 0..attempt ms first, so the
   * two stop colliding in lock step (at most about half a second in all).
   */
  static final int IMMEDIATE_ATTEMPTS = 4;

  private final Directories dirs;
  private final boolean fsync;

  Staging(Directories dirs, boolean fsync) {
    this.dirs = dirs;
    this.fsync = fsync;
  }

  /** How a staged body is put in place: a rename over the key, or a create-only link. */
  @FunctionalInterface
  interface Placement<T> {
    T place(Path tmp, Path target) throws IOException;
  }

  /**
   * Places a staged body at {@code target}. In the plain layout another store's delete may prune the
   * directory, or a put clearing an empty tree may remove the temporary file, between the body's write and
   * the rename or link: both then fail with {@code ENOENT} and nothing was placed, so the body is written
   * again (from the still-open, possibly unlinked, temporary file) and placed again, a bounded number of times.
   */
  <T> T place(Staged staged, Path target, Placement<T> how) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return how.place(staged.path, target);
      } catch (NoSuchFileException e) {
        if (attempt == RACE_ATTEMPTS) {
          throw new RaceLostException(target, e);
        }
        backOff(attempt);
        staged.restage();
      }
    }
  }

  /**
   * Creates {@code dir} and a new temporary file in it, open for reading and writing. In the plain layout a
   * delete removes the directories it empties, so one may vanish between two {@code mkdir}s or before the
   * file's creation, both failing with {@code ENOENT}: then all again, a bounded number of times. A
   * temporary file keeps its directory from being pruned until it is renamed or deleted.
   */
  private Staged.Temp createTemp(Path dir) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        dirs.create(dir);
        Path tmp = KeyPaths.tempFile(dir);
        return new Staged.Temp(tmp, FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE));
      } catch (NoSuchFileException | FileAlreadyExistsException e) {
        if (e instanceof FileAlreadyExistsException && !notAFileInTheWay(e)) {
          throw e; // an object where a directory must go: a conflict
        }
        if (attempt == RACE_ATTEMPTS) {
          throw new RaceLostException(dir, e);
        }
        backOff(attempt);
      }
    }
  }

  /** Waits a random 0..attempt ms once the immediate attempts are spent; see {@link #IMMEDIATE_ATTEMPTS}. */
  private static void backOff(int attempt) throws IOException {
    if (attempt < IMMEDIATE_ATTEMPTS) {
      return;
    }
    try {
      Thread.sleep(ThreadLocalRandom.current().nextInt(attempt + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while retrying a put that lost a race with a delete");
    }
  }

  /**
   * Whether the path an "already exists" error names is, by now, gone or a directory: {@code mkdir} found a
   * directory there, then a concurrent prune removed it (and maybe a concurrent put made it again) around the
   * check that it is a directory ({@code Files.createDirectories} and {@link Fsync#createDirectory} both
   * check after {@code EEXIST}): a race, not an object in the way.
   */
  private static boolean notAFileInTheWay(FileSystemException e) {
    if (e.getFile() == null) {
      return false;
    }
    Path p = Path.of(e.getFile());
    // One stat, not two: with exists() then isDirectory(), a directory a delete pruned between the two
    // calls looked like a file in the way, and the put failed (FsPlainReviewTest, seen in a full run).
    try {
      return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .isDirectory();
    } catch (NoSuchFileException gone) {
      return true;
    } catch (IOException unreadable) {
      return false;
    }
  }

  /** Writes {@code body} to a new temporary file beside {@code target}; refuses a body of the wrong length. */
  Staged stage(Path target, InputStream body, long length) throws IOException {
    Staged staged = new Staged(target.getParent(), createTemp(target.getParent()));
    try {
      long copied = copy(body, Channels.newOutputStream(staged.channel), length);
      if (length >= 0 && copied != length) {
        throw new IllegalArgumentException("body ended after " + copied + " bytes, " + length + " declared");
      }
      staged.force();
      return staged;
    } catch (IOException | RuntimeException e) {
      staged.close();
      throw e;
    }
  }

  /**
   * A body in a temporary file, held open until it is in place: if another store removes the file (clearing an
   * empty tree) or its directory (pruning) meanwhile, the open channel still holds the bytes, so
   * {@link #restage} writes them to a new temporary file and nothing is lost.
   */
  final class Staged implements java.io.Closeable {
    final Path dir;
    Path path;
    FileChannel channel;

    record Temp(Path path, FileChannel channel) {}

    Staged(Path dir, Temp temp) {
      this.dir = dir;
      this.path = temp.path();
      this.channel = temp.channel();
    }

    void force() throws IOException {
      if (fsync) {
        channel.force(true);
      }
    }

    /** Copies the body into a new temporary file (recreating the directory), and drops the old one. */
    void restage() throws IOException {
      Temp fresh = createTemp(dir);
      try {
        long size = channel.size();
        for (long done = 0; done < size; ) {
          long n = fresh.channel().transferFrom(channel.position(done), done, size - done);
          if (n <= 0) {
            throw new IOException("rewriting the body to a new temporary file stopped at " + done + " of "
                + size + " bytes");
          }
          done += n;
        }
      } catch (IOException | RuntimeException e) {
        fresh.channel().close();
        deleteQuietly(fresh.path());
        throw e;
      }
      close();
      path = fresh.path();
      channel = fresh.channel();
      force();
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Only read from or written to; the file is deleted next.
      }
      deleteQuietly(path);
    }
  }

  /**
   * A put lost {@value #RACE_ATTEMPTS} races in a row with deletes removing its directory: transient, so
   * {@link ErrorKind#THROTTLED} (retryable), never a conflict.
   */
  static final class RaceLostException extends IOException {
    RaceLostException(Path where, FileSystemException last) {
      super(where + " was removed by concurrent deletes " + RACE_ATTEMPTS + " times in a row", last);
    }
  }

  private static long copy(InputStream in, OutputStream out, long limit) throws IOException {
    byte[] buf = new byte[BUFFER];
    long total = 0;
    while (limit < 0 || total < limit) {
      int want = limit < 0 ? buf.length : (int) Math.min(buf.length, limit - total);
      int n;
      try {
        n = in.read(buf, 0, want);
      } catch (IOException e) {
        throw new UncheckedIOException("reading the body to store failed after " + total + " bytes", e);
      }
      if (n < 0) {
        break;
      }
      out.write(buf, 0, n);
      total += n;
    }
    return total;
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // A stray temp file is skipped by listings; nothing else to do.
      }
    }
  }
}
