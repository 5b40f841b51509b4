package io.litevault.demo;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A lock-free latency histogram in microseconds: exact below 64 µs, then 32 buckets per power of two
 * (about 3% precision), from any number of threads. Enough for p50/p99 without holding every sample.
 */
final class Histogram {
  private static final int SUB = 32;
  private final AtomicLongArray counts = new AtomicLongArray(64 + 58 * SUB);

  void recordNanos(long nanos) {
    counts.incrementAndGet(index(Math.max(0, nanos / 1000)));
  }

  void recordMillis(long millis) {
    counts.incrementAndGet(index(Math.max(0, millis) * 1000));
  }

  private static int index(long micros) {
    if (micros < 64) {
      return (int) micros;
    }
    int exp = 63 - Long.numberOfLeadingZeros(micros); // >= 6
    int sub = (int) (micros >>> (exp - 5)) & (SUB - 1);
    return Math.min(64 + (exp - 6) * SUB + sub, 64 + 58 * SUB - 1);
  }

  private static long lowerBound(int index) {
    if (index < 64) {
      return index;
    }
    int exp = (index - 64) / SUB + 6;
    int sub = (index - 64) % SUB;
    return (long) (SUB + sub) << (exp - 5);
  }

  long count() {
    long n = 0;
    for (int i = 0; i < counts.length(); i++) {
      n += counts.get(i);
    }
    return n;
  }

  /** The value at quantile {@code q} (0..1) in milliseconds, or 0 when empty. */
  double percentileMillis(double q) {
    long total = count();
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return lowerBound(i) / 1000.0;
      }
    }
    return lowerBound(counts.length() - 1) / 1000.0;
  }
}
