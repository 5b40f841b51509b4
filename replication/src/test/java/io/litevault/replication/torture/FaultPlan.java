package io.litevault.replication.torture;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.testing.Fault;
import io.litevault.testing.FaultProxy;
import io.litevault.testing.HttpRequestHead;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The faults of one schedule, injected into the replicator's bucket: at the contract level through {@link
 * FaultyObjectStore} (fail a call before it reaches the bucket, store a put and lose its answer, an outage,
 * latency), and for S3 schedules also at the HTTP level through {@link FaultProxy} (503/500 storms, a body
 * reset in the middle, a stalled request). It remembers when the last fault ended, which is where the stall
 * bound starts: a REPLICATED write must be acknowledged within that bound once the faults stopped.
 */
final class FaultPlan {
  private final FaultyObjectStore faulty;
  private final FaultProxy proxy; // null for the file bucket
  private final Duration stallBound;
  private volatile long quietSinceNanos = System.nanoTime();
  private volatile boolean active;

  FaultPlan(FaultyObjectStore faulty, FaultProxy proxy, Duration stallBound) {
    this.faulty = faulty;
    this.proxy = proxy;
    this.stallBound = stallBound;
  }

  Duration stallBound() {
    return stallBound;
  }

  /** The {@code n}-th call from now fails before reaching the bucket. */
  void failCall(int n, ErrorKind kind) {
    faulty.failCall(n, kind);
    touched();
  }

  /** The next {@code n} puts are stored, then fail as if the answer was lost. */
  void loseAnswers(int n, ErrorKind kind) {
    faulty.failAfterPut(n, kind);
    touched();
  }

  void down(boolean down) {
    faulty.down(down);
    active = down;
    touched();
  }

  void latency(Duration d) {
    faulty.latency(d);
    active = !d.isZero();
    touched();
  }

  boolean http() {
    return proxy != null;
  }

  void proxy(Step.ProxyFaultKind kind, int times, int bytes) {
    Fault fault;
    Predicate<HttpRequestHead> when = h -> true;
    switch (kind) {
      case SLOW_DOWN_STORM -> fault = Fault.slowDown();
      case INTERNAL_ERRORS -> fault = Fault.internalError();
      case RESET_PUT_MID_BODY -> {
        fault = Fault.resetRequestAfter(bytes);
        when = h -> h.isObjectPut() || h.isUploadPart();
      }
      case RESET_GET_MID_BODY -> {
        fault = Fault.resetResponseAfter(bytes);
        when = HttpRequestHead::isObjectGet;
      }
      default -> fault = Fault.stall(Duration.ofMillis(bytes));
    }
    proxy.inject(fault, times, when);
    active = true;
    touched();
  }

  /** Ends every lasting fault (outage, latency, armed proxy faults); one-shot faults armed stay armed. */
  void quiet() {
    faulty.down(false);
    faulty.latency(Duration.ZERO);
    if (proxy != null) {
      proxy.clear();
    }
    active = false;
    touched();
  }

  /** Disarms everything, including one-shot faults not triggered yet (at the end of a schedule). */
  void disarm() {
    quiet();
    faulty.failAfterPut(0, ErrorKind.SERVER_ERROR);
    faulty.failCall(Integer.MAX_VALUE / 2, ErrorKind.SERVER_ERROR);
  }

  private void touched() {
    quietSinceNanos = System.nanoTime();
  }

  /** When a write still waiting must have been acknowledged by: the stall bound after the last fault. */
  long deadlineNanos() {
    return (active ? System.nanoTime() : Math.max(System.nanoTime(), quietSinceNanos)) + stallBound.toNanos();
  }
}
