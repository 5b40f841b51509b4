package io.litevault.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.HdrHistogram.ConcurrentHistogram;
import org.junit.jupiter.api.Test;

class LatencyTest {
  @Test
  void percentilesInMillisecondsFromMicrosecondRecords() {
    ConcurrentHistogram h = Latency.histogram();
    for (int ms = 1; ms <= 1000; ms++) {
      Latency.recordNanos(h, ms * 1_000_000L);
    }
    assertEquals(500, Latency.millisAt(h, 0.5), 0.5);
    assertEquals(990, Latency.millisAt(h, 0.99), 1);
    assertEquals(0, Latency.millisAt(Latency.histogram(), 0.5));
    ConcurrentHistogram small = Latency.histogram();
    Latency.recordNanos(small, 17_000);
    assertEquals(0.017, Latency.millisAt(small, 0.5), 1e-9);
  }
}
