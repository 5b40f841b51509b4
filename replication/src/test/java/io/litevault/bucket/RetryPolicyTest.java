package io.litevault.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  @Test
  void backoffIsFullJitterUnderAnExponentialCap() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofSeconds(1));
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      Duration first = p.backoff(1);
      assertTrue(first.compareTo(Duration.ofMillis(100)) <= 0, first.toString());
      Duration third = p.backoff(3);
      assertTrue(third.compareTo(Duration.ofMillis(400)) <= 0, third.toString());
      Duration late = p.backoff(30);
      assertTrue(late.compareTo(Duration.ofSeconds(1)) <= 0, late.toString());
      seen.add(third.toMillis());
    }
    assertTrue(seen.size() > 50, "jitter spreads the delays: " + seen.size());
  }

  @Test
  void badValuesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(0, Duration.ofMillis(1), Duration.ofMillis(1)));
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(3, Duration.ZERO, Duration.ofMillis(1)));
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertEquals(1, RetryPolicy.NONE.maxAttempts());
  }
}
