package io.litevault.replication;

import java.time.Duration;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Whether an upload is asked for before {@code minUploadInterval}, and when it is due: at once for a flush,
 * a close or the checkpoint gate; for REPLICATED writes, after the batch window
 * ({@code ReplicatorOptions.replicatedBatchWindow}) when more than one of them waits for the bucket, at once
 * otherwise (a single caller waiting for each ack would pay the whole window with nothing to share it).
 * The window also ends early once the REPLICATED commits have gone quiet: no new one for
 * {@value #QUIET_GAPS} times their mean spacing so far (and at least {@link #QUIET_FLOOR_NANOS}). Callers
 * that each wait for their own ack (a closed loop) are then all waiting, so holding the upload gathers
 * nothing more and only costs them the rest of the window; independent writers arriving at random seldom
 * leave such a gap (for evenly random arrivals, a gap of 8 mean spacings has odds of about e^-8).
 * Written by the store's threads ({@link #flush}, {@link #replicatedWrite}), read and settled by the
 * shipper's ({@link Shipper}). Package-private.
 */
final class UploadUrgency {
  private final Duration window;
  /** The store txid the bucket has up to ({@code Progress.replicatedStoreTxid}). */
  private final LongSupplier shippedStoreTxid;
  private final LongAdder heldByWindow;

  private volatile boolean raised;
  /** When {@link #raised} was last set (the batch window runs from the first write that asked). */
  private volatile long raisedAtNanos;
  /** When the last REPLICATED write asked (its commit's spacing from the first ask shows the pace). */
  private volatile long lastAskNanos;
  /** A flush, a close or the checkpoint gate asked: no batch window. */
  private volatile boolean flushNow;
  /** Store txids of REPLICATED writes waiting for the bucket (those shipped are purged as they are seen). */
  private final ConcurrentSkipListSet<Long> asked = new ConcurrentSkipListSet<>();
  /** Whether the last upload carried more than one REPLICATED write: writers run concurrently. Shipper's thread. */
  private boolean lastShared;

  /** {@link System#nanoTime}, or a test's clock. */
  private final LongSupplier nanoTime;

  UploadUrgency(Duration window, LongSupplier shippedStoreTxid, LongAdder heldByWindow) {
    this(window, shippedStoreTxid, heldByWindow, System::nanoTime);
  }

  UploadUrgency(Duration window, LongSupplier shippedStoreTxid, LongAdder heldByWindow, LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.window = window;
    this.shippedStoreTxid = shippedStoreTxid;
    this.heldByWindow = heldByWindow;
  }

  /** Upload what is pending now. */
  void flush() {
    flushNow = true;
    raised = true;
  }

  /** A REPLICATED write (store txid {@code storeTxid}) committed and waits for the bucket. */
  void replicatedWrite(long storeTxid) {
    asked.add(storeTxid); // before raised: settle() re-checks it after lowering
    long now = nanoTime.getAsLong();
    if (!raised) {
      raisedAtNanos = now;
    }
    lastAskNanos = now;
    raised = true;
  }

  boolean raised() {
    return raised;
  }

  /** An upload is asked for and due now (or {@code closing}: no window). */
  boolean due(boolean closing) {
    if (raised && !closing && !flushNow && waiting() == 0) {
      dropStaleAsk();
    }
    return raised && (closing || flushNow || !windowApplies() || nanosUntilDue() <= 0);
  }

  /**
   * Raised with no flush and no REPLICATED write waiting: the writes that asked are all shipped already
   * ({@code Replicator.write} checks its commit is unshipped, then asks; the shipper may ship it in between).
   * Left raised, such an ask would make the next LOCAL commits due at once instead of after
   * {@code minUploadInterval}. An ask that arrives while this lowers the flag raises it again.
   */
  private void dropStaleAsk() {
    raised = false;
    if (flushNow || waiting() > 0) {
      raised = true;
    }
  }

  /**
   * How long until the batch window ends, or sooner the commits waiting in it count as gone quiet
   * (negative once either has happened).
   */
  long nanosUntilDue() {
    long now = nanoTime.getAsLong();
    long windowLeft = window.toNanos() - (now - raisedAtNanos);
    int commits = waiting();
    if (commits < 2) {
      return windowLeft; // one commit shows no pace
    }
    long last = lastAskNanos;
    long meanGap = Math.max(0, last - raisedAtNanos) / (commits - 1);
    long quiet = Math.max(Math.min(QUIET_FLOOR_NANOS, window.toNanos()), QUIET_GAPS * meanGap);
    return Math.min(windowLeft, quiet - (now - last));
  }

  /** Quiet means no new REPLICATED commit for this many of their mean spacings so far. */
  static final int QUIET_GAPS = 8;
  /**
   * ...and at least this long (capped at the window): commits of one burst come microseconds apart, and a
   * caller that just got its ack needs some time to commit its next write.
   */
  static final long QUIET_FLOOR_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** An upload begins: whether it carries several REPLICATED writes is remembered for the next. */
  void uploadBegins(boolean closing) {
    if (raised && !closing && !flushNow && windowApplies()) {
      heldByWindow.increment();
    }
    lastShared = waiting() > 1;
    flushNow = false;
    raised = false;
  }

  /**
   * Nothing is pending: what was asked for is shipped (by an upload that began before it asked), so the ask
   * is lowered, unless a REPLICATED write committed meanwhile (its ask must not be lost).
   */
  void settle() {
    raised = false;
    flushNow = false;
    if (waiting() > 0) {
      raised = true;
    }
  }

  private boolean windowApplies() {
    return !window.isZero() && (lastShared || waiting() > 1);
  }

  /** REPLICATED writes not yet in the bucket (an ask that came after its commit shipped is dropped here). */
  private int waiting() {
    long shipped = shippedStoreTxid.getAsLong();
    for (Long t = asked.isEmpty() ? null : asked.first(); t != null && t <= shipped;
        t = asked.isEmpty() ? null : asked.first()) {
      asked.remove(t);
    }
    return asked.size();
  }
}
