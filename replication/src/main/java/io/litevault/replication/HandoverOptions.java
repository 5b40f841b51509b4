package io.litevault.replication;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of a {@link Handover}. Build with {@link #builder()}; every setter checks its value
 * at once and names it in the message.
 *
 * @param timeout how long the whole handover may take, from refusing new writes to releasing the store's
 *     lock: the writes accepted before must commit and reach the bucket within it, or the handover is
 *     abandoned and this process goes on serving writes
 */
public record HandoverOptions(Duration timeout) {
  /**
   * 8 s: Docker stops a container with SIGTERM and sends SIGKILL 10 s later (its default
   * {@code stop_grace_period}); the 2 s left are for what the JVM does after the shutdown hook returns
   * (other hooks, exit). A service given a longer grace period can allow more.
   */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(8);

  public HandoverOptions {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be > 0, got " + timeout);
    }
  }

  public static HandoverOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder {
    private Duration timeout = DEFAULT_TIMEOUT;

    private Builder() {}

    /** See {@link HandoverOptions#timeout()}; default {@link #DEFAULT_TIMEOUT}. */
    public Builder timeout(Duration value) {
      Objects.requireNonNull(value, "timeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("timeout must be > 0, got " + value);
      }
      this.timeout = value;
      return this;
    }

    public HandoverOptions build() {
      return new HandoverOptions(timeout);
    }
  }
}
