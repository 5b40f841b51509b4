package io.litevault.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A cron expression, the one syntax every Litevault schedule uses: UNIX cron (five fields: minute hour
 * day-of-month month day-of-week, as in crontab(5)) or one of the nicknames {@code @yearly},
 * {@code @annually}, {@code @monthly}, {@code @weekly}, {@code @daily}, {@code @midnight} and
 * {@code @hourly} (case-insensitive). Parsed and evaluated by cron-utils' UNIX definition, which does not
 * know the nicknames itself: they are expanded first (see {@link #fields()}).
 *
 * <p>UNIX rather than Quartz syntax because it is what operators already write in crontab; minute
 * resolution is plenty for purges and backups. Fire times are read in the zone given with each call
 * (the {@link ZonedDateTime}'s own, or the {@link ZoneId} beside an {@link Instant}); callers default to
 * UTC, which has no daylight-saving jumps. Immutable and thread-safe.
 */
public final class CronExpression {
  /** The accepted syntax, as error messages show it. */
  public static final String SYNTAX = "UNIX cron: minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\","
      + " or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly";

  private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  /** The nicknames of crontab(5) as the five fields they stand for. */
  private static final Map<String, String> NICKNAMES = Map.of(
      "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0",
      "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");

  private final String expression;
  private final String fields;
  private final ExecutionTime executionTime;

  private CronExpression(String expression, String fields, ExecutionTime executionTime) {
    this.expression = expression;
    this.fields = fields;
    this.executionTime = executionTime;
  }

  /**
   * Parses {@code expression} (surrounding blanks ignored).
   *
   * @throws InvalidCronExpressionException it is null, blank, or not valid UNIX cron or a nickname; the
   *     message names it and shows {@link #SYNTAX}
   */
  public static CronExpression parse(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new InvalidCronExpressionException(expression, "it is empty", null);
    }
    String trimmed = expression.trim();
    String fields = NICKNAMES.getOrDefault(trimmed.toLowerCase(Locale.ROOT), trimmed);
    if (fields.startsWith("@")) {
      throw new InvalidCronExpressionException(expression, "unknown nickname", null);
    }
    try {
      return new CronExpression(trimmed, fields, ExecutionTime.forCron(PARSER.parse(fields).validate()));
    } catch (IllegalArgumentException e) {
      throw new InvalidCronExpressionException(expression, String.valueOf(e.getMessage()), e);
    }
  }

  /** The expression as given, without surrounding blanks (a nickname stays a nickname). */
  public String expression() {
    return expression;
  }

  /** The five fields it is evaluated as: the expression itself, or what its nickname stands for. */
  public String fields() {
    return fields;
  }

  /** The first fire time strictly after {@code t}, in {@code t}'s zone; empty if there is none. */
  public Optional<ZonedDateTime> nextAfter(ZonedDateTime t) {
    return executionTime.nextExecution(t);
  }

  /** The latest fire time at or before {@code t}, in {@code t}'s zone; empty if there is none. */
  public Optional<ZonedDateTime> lastAtOrBefore(ZonedDateTime t) {
    // cron-utils' lastExecution is strictly before its argument; fire times are whole minutes, so
    // asking from the next whole second includes t itself and nothing after it.
    return executionTime.lastExecution(t.withNano(0).plusSeconds(1));
  }

  /** {@link #nextAfter(ZonedDateTime)} for an instant, with fire times read in {@code zone}. */
  public Optional<Instant> nextAfter(Instant t, ZoneId zone) {
    return nextAfter(t.atZone(zone)).map(ZonedDateTime::toInstant);
  }

  /** {@link #lastAtOrBefore(ZonedDateTime)} for an instant, with fire times read in {@code zone}. */
  public Optional<Instant> lastAtOrBefore(Instant t, ZoneId zone) {
    return lastAtOrBefore(t.atZone(zone)).map(ZonedDateTime::toInstant);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CronExpression c && c.expression.equals(expression);
  }

  @Override
  public int hashCode() {
    return expression.hashCode();
  }

  @Override
  public String toString() {
    return expression;
  }
}
