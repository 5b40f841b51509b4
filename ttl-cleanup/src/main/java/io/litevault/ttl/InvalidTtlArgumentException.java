package io.litevault.ttl;

import io.litevault.store.InvalidNameException;
import io.litevault.store.Names;

/**
 * A bad argument to this module: a negative or zero TTL, an expiry outside what the unit can store, a
 * null or too-long key, a bad identifier, an option out of range. The message names the value. Thrown
 * before anything is written.
 */
public final class InvalidTtlArgumentException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidTtlArgumentException(String message) {
    super(message);
  }

  /** The same message as {@code cause}, a shared validator's refusal, as this module's exception. */
  InvalidTtlArgumentException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Returns {@code name} if it is a SQL identifier by the project's one rule
   * ({@link Names#requireIdentifier}); otherwise throws this exception with that rule's message.
   */
  static String identifier(String what, String name) {
    try {
      return Names.requireIdentifier(what, name);
    } catch (InvalidNameException e) {
      throw new InvalidTtlArgumentException(e.getMessage(), e); // this module's one argument exception
    }
  }

  static void check(boolean ok, String template, Object... args) {
    if (!ok) {
      throw new InvalidTtlArgumentException(String.format(template, args));
    }
  }
}
