package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a write meets during a handover: accepted before it began, it commits; submitted after, it is
 * refused with {@link HandedOverException} and nothing of it runs; there is no third outcome, even for
 * writes racing the start. An aborted handover accepts writes again.
 */
class HandoverWritesTest {
  @TempDir Path dir;

  private SqliteStore open() {
    return SqliteStore.builder(dir).database("data", Kv.options().build()).open();
  }

  private static long count(Database db) {
    return db.read(c -> {
      try (var s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM kv")) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  @Test
  void writesQueuedBeforeCommitAndLaterOnesAreRefusedUnexecuted() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      CountDownLatch release = TestWrites.blockWriter(db);
      List<CompletableFuture<Void>> queued = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        queued.add(db.write(Kv.insert(i, i)));
      }
      CompletableFuture<Map<String, Long>> stopped = CompletableFuture.supplyAsync(
          () -> store.stopWritesForHandover(Duration.ofSeconds(30)));
      Thread.sleep(100);
      assertFalse(stopped.isDone(), "waits for the queued writes");
      AtomicLong ran = new AtomicLong();
      HandedOverException refused = assertThrows(HandedOverException.class, () -> db.write(c -> {
        ran.incrementAndGet();
        return null;
      }));
      assertTrue(refused.getMessage().contains("send it again to the successor"), refused.getMessage());
      release.countDown();
      long last = stopped.get(30, TimeUnit.SECONDS).get("data");
      for (CompletableFuture<Void> f : queued) {
        assertNull(TestWrites.failureOf(f, 10));
      }
      assertEquals(db.lastTxid(), last, "every accepted write is in the txid returned");
      assertEquals(10, count(db));
      assertThrows(HandedOverException.class, () -> db.writeAndWait(Kv.insert(99, 99)));
      assertEquals(0, ran.get());
      assertEquals(10, count(db), "reads go on");
    }
  }

  /** Writers hammering the store while it stops: each write either committed or was refused, unexecuted. */
  @Test
  void racingWritesEitherCommitOrAreRefusedNeverBoth() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      AtomicLong next = new AtomicLong();
      List<CompletableFuture<Void>> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
      AtomicLong refusedAtSubmit = new AtomicLong();
      List<Thread> threads = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      for (int t = 0; t < 4; t++) {
        Thread th = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          while (true) {
            long k = next.getAndIncrement();
            try {
              accepted.add(db.write(Kv.insert(k, k)));
            } catch (HandedOverException e) {
              refusedAtSubmit.incrementAndGet();
              return;
            }
          }
        });
        th.start();
        threads.add(th);
      }
      go.countDown();
      Thread.sleep(200);
      store.stopWritesForHandover(Duration.ofSeconds(30));
      for (Thread th : threads) {
        th.join(10_000);
      }
      long committed = 0;
      long refusedQueued = 0;
      for (CompletableFuture<Void> f : List.copyOf(accepted)) {
        Throwable t = TestWrites.failureOf(f, 10);
        if (t == null) {
          committed++;
        } else {
          assertInstanceOf(HandedOverException.class, t, "the only failure is a refusal");
          refusedQueued++;
        }
      }
      assertEquals(committed, count(db), "refused writes left nothing; committed ones are all there");
      assertEquals(4, refusedAtSubmit.get());
      System.out.printf("racing: %d committed, %d refused in the queue, %d refused at submit%n", committed,
          refusedQueued, refusedAtSubmit.get());
    }
  }

  @Test
  void anAbortedHandoverAcceptsWritesAgainAndCloseAfterAHandoverRefusesTheSameWay() throws Exception {
    SqliteStore store = open();
    try {
      Database db = store.database("data");
      db.writeAndWait(Kv.insert(1, 1));
      store.stopWritesForHandover(Duration.ofSeconds(10));
      assertThrows(HandedOverException.class, () -> db.write(Kv.insert(2, 2)));
      store.resumeWritesAfterHandover();
      db.writeAndWait(Kv.insert(3, 3));
      assertEquals(2, count(db));
      store.stopWritesForHandover(Duration.ofSeconds(10));
      store.close();
      assertThrows(HandedOverException.class, () -> db.write(Kv.insert(4, 4)));
      store.resumeWritesAfterHandover(); // too late: closing
      assertThrows(HandedOverException.class, () -> db.write(Kv.insert(5, 5)));
    } finally {
      store.close(); // idempotent
    }
    try (SqliteStore again = open()) {
      assertEquals(2, count(again.database("data")));
    }
  }

  /** A long write keeps the drain from finishing: the stop fails naming it, writes stay refused until resumed. */
  @Test
  void aDrainThatTimesOutSaysSoAndAResumeLetsWritesIn() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      CountDownLatch release = TestWrites.blockWriter(db);
      StoreException e = assertThrows(StoreException.class, () -> store.stopWritesForHandover(Duration.ofMillis(200)));
      assertTrue(e.getMessage().contains("did not commit within 200 ms"), e.getMessage());
      assertThrows(HandedOverException.class, () -> db.write(Kv.insert(1, 1)));
      store.resumeWritesAfterHandover();
      CompletableFuture<Void> after = db.write(Kv.insert(2, 2));
      release.countDown();
      assertNull(TestWrites.failureOf(after, 10));
      assertEquals(1, count(db));
    }
  }
}
