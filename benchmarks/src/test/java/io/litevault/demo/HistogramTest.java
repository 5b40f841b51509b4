package io.litevault.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HistogramTest {
  @Test
  void percentilesAreWithinThreePercent() {
    Histogram h = new Histogram();
    for (int ms = 1; ms <= 1000; ms++) {
      h.recordMillis(ms);
    }
    assertEquals(1000, h.count());
    assertEquals(500, h.percentileMillis(0.5), 500 * 0.03);
    assertEquals(990, h.percentileMillis(0.99), 990 * 0.03);
    assertEquals(0, new Histogram().percentileMillis(0.5));
    Histogram small = new Histogram();
    small.recordNanos(17_000);
    assertEquals(0.017, small.percentileMillis(0.5), 1e-9);
  }
}
