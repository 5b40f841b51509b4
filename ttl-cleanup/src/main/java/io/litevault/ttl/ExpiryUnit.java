package io.litevault.ttl;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * How an expiry column stores its instant. A row is live while its expiry is strictly after "now"; a
 * purge at time {@code T} deletes the rows whose expiry is {@code <= T}.
 *
 * <ul>
 *   <li>{@link #EPOCH_MILLIS}, {@link #EPOCH_SECONDS}: an INTEGER column (declared type containing
 *       {@code INT}), compared numerically. Seconds round the expiry UP to the next whole second, so a
 *       row never expires before its TTL.
 *   <li>{@link #ISO_8601}: a TEXT column holding the canonical fixed-width UTC form
 *       {@code yyyy-MM-ddTHH:mm:ss.SSSZ} (24 characters, e.g. {@code 2026-11-23T01:02:03.004Z}, years
 *       0000–9999, milliseconds rounded up). Fixed width makes text order equal time order, so the
 *       index serves the purge. Values this module writes are canonical; rows written by other code in
 *       another form (offsets, no millis) compare wrongly, so write them with {@link #toSql}.
 * </ul>
 */
public enum ExpiryUnit {
  EPOCH_MILLIS,
  EPOCH_SECONDS,
  ISO_8601;

  /** The canonical ISO form: UTC, millisecond precision, always 24 characters. */
  static final DateTimeFormatter ISO_CANONICAL =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final Instant ISO_MIN = Instant.parse("0000-01-01T00:00:00Z");
  private static final Instant ISO_MAX = Instant.parse("9999-12-31T23:59:59.999Z");

  /**
   * The SQL value stored for an expiry at {@code instant} ({@link Long} or {@link String}), rounded up
   * to the unit's precision.
   *
   * @throws InvalidTtlArgumentException the instant is outside what the unit can store
   */
  public Object toSql(Instant instant) {
    Instant up = roundUp(instant);
    try {
      return switch (this) {
        case EPOCH_MILLIS -> up.toEpochMilli();
        case EPOCH_SECONDS -> up.getEpochSecond();
        case ISO_8601 -> {
          InvalidTtlArgumentException.check(!up.isBefore(ISO_MIN) && !up.isAfter(ISO_MAX),
              "expiry %s is outside the years 0000-9999 that the ISO_8601 unit stores", instant);
          yield ISO_CANONICAL.format(up);
        }
      };
    } catch (ArithmeticException | DateTimeException e) {
      throw new InvalidTtlArgumentException("expiry " + instant + " cannot be stored as " + this + ": " + e.getMessage());
    }
  }

  /**
   * The SQL value of a purge cutoff or a "now": rounded DOWN, so that comparing {@code expiry <= cutoff}
   * never deletes a row whose (rounded-up) expiry is after the real instant.
   */
  Object cutoffToSql(Instant instant) {
    Instant down = instant.truncatedTo(this == EPOCH_SECONDS ? ChronoUnit.SECONDS : ChronoUnit.MILLIS);
    return switch (this) {
      case EPOCH_MILLIS -> down.toEpochMilli();
      case EPOCH_SECONDS -> down.getEpochSecond();
      case ISO_8601 -> ISO_CANONICAL.format(down.isBefore(ISO_MIN) ? ISO_MIN : down.isAfter(ISO_MAX) ? ISO_MAX : down);
    };
  }

  /** Reads back a stored value. */
  Instant fromSql(Object value) {
    return switch (this) {
      case EPOCH_MILLIS -> Instant.ofEpochMilli(((Number) value).longValue());
      case EPOCH_SECONDS -> Instant.ofEpochSecond(((Number) value).longValue());
      case ISO_8601 -> Instant.parse((String) value);
    };
  }

  /** Whether a column of this SQLite type affinity can hold this unit. */
  boolean fits(Affinity affinity) {
    return this == ISO_8601 ? affinity == Affinity.TEXT : affinity == Affinity.INTEGER;
  }

  String expectedType() {
    return this == ISO_8601 ? "TEXT" : "INTEGER";
  }

  private Instant roundUp(Instant instant) {
    ChronoUnit unit = this == EPOCH_SECONDS ? ChronoUnit.SECONDS : ChronoUnit.MILLIS;
    Instant down = instant.truncatedTo(unit);
    return down.equals(instant) ? down : down.plus(1, unit);
  }

  /** SQLite's column affinity, from the declared type (https://www.sqlite.org/datatype3.html 3.1). */
  enum Affinity {
    INTEGER, TEXT, BLOB, REAL, NUMERIC;

    static Affinity of(String declaredType) {
      String t = declaredType == null ? "" : declaredType.toUpperCase(Locale.ROOT);
      if (t.contains("INT")) {
        return INTEGER;
      }
      if (t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT")) {
        return TEXT;
      }
      if (t.isEmpty() || t.contains("BLOB")) {
        return BLOB;
      }
      if (t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB")) {
        return REAL;
      }
      return NUMERIC;
    }
  }
}
