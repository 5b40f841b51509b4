package io.litevault.demo;

import org.HdrHistogram.ConcurrentHistogram;

/** Latencies in microseconds in an HdrHistogram (3 significant digits, any range, any thread). */
final class Latency {
  private Latency() {}

  static ConcurrentHistogram histogram() {
    return new ConcurrentHistogram(3);
  }

  static void recordNanos(ConcurrentHistogram h, long nanos) {
    h.recordValue(Math.max(0, nanos / 1000));
  }

  /** The value at quantile {@code q} (0..1) in milliseconds; 0 when empty. */
  static double millisAt(ConcurrentHistogram h, double q) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(q * 100) / 1000.0;
  }
}
