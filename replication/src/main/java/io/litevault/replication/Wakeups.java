package io.litevault.replication;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * How the shipper thread sleeps and is woken, and how others wait for it to make progress: one lock, two
 * conditions. A wake-up is never lost: the shipper checks whether it has work under the same lock that
 * {@link #wake()} takes.
 */
final class Wakeups {
  /** For {@link #park}: no timeout, sleep until woken. */
  static final long FOREVER = Long.MAX_VALUE;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final Condition progressMade = lock.newCondition();

  /** Wakes the shipper (new commits, an urgent upload, a close). */
  void wake() {
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Tells whoever waits in {@link #awaitProgress} that the shipper moved on. */
  void progressed() {
    lock.lock();
    try {
      progressMade.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits up to {@code millis} for the shipper to make progress. */
  void awaitProgress(long millis) {
    lock.lock();
    try {
      progressMade.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The shipper's idle wait: returns at once when {@code workNow} (checked under the lock) holds, else
   * sleeps until woken or {@code waitNanos} (checked under the lock; {@link #FOREVER} for no timeout, 0 or
   * less for none at all) pass. False when the thread was interrupted (its flag is set again).
   */
  boolean park(BooleanSupplier workNow, LongSupplier waitNanos) {
    lock.lock();
    try {
      if (workNow.getAsBoolean()) {
        return true;
      }
      long wait = waitNanos.getAsLong();
      if (wait == FOREVER) {
        wake.await(); // idle: no timers, no requests
      } else if (wait > 0) {
        wake.awaitNanos(wait);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Backs off for {@code nanos} after a failure. Only a change of {@code closing} cuts it short; other
   * wake-ups (new commits) do not, and neither does being closed already (a failing retry would otherwise
   * spin on the bucket). False when the thread was interrupted (its flag is set again).
   */
  boolean backOff(long nanos, BooleanSupplier closing) {
    lock.lock();
    try {
      boolean wasClosing = closing.getAsBoolean();
      long left = nanos;
      while (left > 0 && closing.getAsBoolean() == wasClosing) {
        left = wake.awaitNanos(left);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }
}
