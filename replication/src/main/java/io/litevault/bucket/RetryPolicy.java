package io.litevault.bucket;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How the one retry layer retries a failed idempotent request: up to {@code maxAttempts} attempts in all,
 * sleeping before attempt {@code n+1} a random time in {@code [0, min(maxDelay, baseDelay * 2^(n-1))]}
 * ("full jitter", which spreads the retries of many clients hit by the same throttling).
 *
 * @param maxAttempts attempts in all, {@code 1} = no retry; at most 20
 * @param baseDelay the first backoff's upper bound, {@code > 0}
 * @param maxDelay the cap of any backoff, {@code >= baseDelay}
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay) {
  /**
   * 6 attempts, 100 ms doubling to at most 5 s: rides out about 10 s of throttling or a server restart,
   * the common transient cases, without holding a caller for minutes.
   */
  public static final RetryPolicy DEFAULT = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofSeconds(5));

  /** One attempt only. */
  public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(1));

  public RetryPolicy {
    Objects.requireNonNull(baseDelay, "baseDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (maxAttempts < 1 || maxAttempts > 20) {
      throw new IllegalArgumentException("maxAttempts must be in [1, 20], was " + maxAttempts);
    }
    if (baseDelay.isNegative() || baseDelay.isZero()) {
      throw new IllegalArgumentException("baseDelay must be > 0, was " + baseDelay);
    }
    if (maxDelay.compareTo(baseDelay) < 0) {
      throw new IllegalArgumentException("maxDelay must be >= baseDelay (" + baseDelay + "), was " + maxDelay);
    }
  }

  /** The random backoff before the retry that follows failed attempt {@code attempt} (1-based). */
  public Duration backoff(int attempt) {
    long base = baseDelay.toNanos();
    long cap = maxDelay.toNanos();
    int shift = Math.min(attempt - 1, 30);
    long bound = base > (cap >> shift) ? cap : Math.min(cap, base << shift);
    return Duration.ofNanos(ThreadLocalRandom.current().nextLong(bound + 1));
  }
}
