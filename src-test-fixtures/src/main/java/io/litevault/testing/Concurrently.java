package io.litevault.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Runs N copies of a body on N threads released at the same instant; rethrows the first failure. */
public final class Concurrently {
  /** The body of one thread; gets its index 0..n-1. */
  @FunctionalInterface
  public interface Body {
    void run(int thread) throws Exception;
  }

  private Concurrently() {}

  /** Runs {@code body} on {@code threads} threads and waits up to {@code timeoutSeconds} for all. */
  public static void run(int threads, long timeoutSeconds, Body body) throws Exception {
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Throwable> errors = new ArrayList<>();
    List<Thread> started = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int index = i;
      Thread t = new Thread(() -> {
        ready.countDown();
        try {
          go.await();
          body.run(index);
        } catch (Throwable e) {
          synchronized (errors) {
            errors.add(e);
          }
        }
      }, "concurrently-" + i);
      t.start();
      started.add(t);
    }
    ready.await();
    go.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    for (Thread t : started) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (t.isAlive()) {
        throw new AssertionError(t.getName() + " still running after " + timeoutSeconds + " s");
      }
    }
    if (!errors.isEmpty()) {
      Throwable first = errors.get(0);
      AssertionError e = new AssertionError(errors.size() + " thread(s) failed; first: " + first, first);
      errors.stream().skip(1).limit(5).forEach(e::addSuppressed);
      throw e;
    }
  }
}
