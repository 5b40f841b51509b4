package io.litevault.testing;

import java.time.Duration;
import java.util.Objects;

/**
 * A fault {@link FaultProxy} injects into one HTTP exchange.
 *
 * @param type what happens
 * @param bytes for the resets: how many bytes pass before the connection is reset
 * @param stall for {@link Type#STALL}: how long the request is held before the connection is closed
 */
public record Fault(Type type, long bytes, Duration stall) {
  /** The kinds of fault. */
  public enum Type {
    /** Answer {@code 503 SlowDown} (S3's throttling) without forwarding the request. */
    SLOW_DOWN,
    /** Answer {@code 500 InternalError} without forwarding the request. */
    INTERNAL_ERROR,
    /** Hold the request without answering for {@code stall}, then close: the client times out. */
    STALL,
    /** Forward {@code bytes} bytes of the request body, then reset the connection (upload cut). */
    RESET_REQUEST,
    /** Forward the request, then reset after {@code bytes} bytes of the response (download cut). */
    RESET_RESPONSE
  }

  public Fault {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(stall, "stall");
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
    }
  }

  public static Fault slowDown() {
    return new Fault(Type.SLOW_DOWN, 0, Duration.ZERO);
  }

  public static Fault internalError() {
    return new Fault(Type.INTERNAL_ERROR, 0, Duration.ZERO);
  }

  public static Fault stall(Duration d) {
    return new Fault(Type.STALL, 0, d);
  }

  public static Fault resetRequestAfter(long bytes) {
    return new Fault(Type.RESET_REQUEST, bytes, Duration.ZERO);
  }

  public static Fault resetResponseAfter(long bytes) {
    return new Fault(Type.RESET_RESPONSE, bytes, Duration.ZERO);
  }
}
