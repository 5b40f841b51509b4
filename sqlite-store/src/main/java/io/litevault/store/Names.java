package io.litevault.store;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The one validator of names from configuration that become file names, SQL identifiers or parts of
 * bucket keys. Every module checks such names here, so a name accepted in one place is accepted (and
 * means the same) everywhere. Each rule is ASCII-only on purpose: no look-alike letters, no
 * normalisation differences between file systems, nothing a shell, SQL or an S3 tool must quote.
 *
 * <table>
 *   <caption>The rules</caption>
 *   <tr><th>kind</th><th>rule</th><th>why</th></tr>
 *   <tr><td>{@link #requireDatabaseName database name}</td>
 *       <td>{@code [A-Za-z][A-Za-z0-9_-]{0,63}}</td>
 *       <td>becomes {@code <name>.db} (and {@code -wal}, {@code -shm}) in the store's directory: no path
 *       separator, no "." or "..", no hidden file, no drive letter</td></tr>
 *   <tr><td>{@link #requireIdentifier SQL identifier}</td>
 *       <td>{@code [A-Za-z_][A-Za-z0-9_]{0,127}}</td>
 *       <td>interpolated into SQL, always double-quoted ({@link #quoteIdentifier}): no quote can appear, so
 *       nothing can be injected; keywords such as {@code select} are fine because of the quotes</td></tr>
 *   <tr><td>{@link #requireSegment bucket prefix segment}</td>
 *       <td>{@code [A-Za-z0-9._-]{1,64}}, not {@code .} or {@code ..}</td>
 *       <td>one level of a bucket key, also a directory of a file-system bucket and of a restore</td></tr>
 *   <tr><td>{@link #requirePrefix bucket prefix}</td>
 *       <td>segments joined by {@code /}, no leading or trailing {@code /}, at most 512 characters</td>
 *       <td>a replica's prefix; {@link #requireKeyPrefix} is the same followed by {@code /}, or empty</td></tr>
 * </table>
 *
 * Every method returns its argument, so it can be used inline, and throws {@link InvalidNameException}
 * ("invalid &lt;what&gt; '&lt;value&gt;': &lt;rule&gt;") for a bad one, null included.
 */
public final class Names {
  /** Which rule a name is checked against. */
  public enum Kind { DATABASE_NAME, SQL_IDENTIFIER, PREFIX_SEGMENT, PREFIX }

  public static final int MAX_DATABASE_NAME_LENGTH = 64;
  public static final int MAX_IDENTIFIER_LENGTH = 128;
  public static final int MAX_SEGMENT_LENGTH = 64;
  public static final int MAX_PREFIX_LENGTH = 512;

  private static final Pattern DATABASE_NAME =
      Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0," + (MAX_DATABASE_NAME_LENGTH - 1) + "}");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0," + (MAX_IDENTIFIER_LENGTH - 1) + "}");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_SEGMENT_LENGTH + "}");

  private static final String DATABASE_RULE = "use 1 to " + MAX_DATABASE_NAME_LENGTH
      + " ASCII letters, digits, '_' or '-', starting with a letter (it becomes <name>.db)";
  private static final String IDENTIFIER_RULE = "use 1 to " + MAX_IDENTIFIER_LENGTH
      + " ASCII letters, digits and '_', starting with a letter or '_'";
  private static final String SEGMENT_RULE = "use 1 to " + MAX_SEGMENT_LENGTH
      + " ASCII letters, digits, '.', '_' or '-', and not '.' or '..'";
  private static final String PREFIX_RULE = "use segments of 1 to " + MAX_SEGMENT_LENGTH
      + " ASCII letters, digits, '.', '_' or '-' (not '.' or '..') separated by '/', with no leading or trailing '/',"
      + " at most " + MAX_PREFIX_LENGTH + " characters";

  private Names() {}

  /** A database name, which becomes the file {@code <name>.db}; see the class doc for the rule. */
  public static String requireDatabaseName(String name) {
    if (name == null || !DATABASE_NAME.matcher(name).matches()) {
      throw new InvalidNameException(Kind.DATABASE_NAME, "database name", name, DATABASE_RULE);
    }
    return name;
  }

  /** A SQL identifier (table, column, index); {@code what} names it in the message, e.g. "table name". */
  public static String requireIdentifier(String what, String name) {
    if (name == null || !IDENTIFIER.matcher(name).matches()) {
      throw new InvalidNameException(Kind.SQL_IDENTIFIER, what, name, IDENTIFIER_RULE);
    }
    return name;
  }

  /** One segment of a bucket prefix (a tier's name, say); {@code what} names it in the message. */
  public static String requireSegment(String what, String segment) {
    if (!isSegment(segment)) {
      throw new InvalidNameException(Kind.PREFIX_SEGMENT, what, segment, SEGMENT_RULE);
    }
    return segment;
  }

  /** A bucket prefix without a trailing '/', such as a replica's {@code litevault/data}. */
  public static String requirePrefix(String what, String prefix) {
    if (!isPrefix(prefix)) {
      throw new InvalidNameException(Kind.PREFIX, what, prefix, PREFIX_RULE);
    }
    return prefix;
  }

  /**
   * A key prefix for listing: {@code ""} (the whole bucket) or a {@linkplain #requirePrefix prefix}
   * followed by '/', such as {@code backups/}.
   */
  public static String requireKeyPrefix(String what, String prefix) {
    if (prefix != null && (prefix.isEmpty()
        || (prefix.endsWith("/") && isPrefix(prefix.substring(0, prefix.length() - 1))))) {
      return prefix;
    }
    throw new InvalidNameException(Kind.PREFIX, what, prefix, "must be empty or end with '/'; " + PREFIX_RULE);
  }

  /** The identifier double-quoted for SQL; a validated identifier holds no quote, any other is doubled. */
  public static String quoteIdentifier(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /** {@code s} fit for a message: control characters as {@code \\uXXXX}, cut after 80 code points. */
  public static String printable(String s) {
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
    return s.codePointCount(0, s.length()) > 80 ? b.append("…").toString() : b.toString();
  }

  /** Table names as the cache keys them: SQLite identifiers are case-insensitive (ASCII). */
  static String tableKey(String table) {
    return table.toLowerCase(Locale.ROOT);
  }

  private static boolean isSegment(String s) {
    return s != null && SEGMENT.matcher(s).matches() && !s.equals(".") && !s.equals("..");
  }

  private static boolean isPrefix(String p) {
    if (p == null || p.isEmpty() || p.length() > MAX_PREFIX_LENGTH) {
      return false;
    }
    for (String segment : p.split("/", -1)) { // -1: keeps empty segments, so "a//b" and "a/" fail
      if (!isSegment(segment)) {
        return false;
      }
    }
    return true;
  }
}
