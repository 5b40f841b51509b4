package io.litevault.replication.restore;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.bucket.fs.Fsync;
import io.litevault.replication.Dumps;
import io.litevault.replication.Durability;
import io.litevault.replication.ReplicationTest;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a restore does to the place it writes: it owns the {@code -wal}/{@code -shm}/{@code -journal}
 * beside its output (SQLite replays a WAL it finds there), never replaces a database a process or a
 * running store has open, nor anything that is not a regular file, makes the rename durable, and cleans
 * up the temporary files of a restore killed with {@code kill -9}.
 */
class RestoreOutputTest {
  private static final String PREFIX = "out/data";

  @TempDir static Path shared;
  @TempDir Path dir;
  static ObjectStore bucket;
  static String state;

  @BeforeAll
  static void replicate() throws Exception {
    bucket = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(shared.resolve("bucket")))
        .fsync(false).build());
    try (SqliteStore store = SqliteStore.builder(shared.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, PREFIX).minUploadInterval(Duration.ZERO)
          .build())) {
        for (int i = 0; i < 5; i++) {
          r.write(ReplicationTest.insert("restored", "row " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        }
        state = db.read(Dumps::dump);
      }
    }
  }

  private static RestoreOptions.Builder to(Path out) {
    return RestoreOptions.builder(bucket, PREFIX, out);
  }

  private static Path sibling(Path p, String suffix) {
    return p.resolveSibling(p.getFileName() + suffix);
  }

  /**
   * What a crashed process leaves: {@code at}, {@code at-wal} (committed transactions not yet
   * checkpointed: a valid WAL) and {@code at-shm}, of a database holding table {@code stale}.
   */
  private Path crashedDatabase(Path at, boolean withMainFile) throws Exception {
    Path live = Files.createDirectories(dir.resolve("crashed-" + System.nanoTime())).resolve("live.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + live); Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA wal_autocheckpoint=0");
      s.execute("CREATE TABLE stale(x TEXT)");
      for (int i = 0; i < 50; i++) {
        s.execute("INSERT INTO stale VALUES ('old row " + i + "')");
      }
      Files.createDirectories(at.getParent());
      if (withMainFile) {
        Files.copy(live, at);
      }
      Files.copy(sibling(live, "-wal"), sibling(at, "-wal"));
      Files.copy(sibling(live, "-shm"), sibling(at, "-shm"));
    }
    assertTrue(Files.size(sibling(at, "-wal")) > 32, "a WAL with frames");
    return at;
  }

  @Test
  void aStaleWalOfACrashedDatabaseIsRemovedBeforeTheRestoredFileTakesItsPlace() throws Exception {
    Path out = crashedDatabase(dir.resolve("data.db"), true);
    Restore.run(to(out).force(true).build());
    for (String s : List.of("-wal", "-shm", "-journal")) {
      assertFalse(Files.exists(sibling(out, s)), s + " of the replaced database is gone");
    }
    assertEquals(state, Dumps.dump(out), "SQLite reads the restored database, not the old WAL's pages");
    assertEquals("ok", Dumps.integrity(out));
  }

  @Test
  void aWalWithoutItsDatabaseCountsAsAnExistingDatabase() throws Exception {
    Path out = crashedDatabase(dir.resolve("data.db"), false);
    RestoreException e = assertThrows(RestoreException.class, () -> Restore.run(to(out).build()));
    assertEquals(RestoreException.Kind.OUTPUT_EXISTS, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains(sibling(out, "-wal").toString()), e.getMessage());
    assertFalse(e.getMessage().contains("--"), "no command-line flag in a library message: " + e.getMessage());
    assertFalse(Files.exists(out));

    Restore.run(to(out).force(true).build());
    assertFalse(Files.exists(sibling(out, "-wal")));
    assertEquals(state, Dumps.dump(out));
  }

  @Test
  void aDatabaseThatAProcessHasOpenIsNotReplaced() throws Exception {
    Path out = dir.resolve("open.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out); Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("CREATE TABLE mine(x TEXT)");
      s.execute("INSERT INTO mine VALUES ('in use')");
      RestoreException e = assertThrows(RestoreException.class, () -> Restore.run(to(out).force(true).build()));
      assertEquals(RestoreException.Kind.OUTPUT_IN_USE, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
      assertFalse(e.getMessage().contains("--"), e.getMessage());
      // The connection's locks and files are intact: it goes on writing and reading its own database.
      s.execute("INSERT INTO mine VALUES ('still mine')");
      try (var rs = s.executeQuery("SELECT count(*) FROM mine")) {
        rs.next();
        assertEquals(2, rs.getInt(1));
      }
    }
    Restore.run(to(out).force(true).build()); // closed: now it can be replaced
    assertEquals(state, Dumps.dump(out));
  }

  @Test
  void aDirectoryThatARunningStoreHoldsIsNotRestoredIntoAndTheStoreKeepsItsLock() throws Exception {
    Path storeDir = dir.resolve("store");
    Path lockFile = storeDir.resolve(".litevault.lock");
    try (SqliteStore store = SqliteStore.builder(storeDir).database("data").open()) {
      store.database("data").writeAndWait(c -> c.createStatement().executeUpdate("CREATE TABLE live(x)"));
      for (Path out : List.of(storeDir.resolve("data.db"), storeDir.resolve("new.db"))) {
        RestoreException e = assertThrows(RestoreException.class, () -> Restore.run(to(out).force(true).build()));
        assertEquals(RestoreException.Kind.OUTPUT_IN_USE, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(lockFile.toString()) && e.getMessage().contains("close"), e.getMessage());
        assertFalse(e.getMessage().contains("--"), e.getMessage());
      }
      assertFalse(Files.exists(storeDir.resolve("new.db")));
      // The store's lock is a POSIX lock: closing any descriptor of the lock file in this process would
      // have released it. It is still held, and the store still writes.
      if (Files.isReadable(Path.of("/proc/locks"))) {
        long inode = (Long) Files.getAttribute(lockFile, "unix:ino");
        assertTrue(Files.readAllLines(Path.of("/proc/locks")).stream().anyMatch(l -> l.contains(" "
            + ProcessHandle.current().pid() + " ") && l.matches(".*:" + inode + " .*")), "the store still holds its lock");
      }
      store.database("data").writeAndWait(c -> c.createStatement().executeUpdate("INSERT INTO live VALUES (1)"));
    }
    Restore.run(to(storeDir.resolve("data.db")).force(true).build()); // the store is closed
    assertEquals(state, Dumps.dump(storeDir.resolve("data.db")));
  }

  @Test
  void aPathThatIsNotARegularFileIsNeverReplaced() throws Exception {
    Path target = Files.writeString(dir.resolve("target.db"), "someone else's file");
    Path link = Files.createSymbolicLink(dir.resolve("link.db"), target);
    Path directory = Files.createDirectories(dir.resolve("directory.db"));
    List<Path> paths = new ArrayList<>(List.of(link, directory));
    Path fifo = dir.resolve("fifo.db");
    if (new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0) {
      paths.add(fifo); // a special file, like the device node /dev/null
    }
    for (Path out : paths) {
      RestoreException e = assertThrows(RestoreException.class, () -> Restore.run(to(out).force(true).build()), out.toString());
      assertEquals(RestoreException.Kind.OUTPUT_NOT_A_FILE, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
      assertFalse(e.getMessage().contains("--"), e.getMessage());
    }
    assertTrue(Files.isSymbolicLink(link));
    assertEquals("someone else's file", Files.readString(target));
    assertTrue(Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS));
    if (paths.contains(fifo)) {
      assertTrue(Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther(), "still a FIFO");
    }
    try (Stream<Path> s = Files.list(dir)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".restoring-")), "no temporary left");
    }
  }

  @Test
  void newDirectoriesAndTheRenameAreMadeDurable() throws Exception {
    Path out = dir.resolve("new").resolve("sub").resolve("data.db");
    List<String> synced = Collections.synchronizedList(new ArrayList<>());
    Fsync.observer = d -> synced.add(dir.relativize(d) + (Files.exists(out) ? " (after the rename)" : ""));
    try {
      Restore.run(to(out).build());
    } finally {
      Fsync.observer = null;
    }
    assertTrue(synced.contains(""), "the new directory's entry in its parent: " + synced);
    assertTrue(synced.contains("new"), "the new directory's entry in its parent: " + synced);
    assertTrue(synced.contains(Path.of("new", "sub") + " (after the rename)"), "the rename: " + synced);
  }

  @Test
  void temporariesOfARestoreKilledWithKillNineAreRemovedByTheNextRestoreIntoTheDirectory() throws Exception {
    Path out = dir.resolve("data.db");
    long child;
    try (ChildJvm restore = ChildJvm.start(SlowRestoreMain.class, line -> { }, shared.resolve("bucket").toString(), PREFIX,
        out.toString())) {
      child = restore.pid();
      Path temp = sibling(out, ".restoring-" + child);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(temp) && System.nanoTime() < deadline && restore.alive()) {
        Thread.sleep(20);
      }
      assertTrue(Files.exists(temp), "the child restore started writing " + temp + "; stderr:\n" + restore.stderr());
      restore.kill9();
    }
    Path orphan = sibling(out, ".restoring-" + child);
    assertTrue(Files.exists(orphan), "kill -9 left " + orphan);
    Path orphanWal = Files.writeString(sibling(out, ".restoring-" + child + "-wal"), "x");
    long self = ProcessHandle.current().pid();
    Instant started = ProcessHandle.current().info().startInstant().orElseThrow();
    // This pid's, but older than this process: a restore that died under the same pid (a container's pid 1).
    Path reused = Files.writeString(dir.resolve("other.db.restoring-" + self), "x");
    Files.setLastModifiedTime(reused, FileTime.from(started.minus(Duration.ofHours(1))));
    // A restore running now: in another live process, and in this one.
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    try {
      Path running = Files.writeString(dir.resolve("running.db.restoring-" + sleeper.pid()), "x");
      Path mine = Files.writeString(dir.resolve("mine.db.restoring-" + self), "x");
      Path unrelated = Files.writeString(dir.resolve("notes.restoring-later"), "x");

      Restore.run(to(dir.resolve("next.db")).build());

      assertFalse(Files.exists(orphan), "the killed restore's temporary file is gone");
      assertFalse(Files.exists(orphanWal));
      assertFalse(Files.exists(reused), "older than the process with its pid: an orphan");
      assertTrue(Files.exists(running), "a live process's restore is left alone");
      assertTrue(Files.exists(mine), "this process's own restores are left alone");
      assertTrue(Files.exists(unrelated));
      assertEquals(state, Dumps.dump(dir.resolve("next.db")));
    } finally {
      sleeper.destroyForcibly();
    }
  }

  /** The child of the kill -9 test: a restore slowed down by 300 ms per bucket request. */
  public static final class SlowRestoreMain {
    public static void main(String[] args) {
      ObjectStore slow = new FaultyObjectStore(FileSystemObjectStore.create(Path.of(args[0])))
          .latency(Duration.ofMillis(300));
      Restore.run(RestoreOptions.builder(slow, args[1], Path.of(args[2])).parallelism(1).build());
    }
  }
}
