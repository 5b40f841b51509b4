package io.litevault.demo;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The demo's compressed day: simulated time runs {@code speed} times faster than real time from the
 * moment the clock is made. The TTL tables and purges run on it, so sessions expire and are purged
 * within the run.
 */
final class DemoClock extends Clock {
  private final Instant start = Instant.now();
  private final long startNanos = System.nanoTime();
  private final long speed;

  DemoClock(long speed) {
    this.speed = speed;
  }

  @Override
  public Instant instant() {
    return start.plusNanos((System.nanoTime() - startNanos) * speed);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
