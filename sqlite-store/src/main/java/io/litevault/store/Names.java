package io.litevault.store;

import java.util.Locale;
import java.util.regex.Pattern;

/** Validation of names that become file names or SQL identifiers. */
final class Names {
  /**
   * A letter, then letters, digits, '_' or '-'; at most 64 characters. This rules out path separators,
   * "..", drive letters, hidden files, spaces and anything a shell or SQL would need quoted.
   */
  private static final Pattern DATABASE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,63}");
  /** SQL identifiers we interpolate: plain ASCII identifiers only, so no quoting is ever needed. */
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  private Names() {}

  static String requireDatabaseName(String name) {
    if (name == null || !DATABASE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid database name '" + printable(name)
          + "': use 1 to 64 letters, digits, '_' or '-', starting with a letter (it becomes <name>.db)");
    }
    return name;
  }

  /** Throws unless {@code name} is a plain SQL identifier; {@code what} names it in the message. */
  static String requireIdentifier(String what, String name) {
    if (name == null || !IDENTIFIER.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid " + what + " '" + printable(name)
          + "': use letters, digits and '_', starting with a letter or '_' (at most 128)");
    }
    return name;
  }

  /** Table names as the cache keys them: SQLite identifiers are case-insensitive (ASCII). */
  static String tableKey(String table) {
    return table.toLowerCase(Locale.ROOT);
  }

  private static String printable(String s) {
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
    return b.toString();
  }
}
