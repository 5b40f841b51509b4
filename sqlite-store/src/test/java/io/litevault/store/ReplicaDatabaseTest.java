package io.litevault.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ReplicaDatabase}: a file rewritten under open readers, by whole versions, as a follower does. Versions
 * are made by SQLite itself (a WAL-mode writer, checkpointed, like a primary's pages), and the replica's file is
 * overwritten with their bytes.
 */
class ReplicaDatabaseTest {
  @TempDir Path dir;

  /** A WAL-mode database holding rows 1..n of {@code t}, checkpointed into its main file: its bytes. */
  private byte[] version(String label, int n, boolean vacuum) throws Exception {
    Path f = dir.resolve(label + ".db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + f); Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
      s.execute("CREATE INDEX t_v ON t(v)");
      c.setAutoCommit(false);
      for (int i = 1; i <= n + 2000; i++) {
        s.execute("INSERT INTO t VALUES(" + i + ", '" + label + "-" + "x".repeat(100) + i + "')");
      }
      s.execute("DELETE FROM t WHERE id > " + n); // free pages, so VACUUM changes the page count
      c.commit();
      c.setAutoCommit(true);
      if (vacuum) {
        s.execute("VACUUM");
      }
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    return Files.readAllBytes(f);
  }

  private static void overwrite(FileChannel file, byte[] bytes) throws IOException {
    file.truncate(bytes.length);
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      file.write(b, b.position());
    }
  }

  private static long count(Connection c) throws Exception {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*), min(v) FROM t")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String label(Connection c) throws Exception {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*), substr(min(v), 1, 1) FROM t")) {
      rs.next();
      return rs.getString(2) + rs.getLong(1);
    }
  }

  @Test
  void openReadersSeeEachUpdateAndTheCacheFollows() throws Exception {
    byte[] a = version("a", 100, false);
    byte[] b = version("b", 700, false);
    byte[] c = version("c", 50, true); // smaller: the file shrinks under the readers
    Path file = dir.resolve("replica.db");
    Files.write(file, a);
    DatabaseOptions options = DatabaseOptions.builder().readers(2).build();
    try (ReplicaDatabase r = ReplicaDatabase.open("replica", file, options)) {
      assertEquals(100, r.read(ReplicaDatabaseTest::count));
      assertEquals(100L, r.cached("t", "n", ReplicaDatabaseTest::count));
      r.update(f -> overwrite(f, b));
      assertEquals(700, r.read(ReplicaDatabaseTest::count), "a pooled reader that read version a sees b");
      assertEquals(700L, r.cached("t", "n", ReplicaDatabaseTest::count), "the cache is stale after an update");
      r.update(f -> overwrite(f, c));
      assertEquals(50, r.read(ReplicaDatabaseTest::count));
      assertEquals("ok", r.read(cn -> {
        try (Statement s = cn.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
          rs.next();
          return rs.getString(1);
        }
      }));
      assertEquals(2, r.updates());
      ReadFailedException e = assertThrows(ReadFailedException.class,
          () -> r.read(cn -> cn.createStatement().execute("INSERT INTO t VALUES(9999, 'no')")));
      assertTrue(e.getMessage().contains("replica"), e.getMessage());
    }
    // rollback mode on disk: the sqlite3 shell (or any SQLite) opens it without a -wal
    byte[] header = Files.readAllBytes(file);
    assertEquals(1, header[18]);
    assertEquals(1, header[19]);
  }

  /**
   * {@code readers} threads read {@code r} while it flips {@code flips} times between versions {@code a} and
   * {@code b}: what each read saw ({@code label}), and the failures.
   */
  private static List<String> hammer(ReplicaDatabase r, int readers, int flips, byte[] a, byte[] b,
      ConcurrentLinkedQueue<Throwable> failures) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < readers; i++) {
      Thread t = new Thread(() -> {
        while (!stop.get()) {
          try {
            seen.add(r.read(ReplicaDatabaseTest::label));
          } catch (Throwable e) {
            failures.add(e);
          }
        }
      });
      t.start();
      threads.add(t);
    }
    for (int i = 0; i < flips; i++) {
      byte[] next = i % 2 == 0 ? b : a;
      r.update(f -> overwrite(f, next)); // back to back: readers must still get through (the fair lock)
    }
    stop.set(true);
    for (Thread t : threads) {
      t.join();
    }
    return new ArrayList<>(seen);
  }

  /** Readers hammer the replica while it flips between versions: each read sees one whole version. */
  @Test
  void readersNeverSeeAHalfWrittenUpdate() throws Exception {
    byte[] a = version("a", 300, false);
    byte[] b = version("b", 1200, true);
    Path file = dir.resolve("replica.db");
    Files.write(file, a);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    try (ReplicaDatabase r = ReplicaDatabase.open("flip", file, DatabaseOptions.builder().readers(3).build())) {
      List<String> seen = hammer(r, 3, 60, a, b, failures);
      assertTrue(failures.isEmpty(), () -> "reads failed: " + failures.size() + " of " + seen.size() + " " + failures.peek());
      for (String s : seen) {
        assertTrue(s.equals("a300") || s.equals("b1200"), "a read saw " + s);
      }
      assertTrue(seen.contains("a300") && seen.contains("b1200"), "both versions were read");
    }
  }

  /**
   * Reader connections opened while updates run (the pool fills in the background right after open) read
   * the schema as they open: that must not happen during an update either.
   */
  @Test
  void connectionsOpenedDuringUpdatesSeeWholeVersions() throws Exception {
    byte[] a = version("a", 300, false);
    byte[] b = version("b", 1200, true);
    Path file = dir.resolve("replica.db");
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    for (int round = 0; round < 15; round++) {
      Files.write(file, a);
      try (ReplicaDatabase r = ReplicaDatabase.open("fill", file, DatabaseOptions.builder().readers(8).build())) {
        for (String s : hammer(r, 8, 20, a, b, failures)) {
          assertTrue(s.equals("a300") || s.equals("b1200"), "a read saw " + s);
        }
      }
    }
    assertTrue(failures.isEmpty(), () -> failures.size() + " reads failed, first: " + failures.peek());
  }

  /** Detached, the file is byte for byte what the last update wrote: a primary's file a writer can take over. */
  @Test
  void aDetachedFileIsWhatTheUpdatesWrote() throws Exception {
    byte[] a = version("a", 100, false);
    byte[] b = version("b", 300, false);
    Path file = dir.resolve("replica.db");
    Files.write(file, a);
    ReplicaDatabase r = ReplicaDatabase.open("detach", file, DatabaseOptions.defaults());
    assertEquals(1, Files.readAllBytes(file)[18], "served in rollback mode");
    r.update(f -> overwrite(f, b));
    r.detach();
    assertTrue(java.util.Arrays.equals(b, Files.readAllBytes(file)), "the file is b again, header included");
    assertThrows(StoreClosedException.class, () -> r.read(ReplicaDatabaseTest::count));
    Files.write(file, a);
    ReplicaDatabase damaged = ReplicaDatabase.open("detach", file, DatabaseOptions.defaults());
    assertThrows(IOException.class, () -> damaged.update(f -> {
      throw new IOException("disk full");
    }));
    assertThrows(ReplicaDamagedException.class, () -> damaged.read(ReplicaDatabaseTest::count));
    assertThrows(ReplicaDamagedException.class, damaged::detach);
    damaged.update(f -> overwrite(f, a));
    assertEquals(100, damaged.read(ReplicaDatabaseTest::count), "a successful update ends the damage");
    damaged.close();
  }

  @Test
  void badInputIsNamed() throws Exception {
    Path missing = dir.resolve("missing.db");
    StoreException e = assertThrows(StoreException.class,
        () -> ReplicaDatabase.open("r", missing, DatabaseOptions.defaults()));
    assertTrue(e.getMessage().contains("missing.db") && e.getMessage().contains("no such file"), e.getMessage());
    Path text = dir.resolve("text.db");
    Files.writeString(text, "hello, not a database ".repeat(10));
    e = assertThrows(StoreException.class, () -> ReplicaDatabase.open("r", text, DatabaseOptions.defaults()));
    assertTrue(e.getMessage().contains("not a SQLite database"), e.getMessage());
    assertThrows(InvalidNameException.class, () -> ReplicaDatabase.open("../x", text, DatabaseOptions.defaults()));
    Path file = dir.resolve("closed.db");
    Files.write(file, version("z", 10, false));
    ReplicaDatabase r = ReplicaDatabase.open("closed", file, DatabaseOptions.defaults());
    r.close();
    assertThrows(StoreClosedException.class, () -> r.read(ReplicaDatabaseTest::count));
    assertThrows(StoreClosedException.class, () -> r.update(f -> {}));
    r.close(); // twice is fine
    try (FileChannel f = FileChannel.open(file, StandardOpenOption.READ)) {
      assertTrue(f.size() > 0);
    }
  }
}
