package io.litevault.ttl;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * When the next purge is due: the earlier of the next cron time and {@code last + interval}. Computed
 * from the instant of the last run (or the start), so a clock that jumps ahead causes one purge, never
 * a catch-up storm.
 */
final class CronSchedule {
  private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final ExecutionTime cron;
  private final ZoneId zone;
  private final Duration interval;

  CronSchedule(String cronExpression, ZoneId zone, Duration interval) {
    this.cron = cronExpression == null ? null : ExecutionTime.forCron(parse(cronExpression));
    this.zone = zone;
    this.interval = interval;
  }

  static CronSchedule of(TtlOptions options) {
    return new CronSchedule(options.cron(), options.zone(), options.interval());
  }

  /** Whether anything is scheduled at all. */
  boolean isEmpty() {
    return cron == null && interval == null;
  }

  /** The first due instant strictly after {@code from}, or null when nothing is scheduled. */
  Instant nextAfter(Instant from) {
    Instant next = null;
    if (cron != null) {
      Optional<ZonedDateTime> t = cron.nextExecution(from.atZone(zone));
      if (t.isPresent()) {
        next = t.get().toInstant();
      }
    }
    if (interval != null) {
      Instant byInterval = from.plus(interval);
      next = next == null || byInterval.isBefore(next) ? byInterval : next;
    }
    return next;
  }

  static String validate(String expression) {
    parse(expression);
    return expression;
  }

  /** The usual cron nicknames, which cron-utils' UNIX definition does not accept. */
  private static final Map<String, String> NICKNAMES = Map.of(
      "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0",
      "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");

  private static Cron parse(String expression) {
    try {
      return PARSER.parse(NICKNAMES.getOrDefault(expression.trim().toLowerCase(Locale.ROOT), expression)).validate();
    } catch (IllegalArgumentException e) {
      throw new InvalidTtlArgumentException("invalid cron expression '" + Identifiers.printable(expression)
          + "': " + e.getMessage() + " (use UNIX cron: minute hour day-of-month month day-of-week, e.g. \"0 0 * * *\")");
    }
  }
}
