package io.litevault.store;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store's claim on its directory: an OS lock on {@code .litevault.lock} against other processes, and
 * a JVM-wide set of held lock files against other stores of this process. Both are needed: the OS lock is
 * a POSIX record lock, and {@link FileLock}'s Javadoc warns that "on some systems, closing a channel
 * releases all locks held by the Java virtual machine on the underlying file regardless of whether the
 * locks were acquired via that channel or via another channel open on the same file" — so a second store
 * of this process must never open (and close) a channel on a lock file the first one holds.
 *
 * <p>The holder writes who it is into the file (process id, host, since when), so a store that waits for
 * the lock, or gives up, can name it.
 */
final class DirectoryLock {
  static final String FILE = ".litevault.lock";
  /** How often a waiting open tries again. */
  static final Duration POLL = Duration.ofMillis(25);
  /**
   * Lock files held (or being tried) by a store of this JVM (real paths), with what the holder wrote
   * about itself. Nothing of this JVM opens or reads a lock file it holds: the holder is told from here.
   */
  private static final Map<Path, String> HELD_HERE = new ConcurrentHashMap<>();
  private static final String TRYING = "a store of this process that is opening";
  /**
   * Channels that met a lock held by something else of this JVM that is not a store (a restore into this
   * directory holds it, see replication's RestoreTarget): closing them would drop that lock, so they stay
   * open, one per lock file, and the next try uses it again.
   */
  private static final Map<Path, FileChannel> PARKED = new ConcurrentHashMap<>();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private DirectoryLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of {@code dir} (an existing directory), waiting up to {@code wait} for its holder to
   * release it.
   *
   * @throws StoreLockedException still held when the wait ended
   * @throws StoreException the lock file cannot be used
   */
  static DirectoryLock acquire(Path dir, Duration wait) {
    Path file;
    try {
      file = dir.toRealPath().resolve(FILE);
    } catch (IOException e) {
      throw new StoreException(null, "cannot use directory " + dir + " for the store: " + e
          + "; check that it exists (or can be created) and is writable", e);
    }
    long deadline = System.nanoTime() + wait.toNanos();
    String[] holder = new String[1];
    while (true) {
      DirectoryLock taken = tryOnce(file, holder);
      if (taken != null) {
        return taken;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new StoreLockedException(dir, file, holder[0], wait);
      }
      try {
        Thread.sleep(Math.max(1, Math.min(POLL.toMillis(), left / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException(null, "interrupted while waiting for the lock " + file + " (held by "
            + holder[0] + ")", e);
      }
    }
  }

  /**
   * The lock, or null while another store (here or in another process) holds it; then {@code holder[0]}
   * says who, read while this JVM's claim keeps its own stores off the file.
   */
  private static DirectoryLock tryOnce(Path file, String[] holder) {
    String here = HELD_HERE.putIfAbsent(file, TRYING);
    if (here != null) {
      holder[0] = here; // a store of this JVM: opening a channel here and closing it would drop its OS lock
      return null;
    }
    FileChannel channel = PARKED.remove(file);
    try {
      if (channel == null) {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      }
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        holder[0] = "something else in this process (a restore into this directory?)";
        PARKED.put(file, channel); // never closed: that would drop the other's lock
        HELD_HERE.remove(file);
        return null;
      }
      if (lock == null) {
        holder[0] = holder(channel);
        channel.close(); // no store of this JVM holds it (HELD_HERE): closing drops no lock of ours
        HELD_HERE.remove(file);
        return null;
      }
      DirectoryLock taken = new DirectoryLock(file, channel, lock);
      HELD_HERE.put(file, taken.writeHolder());
      return taken;
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // already failing
        }
      }
      HELD_HERE.remove(file);
      throw new StoreException(null, "cannot use the lock file " + file + ": " + e
          + "; check that the directory is writable", e);
    }
  }

  private String writeHolder() throws IOException {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException | RuntimeException e) {
      host = "unknown host";
    }
    String who = "pid " + ProcessHandle.current().pid() + " on " + host + " ("
        + ManagementFactory.getRuntimeMXBean().getName() + "), since " + Instant.now();
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((who + "\n").getBytes(StandardCharsets.UTF_8)), 0);
    return who;
  }

  /** What the holder wrote about itself into the file open on {@code channel}, or a placeholder. */
  private static String holder(FileChannel channel) {
    try {
      ByteBuffer b = ByteBuffer.allocate(1024);
      channel.read(b, 0);
      String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? "an unknown process (the lock file names none)" : s;
    } catch (IOException | RuntimeException e) {
      return "an unknown process (" + e + ")";
    }
  }

  Path file() {
    return file;
  }

  /** Releases the OS lock, closes the file, and lets other stores of this JVM take it. */
  void release() throws IOException {
    try {
      lock.release();
      channel.close();
    } finally {
      HELD_HERE.remove(file);
    }
  }
}
