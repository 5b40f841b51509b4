package io.litevault.store;

/**
 * A name from configuration that {@link Names} refused. The message names the value (control characters
 * escaped) and the rule it broke; {@link #kind()} says which rule applied.
 */
public final class InvalidNameException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final Names.Kind kind;
  private final String value;

  InvalidNameException(Names.Kind kind, String what, String value, String rule) {
    super("invalid " + what + " '" + Names.printable(value) + "': " + rule);
    this.kind = kind;
    this.value = value;
  }

  /** Which rule the value broke. */
  public Names.Kind kind() {
    return kind;
  }

  /** The value as given (may be null). */
  public String value() {
    return value;
  }
}
