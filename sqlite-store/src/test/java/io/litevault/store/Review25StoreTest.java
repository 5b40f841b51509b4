package io.litevault.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of 4f082c2: ReplicaDatabase bugs reproduced on real SQLite files. */
class Review25StoreTest {
  @TempDir Path dir;

  /** A WAL-mode database made by {@code sql}, checkpointed into its main file: its bytes. */
  private byte[] version(String label, String... sql) throws Exception {
    Path f = dir.resolve(label + ".db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + f); Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      for (String q : sql) {
        s.execute(q);
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

  private static String rows(Connection c, String table) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY 1")) {
      while (rs.next()) {
        out.append(rs.getString(1)).append(';');
      }
    }
    return out.toString();
  }

  /** The replica's private read-write lock. */
  private static java.util.concurrent.locks.ReentrantReadWriteLock lockOf(ReplicaDatabase r) throws Exception {
    java.lang.reflect.Field f = ReplicaDatabase.class.getDeclaredField("lock");
    f.setAccessible(true);
    return (java.util.concurrent.locks.ReentrantReadWriteLock) f.get(r);
  }

  /**
   * Scenario: review 24's fix retires every pooled connection after an update (softEvictConnections), so that
   * none keeps a schema parsed from the pages before it. HikariCP adds a new connection to its pool only after
   * it has opened it: GuardedOpen opens it (SQLite parses the schema) under the replica's read lock, releases
   * the lock, and Hikari then sets the connection up and adds it to its bag. An update queued behind that read
   * lock (the follower applies segments back to back while the pool refills after the previous one) runs in
   * between: its retireAll does not see the connection, which joins the pool afterwards, not retired, with the
   * schema of the file before the update. Here the test waits until a connection is opening (the read lock is
   * held and no read runs), then updates to a version whose schema differs with the same schema cookie (as
   * Review24StoreTest: a fork back in time that ran other DDL), then reads.
   * Expected: the read sees the file as the update left it ("a1;a2;" from table a).
   * Actual: the read runs on the connection opened before the update and reads table a through the old
   * schema's root page: another table's rows ("b1;"), silently.
   */
  @Test
  void aConnectionOpeningDuringAnUpdateIsNotPooledWithTheOldSchema() throws Exception {
    byte[] v1 = version("v1", "CREATE TABLE a(x TEXT)", "CREATE TABLE b(y TEXT)",
        "INSERT INTO a VALUES('a1'), ('a2')", "INSERT INTO b VALUES('b1')");
    byte[] v1b = version("v1b", "CREATE TABLE a(x TEXT)", "CREATE TABLE b(y TEXT)",
        "INSERT INTO a VALUES('a1'), ('a2')", "INSERT INTO b VALUES('b2')");
    byte[] v2 = version("v2", "CREATE TABLE b(y TEXT)", "CREATE TABLE a(x TEXT)",
        "INSERT INTO a VALUES('a1'), ('a2')", "INSERT INTO b VALUES('b1')");
    assertEquals(ByteBuffer.wrap(v1).getInt(40), ByteBuffer.wrap(v2).getInt(40), "precondition: the same cookie");
    assertEquals(ByteBuffer.wrap(v1).getInt(40), ByteBuffer.wrap(v1b).getInt(40), "precondition: the same cookie");
    Path file = dir.resolve("replica.db");
    Files.write(file, v1);
    // (Made deterministic after the fix, which opens connections without the lock and stamps each with the
    // update it saw: the pool's next open, once armed, is held after it opened and before the pool gets it.)
    AtomicBoolean armed = new AtomicBoolean();
    CountDownLatch opened = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    UnaryOperator<DataSource> holdNextOpen = ds -> (DataSource) Proxy.newProxyInstance(
        DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, m, args) -> {
          Object out;
          try {
            out = m.invoke(ds, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
          if (m.getName().equals("getConnection") && armed.compareAndSet(true, false)) {
            opened.countDown(); // opened on v1b, its schema parsed
            release.await();
          }
          return out;
        });
    try (ReplicaDatabase r = ReplicaDatabase.open("race", file, DatabaseOptions.builder().readers(1).build(),
        holdNextOpen)) {
      assertEquals("a1;a2;", r.read(c -> rows(c, "a")));
      armed.set(true);
      r.update(f -> overwrite(f, v1b)); // retires the pooled connection: the pool opens a new one on v1b
      assertTrue(opened.await(10, TimeUnit.SECONDS), "the pool reopened");
      r.update(f -> overwrite(f, v2)); // its retireAll cannot see the connection the pool is still adding
      release.countDown();
      assertEquals("a1;a2;", r.read(c -> rows(c, "a")), "table a after the update");
    }
  }

  /**
   * Scenario: an update that takes longer than the pool's connection timeout (a follower's rebuild copies the
   * whole file into place under the write lock: seconds for a database of a few GB; here 250 ms busyTimeout and
   * a 1.5 s update stand for 5 s and a longer copy). Three readers on a pool of one connection: R1 runs a short
   * task; R2 and R3 called read() before the update was queued, so each passed updatesSeen() and waits in the
   * pool for R1's connection. R1 ends; the update starts; the connection goes to R2, which now holds it while it
   * waits for the read lock behind the update (read() borrows before it locks).
   * Expected: reads are held while an update runs, never failed by it ("an update waits until no read is running
   * and holds new reads meanwhile"): R3 reads once the update is done, as it would have 100 ms after R1 ended
   * without the update.
   * (Before the fix) Actual: R3 waits in the pool for the connection R2 holds idle behind the update, and fails with
   * ReadFailedException (SQLTransientConnectionException: connection not available, request timed out).
   */
  @Test
  void aLongUpdateDoesNotFailReadersWaitingForAConnection() throws Exception {
    byte[] v1 = version("l1", "CREATE TABLE a(x TEXT)", "INSERT INTO a VALUES('one')");
    byte[] v2 = version("l2", "CREATE TABLE a(x TEXT)", "INSERT INTO a VALUES('one'), ('two')");
    Path file = dir.resolve("replica.db");
    Files.write(file, v1);
    try (ReplicaDatabase r = ReplicaDatabase.open("long", file, DatabaseOptions.builder().readers(1)
        .busyTimeout(java.time.Duration.ofMillis(250)).build())) {
      java.util.concurrent.locks.ReentrantReadWriteLock lock = lockOf(r);
      assertEquals("one;", r.read(c -> rows(c, "a")));
      java.util.concurrent.CountDownLatch inTask = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
      try {
        var r1 = pool.submit(() -> r.read(c -> {
          inTask.countDown();
          release.await();
          return rows(c, "a");
        }));
        assertTrue(inTask.await(5, TimeUnit.SECONDS));
        java.util.concurrent.Callable<String> reader = () -> {
          try {
            return r.read(c -> rows(c, "a"));
          } catch (RuntimeException e) {
            return e.toString();
          }
        };
        var r2 = pool.submit(reader);
        var r3 = pool.submit(reader);
        // R2 and R3 are past updatesSeen(), waiting in the pool (no update queued yet)
        java.lang.reflect.Field readersField = ReplicaDatabase.class.getDeclaredField("readers");
        readersField.setAccessible(true);
        java.lang.reflect.Field poolField = ReaderPool.class.getDeclaredField("pool");
        poolField.setAccessible(true);
        com.zaxxer.hikari.HikariDataSource hikari = (com.zaxxer.hikari.HikariDataSource) poolField.get(readersField.get(r));
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (hikari.getHikariPoolMXBean().getThreadsAwaitingConnection() < 2 && System.nanoTime() < waitUntil) {
          Thread.onSpinWait();
        }
        assertEquals(2, hikari.getHikariPoolMXBean().getThreadsAwaitingConnection(), "precondition: two readers wait");
        var u = pool.submit(() -> {
          r.update(f -> {
            try {
              Thread.sleep(1500); // the copy of a large file
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            overwrite(f, v2);
          });
          return null;
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!lock.hasQueuedThreads() && System.nanoTime() < deadline) {
          Thread.onSpinWait(); // the update is queued behind R1's read lock
        }
        assertTrue(lock.hasQueuedThreads(), "precondition: the update is queued");
        release.countDown();
        assertEquals("one;", r1.get(10, TimeUnit.SECONDS));
        u.get(10, TimeUnit.SECONDS);
        String a = r2.get(10, TimeUnit.SECONDS);
        String b = r3.get(10, TimeUnit.SECONDS);
        // (After the fix a read takes the lock before a connection: R2 and R3 hold the read lock while they
        // wait for R1's connection, so the update waits for them and they read the version before it. What
        // matters: neither fails, each sees one whole version.)
        for (String got : List.of(a, b)) {
          assertTrue(got.equals("one;") || got.equals("one;two;"), "a read held, not failed, by the update: " + got);
        }
        assertEquals("one;two;", r.read(c -> rows(c, "a")), "the update applied");
      } finally {
        release.countDown();
        pool.shutdownNow();
      }
    }
  }
}
