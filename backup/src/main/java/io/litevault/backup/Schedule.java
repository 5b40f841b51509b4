package io.litevault.backup;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.Optional;

/**
 * When a tier runs: a UNIX cron expression (five fields: minute hour day-of-month month day-of-week, as in
 * crontab(5); parsed and evaluated by cron-utils), optionally thinned to every n-th ISO week.
 *
 * <p>UNIX rather than Quartz syntax because it is what operators already write in crontab and what the
 * CLI's "cron from outside" setups use; minute resolution is plenty for daily and weekly copies. Plain
 * cron cannot say "every second week" (a day-of-week step such as {@code SUN/2} steps days, not weeks), so
 * {@link #everyNthWeek(int)} keeps only the fire times whose Monday-based week, counted from 1970-01-05,
 * is a multiple of n: deterministic, the same in every process, no state needed.
 *
 * <p>Times are evaluated in the zone of the {@link ZonedDateTime} passed in ({@link BackupOptions#zone()},
 * UTC by default). Immutable and thread-safe.
 */
public final class Schedule {
  private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  /** Bound on the fire times skipped while looking for a matching week (a weekly cron needs at most n). */
  private static final int MAX_SKIPS = 10_000;

  private final String expression;
  private final int weekInterval;
  private final ExecutionTime executionTime;

  private Schedule(String expression, int weekInterval) {
    this.expression = Objects.requireNonNull(expression, "cron expression");
    if (weekInterval < 1 || weekInterval > 52) {
      throw new IllegalArgumentException("week interval must be in [1, 52], was " + weekInterval);
    }
    this.weekInterval = weekInterval;
    Cron cron;
    try {
      cron = PARSER.parse(expression.trim()).validate();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid cron expression '" + expression
          + "' (UNIX syntax: minute hour day-of-month month day-of-week): " + e.getMessage(), e);
    }
    this.executionTime = ExecutionTime.forCron(cron);
  }

  /** A schedule firing at every time the UNIX cron {@code expression} names. */
  public static Schedule cron(String expression) {
    return new Schedule(expression, 1);
  }

  /** This schedule keeping only the fire times in every {@code n}-th week (n in [1, 52]). */
  public Schedule everyNthWeek(int n) {
    return new Schedule(expression, n);
  }

  public String expression() {
    return expression;
  }

  public int weekInterval() {
    return weekInterval;
  }

  /** The latest fire time at or before {@code t}, or empty if there is none. */
  public Optional<ZonedDateTime> lastAtOrBefore(ZonedDateTime t) {
    // cron-utils' lastExecution is strictly before its argument; fire times are whole minutes.
    ZonedDateTime cursor = t.withNano(0).plusSeconds(1);
    for (int i = 0; i < MAX_SKIPS; i++) {
      Optional<ZonedDateTime> last = executionTime.lastExecution(cursor);
      if (last.isEmpty() || matchesWeek(last.get())) {
        return last;
      }
      cursor = last.get();
    }
    return Optional.empty();
  }

  /** The first fire time strictly after {@code t}, or empty if there is none. */
  public Optional<ZonedDateTime> nextAfter(ZonedDateTime t) {
    ZonedDateTime cursor = t;
    for (int i = 0; i < MAX_SKIPS; i++) {
      Optional<ZonedDateTime> next = executionTime.nextExecution(cursor);
      if (next.isEmpty() || matchesWeek(next.get())) {
        return next;
      }
      cursor = next.get();
    }
    return Optional.empty();
  }

  private boolean matchesWeek(ZonedDateTime t) {
    long week = Math.floorDiv(t.toLocalDate().toEpochDay() + 3, 7); // week 1 starts Monday 1970-01-05
    return Math.floorMod(week, weekInterval) == 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Schedule s && s.expression.equals(expression) && s.weekInterval == weekInterval;
  }

  @Override
  public int hashCode() {
    return expression.hashCode() * 31 + weekInterval;
  }

  @Override
  public String toString() {
    return weekInterval == 1 ? "cron '" + expression + "'" : "cron '" + expression + "' every " + weekInterval + " weeks";
  }
}
