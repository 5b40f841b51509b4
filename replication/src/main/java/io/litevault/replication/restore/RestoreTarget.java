package io.litevault.replication.restore;

import io.litevault.bucket.fs.Fsync;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The place a restore writes: the output file and what SQLite keeps beside it.
 *
 * <p>SQLite pairs a database with the {@code -wal} file of the same name, whoever wrote it. From
 * https://www.sqlite.org/wal.html ("The WAL File"): "The WAL file is part of the persistent state of the
 * database and should be kept with the database if the database is copied or moved. If a database file is
 * separated from its WAL file, then transactions that were previously committed to the database might be
 * lost, or the database file might become corrupted." A restored file renamed in beside the {@code -wal}
 * of a crashed database is exactly such a mispairing: SQLite replays the old WAL's pages over the restored
 * ones (and {@code integrity_check} may well say ok). So a restore owns {@code -wal}, {@code -shm} and
 * {@code -journal} beside its output: when asked to replace the database (force) it deletes them just
 * before the rename, once it has proved that no process has the database open; without force their
 * presence means a database exists there.
 *
 * <p>The proof, in two parts. A process with a SQLite database open holds POSIX ({@code fcntl}) locks:
 * a WAL-mode connection a shared lock on the {@code -shm} file's DMS byte and on the database file as
 * long as it is open, a writer more. Such locks cannot be tested from Java without opening the file, and
 * closing any descriptor of a file drops every POSIX lock this process holds on it (SQLite's own, in
 * this JVM, included). So: (1) on Linux, {@code /proc/locks} is read and any lock on the database or its
 * side files, by any process (this one too), means "in use"; (2) then this restore takes the locks SQLite
 * takes for writing (the database file's PENDING..SHARED bytes, the {@code -shm} file's lock and DMS bytes)
 * and holds them across the deletions and the rename, so no other process can open the database
 * meanwhile. Where {@code /proc/locks} is unavailable, side files are never deleted: the restore refuses.
 *
 * <p>A running {@code SqliteStore} holds a lock on {@code .litevault.lock} in its directory
 * ({@code FileChannel.tryLock}, a POSIX lock too). A restore never writes into such a directory: it
 * tries the same lock, and holds it across the rename. In this JVM, {@code tryLock} of a file locked by
 * another channel throws {@link OverlappingFileLockException}; that channel is then never closed (see
 * {@link #PARKED}).
 *
 * <p>Only regular files (or nothing) are replaced: never a symbolic link, a directory, or a special file
 * such as {@code /dev/null} (a rename over a device node replaces the node with a regular file).
 */
final class RestoreTarget {
  private static final Logger log = LoggerFactory.getLogger(RestoreTarget.class);

  /** sqlite-store's {@code SqliteStore.LOCK_FILE}. */
  static final String STORE_LOCK_FILE = ".litevault.lock";
  static final String TEMP_MARK = ".restoring-";
  /** Suffix of a compacted range downloaded beside the restore's temporary file. */
  static final String RANGE_MARK = "-range-";
  /** Where SQLite keeps what belongs to a database besides its file. */
  static final List<String> SIDE_FILES = List.of("-wal", "-journal", "-shm");
  /**
   * Temporary files of a restore: {@code <output name>.restoring-<pid>}, SQLite's side files of it, and the
   * compacted ranges downloaded beside it ({@code -range-<n>}).
   */
  private static final Pattern TEMP = Pattern.compile(".+" + Pattern.quote(TEMP_MARK)
      + "(\\d{1,18})(-wal|-shm|-journal|" + Pattern.quote(RANGE_MARK) + "\\d{1,9})?");
  /**
   * SQLite's lock bytes (os_unix.c): in the database file PENDING_BYTE (1 GiB), RESERVED_BYTE and the
   * 510 SHARED bytes; in the {@code -shm} file the 8 WAL lock slots from byte 120 and the DMS byte 128.
   */
  private static final long DB_LOCKS_FROM = 0x40000000L;
  private static final long DB_LOCKS_LENGTH = 512;
  private static final long SHM_LOCKS_FROM = 120;
  private static final long SHM_LOCKS_LENGTH = 9;
  /** A pid's process started this long after a file was last written cannot have written it. */
  private static final Duration START_TIME_SLACK = Duration.ofSeconds(2);
  /**
   * Channels whose lock attempt found a lock of this JVM on the same file: closing them would release
   * that lock (POSIX locks belong to the process, and any close drops them), so they stay open.
   */
  private static final List<FileChannel> PARKED = Collections.synchronizedList(new ArrayList<>());

  private final Path output;
  private final boolean force;
  /** Delete a stale -wal/-journal of a missing database, but never replace a database file. */
  private final boolean discardStaleWal;

  RestoreTarget(Path output, boolean force) {
    this(output, force, false);
  }

  RestoreTarget(Path output, boolean force, boolean discardStaleWal) {
    this.output = output.toAbsolutePath().normalize();
    this.force = force;
    this.discardStaleWal = discardStaleWal;
  }

  Path output() {
    return output;
  }

  Path directory() {
    return output.getParent();
  }

  /** This process's temporary file for the output. */
  Path temp() {
    return sibling(TEMP_MARK + ProcessHandle.current().pid());
  }

  private Path sibling(String suffix) {
    return output.resolveSibling(output.getFileName() + suffix);
  }

  /**
   * Refuses an output that cannot be replaced safely. Run before anything is downloaded, and again by
   * {@link #install} just before the rename.
   *
   * @throws RestoreException OUTPUT_NOT_A_FILE, OUTPUT_EXISTS (without force), OUTPUT_IN_USE
   */
  void check() {
    if (output.getParent() == null) {
      throw new RestoreException(RestoreException.Kind.OUTPUT_NOT_A_FILE, output + " is not a file path", null, null);
    }
    BasicFileAttributes main = attributes(output);
    requireRegular(output, main);
    List<Path> database = new ArrayList<>();
    if (main != null) {
      database.add(output);
    }
    List<Path> sides = new ArrayList<>();
    for (String suffix : SIDE_FILES) {
      Path p = sibling(suffix);
      BasicFileAttributes a = attributes(p);
      requireRegular(p, a);
      if (a != null) {
        sides.add(p);
        if (!suffix.equals("-shm")) {
          database.add(p); // -shm alone holds no data: SQLite rebuilds it from the WAL
        }
      }
    }
    if (!database.isEmpty() && !force && (main != null || !discardStaleWal)) {
      Path what = database.get(0);
      throw new RestoreException(RestoreException.Kind.OUTPUT_EXISTS, what + " exists"
          + (what.equals(output) ? "" : " (SQLite would replay it into the restored file as part of the database "
          + output.getFileName() + ")") + "; a restore replaces an existing database only when asked to (force)", null, null);
    }
    storeLock(false);
    List<Path> present = new ArrayList<>(sides);
    if (main != null) {
      present.add(0, output);
    }
    if (present.isEmpty()) {
      return;
    }
    Optional<Map<Long, List<Long>>> locks = ProcLocks.read();
    if (locks.isPresent()) {
      for (Path p : present) {
        List<Long> pids = lockers(locks.get(), p);
        if (!pids.isEmpty()) {
          throw new RestoreException(RestoreException.Kind.OUTPUT_IN_USE, p + " is locked by "
              + (pids.contains(ProcessHandle.current().pid()) ? "this process" : "process " + pids.get(0))
              + ": a process has the database " + output + " open. Close it (stop the process) before replacing "
              + "the database, or restore to another path", null, null);
        }
      }
    } else if (!sides.isEmpty()) {
      throw new RestoreException(RestoreException.Kind.OUTPUT_IN_USE, "cannot prove that no process has the database "
          + output + " open on this system (no /proc/locks), so its " + sides + " cannot be removed safely: stop every "
          + "process using it, delete those files, and restore again", null, null);
    }
  }

  private static BasicFileAttributes attributes(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new RestoreException(RestoreException.Kind.IO, "cannot examine " + p + ": " + e, null, e);
    }
  }

  private static void requireRegular(Path p, BasicFileAttributes a) {
    if (a == null || a.isRegularFile()) {
      return;
    }
    String what = a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory"
        : "a special file (a device, FIFO or socket)";
    throw new RestoreException(RestoreException.Kind.OUTPUT_NOT_A_FILE, p + " is " + what + ", not a regular file; a "
        + "restore only creates or replaces regular files: give the path of the database file itself (or of one that "
        + "does not exist yet)", null, null);
  }

  private static List<Long> lockers(Map<Long, List<Long>> locks, Path p) {
    try {
      Object ino = Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
      return locks.getOrDefault(((Number) ino).longValue(), List.of());
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException | UnsupportedOperationException e) {
      return List.of();
    }
  }

  /**
   * Takes the store lock of the output's directory when there is one, or fails when a running store holds
   * it; {@code keep}: hold it (the caller releases it), else release it at once.
   */
  private FileChannel storeLock(boolean keep) {
    Path lockFile = directory().resolve(STORE_LOCK_FILE);
    if (!Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    // Shared is enough (the store takes it exclusively) and needs only read access to the file.
    FileChannel ch = lock(lockFile, 0, Long.MAX_VALUE, true, () -> new RestoreException(RestoreException.Kind.OUTPUT_IN_USE,
        "a running Litevault store holds " + directory() + " (its lock file " + lockFile + " is locked): close the store "
        + "(stop its process) before restoring into its directory, or restore to another directory and move the file "
        + "in while the store is closed", null, null));
    if (ch != null && !keep) {
      closeQuietly(ch);
      return null;
    }
    return ch;
  }

  /**
   * Locks {@code [from, from + length)} of {@code file}; null when the file is gone, or (for an exclusive
   * lock) not writable by this process; throws {@code busy} when another process or this JVM holds a
   * conflicting lock.
   */
  private static FileChannel lock(Path file, long from, long length, boolean shared,
      java.util.function.Supplier<RestoreException> busy) {
    FileChannel ch;
    try {
      ch = shared ? FileChannel.open(file, StandardOpenOption.READ)
          : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      return null;
    } catch (java.nio.file.AccessDeniedException e) {
      if (!shared) {
        return null; // a read-only database: /proc/locks already showed no process has it open
      }
      throw new RestoreException(RestoreException.Kind.IO, "cannot open " + file + " to see whether a store holds it: "
          + e + "; run the restore as a user who can read it", null, e);
    } catch (IOException e) {
      throw new RestoreException(RestoreException.Kind.IO, "cannot open " + file + " to lock it: " + e, null, e);
    }
    FileLock lock;
    try {
      lock = ch.tryLock(from, length, shared);
    } catch (OverlappingFileLockException e) {
      PARKED.add(ch); // held by this JVM through another channel: closing this one would release it
      throw busy.get();
    } catch (IOException e) {
      closeQuietly(ch);
      throw new RestoreException(RestoreException.Kind.IO, "cannot lock " + file + ": " + e, null, e);
    }
    if (lock == null) {
      closeQuietly(ch); // this process holds no lock on it (tryLock would have thrown): safe to close
      throw busy.get();
    }
    return ch;
  }

  /**
   * Moves the verified temporary file into place: checks again, takes the store lock and SQLite's write
   * locks on the database being replaced, deletes its side files, renames, and fsyncs the directory.
   */
  void install(Path temp) throws IOException {
    check();
    List<FileChannel> held = new ArrayList<>();
    try {
      FileChannel store = storeLock(true);
      if (store != null) {
        held.add(store);
      }
      boolean sides = SIDE_FILES.stream().anyMatch(s -> Files.exists(sibling(s), LinkOption.NOFOLLOW_LINKS));
      // check() just found no lock on these files (in this process either), so opening and closing them
      // here cannot release anyone's lock; without /proc/locks it refused side files, and the main file
      // alone is not opened.
      if ((sides || Files.exists(output, LinkOption.NOFOLLOW_LINKS)) && ProcLocks.read().isPresent()) {
        java.util.function.Supplier<RestoreException> busy = () -> new RestoreException(RestoreException.Kind.OUTPUT_IN_USE,
            "a process opened the database " + output + " during the restore: close it (stop the process) before "
            + "replacing the database, or restore to another path", null, null);
        addIfNotNull(held, lock(output, DB_LOCKS_FROM, DB_LOCKS_LENGTH, false, busy));
        addIfNotNull(held, lock(sibling("-shm"), SHM_LOCKS_FROM, SHM_LOCKS_LENGTH, false, busy));
      }
      if (sides) {
        for (String suffix : SIDE_FILES) { // -wal and -journal first: a stale -shm alone is harmless
          if (Files.deleteIfExists(sibling(suffix))) {
            log.info("removed {} of the database being replaced", sibling(suffix));
          }
        }
        Fsync.directory(directory()); // the old WAL is gone for good before the new file appears
      }
      Files.move(temp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Fsync.directory(directory());
    } finally {
      for (FileChannel ch : held) {
        closeQuietly(ch);
      }
    }
  }

  private static void addIfNotNull(List<FileChannel> list, FileChannel ch) {
    if (ch != null) {
      list.add(ch);
    }
  }

  /**
   * Deletes temporary files that restores killed with {@code kill -9} left in the output's directory:
   * {@code *.restoring-<pid>} (and its {@code -wal}/{@code -shm}/{@code -journal}) whose process is gone,
   * or whose pid now belongs to a process started after the file was last written (the pid was reused,
   * for example a container's pid 1). A live restore's files are left alone, this process's included.
   */
  void cleanOrphans() {
    Path dir = directory();
    if (!Files.isDirectory(dir)) {
      return;
    }
    Map<Long, Optional<Instant>> started = new HashMap<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + TEMP_MARK + "*")) {
      for (Path p : entries) {
        Matcher m = TEMP.matcher(p.getFileName().toString());
        BasicFileAttributes a = attributes(p);
        if (!m.matches() || a == null || !a.isRegularFile()) {
          continue;
        }
        long pid = Long.parseLong(m.group(1));
        Optional<Instant> start = started.computeIfAbsent(pid, RestoreTarget::startOf);
        boolean orphan = start == null || start.isPresent()
            && a.lastModifiedTime().toInstant().plus(START_TIME_SLACK).isBefore(start.get());
        if (orphan) {
          try {
            Files.deleteIfExists(p);
            log.info("removed {}, left by a restore that did not finish ({})", p, start == null
                ? "process " + pid + " is gone" : "pid " + pid + " now belongs to a process started after it was written");
          } catch (IOException e) {
            log.warn("could not remove {}, left by a restore that did not finish", p, e);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("could not look for temporary files of unfinished restores in {}", dir, e);
    }
  }

  /** Null when no process has {@code pid}; else its start time, when known. */
  private static Optional<Instant> startOf(long pid) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    return h.isEmpty() ? null : h.get().info().startInstant();
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing was written through it
    }
  }

  /** The POSIX, OFD and flock locks of the system, from Linux's {@code /proc/locks}. */
  static final class ProcLocks {
    private static final Path FILE = Path.of("/proc/locks");
    /** {@code 1: POSIX  ADVISORY  WRITE 6942 fe:00:2147268 0 EOF}; waiters carry {@code ->} after the number. */
    private static final Pattern LINE = Pattern.compile("\\d+:\\s+(?:->\\s+)?\\S+\\s+\\S+\\s+\\S+\\s+(-?\\d+)\\s+"
        + "[0-9a-fA-F]+:[0-9a-fA-F]+:(\\d+)\\s.*");

    private ProcLocks() {}

    /**
     * Locked inode numbers and the pids holding them; empty when {@code /proc/locks} cannot be read. The
     * device is not compared (on overlay and some other file systems {@code stat} and the lock table
     * disagree about it): a match by inode alone errs towards "in use".
     */
    static Optional<Map<Long, List<Long>>> read() {
      List<String> lines;
      try {
        lines = Files.readAllLines(FILE);
      } catch (IOException | RuntimeException e) {
        return Optional.empty();
      }
      Map<Long, List<Long>> out = new HashMap<>();
      for (String line : lines) {
        Matcher m = LINE.matcher(line.trim() + " ");
        if (m.matches()) {
          out.computeIfAbsent(Long.parseLong(m.group(2)), k -> new ArrayList<>()).add(Long.parseLong(m.group(1)));
        }
      }
      return Optional.of(out);
    }
  }
}
