package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.testing.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store waits for the directory's lock when told to ({@code lockWait}), in this process and across
 * processes, and fails with a {@link StoreLockedException} naming the lock file and its holder when the
 * wait ends; a refused open never weakens the holder's lock.
 */
class StoreLockWaitTest {
  @TempDir Path dir;

  private SqliteStore open(Duration wait) {
    return SqliteStore.builder(dir).database("data", Kv.options().build()).lockWait(wait).open();
  }

  @Test
  void theDefaultIsToFailAtOnceNamingTheLockFileAndTheHolder() {
    assertEquals(Duration.ZERO, SqliteStore.DEFAULT_LOCK_WAIT);
    try (SqliteStore first = open(Duration.ZERO)) {
      long t0 = System.nanoTime();
      StoreLockedException e = assertThrows(StoreLockedException.class, () -> SqliteStore.builder(dir).database("data").open());
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "failed at once");
      assertTrue(e.getMessage().contains(".litevault.lock"), e.getMessage());
      assertTrue(e.getMessage().contains("already used by another open SqliteStore"), e.getMessage());
      assertTrue(e.holder().contains("pid " + ProcessHandle.current().pid()), e.holder());
      assertTrue(first.health().healthy());
    }
  }

  @Test
  void aNegativeWaitIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SqliteStore.builder(dir).lockWait(Duration.ofMillis(-1)));
    assertTrue(e.getMessage().contains("lockWait") && e.getMessage().contains("-0.001"), e.getMessage());
  }

  @Test
  void aWaitingOpenInThisProcessOpensOnceTheHolderClosesAndTimesOutOtherwise() throws Exception {
    SqliteStore first = open(Duration.ZERO);
    first.database("data").writeAndWait(Kv.put(1, 1));
    StoreLockedException timedOut = assertThrows(StoreLockedException.class, () -> open(Duration.ofMillis(300)));
    assertTrue(timedOut.getMessage().contains("after waiting 300 ms"), timedOut.getMessage());
    CompletableFuture<SqliteStore> second = CompletableFuture.supplyAsync(() -> open(Duration.ofSeconds(30)));
    Thread.sleep(300);
    assertFalse(second.isDone(), "waits while the first store is open");
    first.close();
    try (SqliteStore s = second.get(30, TimeUnit.SECONDS)) {
      assertEquals(Long.valueOf(1L), s.database("data").read(c -> Kv.get(c, 1)));
    }
  }

  @Test
  void anOpenInAnotherProcessWaitsForTheHolderAndTimesOutNamingIt() throws Exception {
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    try (ChildJvm child = ChildJvm.start(LockHolderMain.class, lines::add, dir.toString(), "hold", "500")) {
      String ready = lines.poll(60, TimeUnit.SECONDS);
      assertNotNull(ready, child.stderr());
      assertTrue(ready.startsWith("ready"), ready);
      StoreLockedException e = assertThrows(StoreLockedException.class, () -> open(Duration.ofMillis(200)));
      assertTrue(e.holder().contains("pid " + child.pid()), e.holder());
      assertTrue(e.lockFile().endsWith(".litevault.lock"), e.lockFile().toString());

      CompletableFuture<SqliteStore> waiting = CompletableFuture.supplyAsync(() -> open(Duration.ofSeconds(60)));
      Thread.sleep(300);
      assertFalse(waiting.isDone(), "waits while the other process holds the store");
      long t0 = System.nanoTime();
      child.terminate(); // its shutdown hook waits 500 ms, then closes the store
      try (SqliteStore s = waiting.get(60, TimeUnit.SECONDS)) {
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waitedMs >= 400, "opened only after the other process closed: " + waitedMs + " ms");
        assertEquals(Long.valueOf(child.pid()), s.database("data").read(c -> Kv.get(c, 1)));
      }
      child.waitFor(30);
      assertTrue(lines.contains("closed"), lines.toString());
    }
  }

  /**
   * Closing any descriptor of a file drops every POSIX lock the process holds on it: a second store of
   * this process must neither open its own channel on the lock file nor read it to name the holder, or
   * the first store's lock is gone and another process opens the same directory beside it.
   */
  @Test
  void aRefusedOpenInThisProcessDoesNotDropTheHoldersLockForOtherProcesses() throws Exception {
    try (SqliteStore first = open(Duration.ZERO)) {
      assertThrows(StoreLockedException.class, () -> open(Duration.ZERO));
      assertThrows(StoreLockedException.class, () -> open(Duration.ofMillis(100)));
      LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
      try (ChildJvm probe = ChildJvm.start(LockHolderMain.class, lines::add, dir.toString(), "probe")) {
        assertEquals(0, probe.waitFor(60), probe.stderr());
        assertEquals("refused", lines.poll(5, TimeUnit.SECONDS), probe.stderr());
      }
      assertTrue(first.health().healthy());
    }
  }

  /**
   * Something of this process that is not a store holds the lock file (a restore into the directory takes
   * a shared lock on it): a waiting open neither takes the directory nor drops that lock, and opens once
   * it is released.
   */
  @Test
  void aLockHeldByARestoreOfThisProcessIsWaitedForAndNotDropped() throws Exception {
    java.nio.file.Files.createDirectories(dir);
    Path lockFile = dir.resolve(".litevault.lock");
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(lockFile,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.READ,
        java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.channels.FileLock shared = ch.tryLock(0, Long.MAX_VALUE, true);
      StoreLockedException e = assertThrows(StoreLockedException.class, () -> open(Duration.ofMillis(200)));
      assertTrue(e.holder().contains("something else in this process"), e.holder());
      LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
      try (ChildJvm probe = ChildJvm.start(LockHolderMain.class, lines::add, dir.toString(), "probe")) {
        assertEquals(0, probe.waitFor(60), probe.stderr());
        assertEquals("refused", lines.poll(5, TimeUnit.SECONDS), "the shared lock is still held: " + probe.stderr());
      }
      CompletableFuture<SqliteStore> waiting = CompletableFuture.supplyAsync(() -> open(Duration.ofSeconds(30)));
      Thread.sleep(200);
      assertFalse(waiting.isDone());
      shared.release();
      try (SqliteStore s = waiting.get(30, TimeUnit.SECONDS)) {
        assertTrue(s.health().healthy());
      }
    }
  }
}
