package io.litevault.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** What the writer tests share: a held writer (so writes queue into one batch), a future's outcome. */
final class TestWrites {
  private TestWrites() {}

  /** Holds the writer thread until released, so the next writes queue up into one batch. */
  static CountDownLatch blockWriter(Database db) throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch running = new CountDownLatch(1);
    db.write(c -> {
      running.countDown();
      release.await();
      return null;
    });
    assertTrue(running.await(10, TimeUnit.SECONDS));
    return release;
  }

  /** Null if {@code f} completed within {@code seconds}, else what it failed with. */
  static Throwable failureOf(CompletableFuture<?> f, long seconds) throws Exception {
    try {
      f.get(seconds, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
