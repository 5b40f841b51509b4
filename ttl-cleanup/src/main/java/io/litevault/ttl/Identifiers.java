package io.litevault.ttl;

import java.util.regex.Pattern;

/**
 * Validates the table and column names this module interpolates into SQL: plain ASCII identifiers
 * ({@code [A-Za-z_][A-Za-z0-9_]*}, at most 128 characters), always written double-quoted, so no name
 * can inject SQL or collide with a keyword.
 */
final class Identifiers {
  static final int MAX_LENGTH = 128;
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0," + (MAX_LENGTH - 1) + "}");

  private Identifiers() {}

  /** Returns {@code name}, or throws naming {@code what} and the bad value. */
  static String require(String what, String name) {
    if (name == null || !IDENTIFIER.matcher(name).matches()) {
      throw new InvalidTtlArgumentException("invalid " + what + " '" + printable(name)
          + "': use letters, digits and '_', starting with a letter or '_', at most " + MAX_LENGTH + " characters");
    }
    return name;
  }

  /** The identifier double-quoted for SQL (validated names contain no quote; any other is doubled). */
  static String quote(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  static String printable(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder();
    s.codePoints().limit(80).forEach(c -> {
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return s.length() > 80 ? b.append("…").toString() : b.toString();
  }
}
