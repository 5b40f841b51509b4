package io.litevault.backup;

import io.litevault.schedule.CronExpression;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.Optional;

/**
 * When a tier runs: a {@link CronExpression} (the project's one cron syntax: UNIX five fields, or a
 * nickname such as {@code @daily}), optionally thinned to every n-th ISO week.
 *
 * <p>Plain cron cannot say "every second week" (a day-of-week step such as {@code SUN/2} steps days, not
 * weeks), so {@link #everyNthWeek(int)} keeps only the fire times whose Monday-based week, counted from
 * 1970-01-05, is a multiple of n: deterministic, the same in every process, no state needed. Only backup
 * needs it, so it lives here, on top of the shared type.
 *
 * <p>Times are evaluated in the zone of the {@link ZonedDateTime} passed in ({@link BackupOptions#zone()},
 * UTC by default). Immutable and thread-safe.
 */
public final class Schedule {
  /** Bound on the fire times skipped while looking for a matching week (a weekly cron needs at most n). */
  private static final int MAX_SKIPS = 10_000;

  private final CronExpression cron;
  private final int weekInterval;

  private Schedule(CronExpression cron, int weekInterval) {
    this.cron = Objects.requireNonNull(cron, "cron expression");
    if (weekInterval < 1 || weekInterval > 52) {
      throw new IllegalArgumentException("week interval must be in [1, 52], was " + weekInterval);
    }
    this.weekInterval = weekInterval;
  }

  /**
   * A schedule firing at every time {@code expression} names.
   *
   * @throws io.litevault.schedule.InvalidCronExpressionException naming the expression and the syntax
   */
  public static Schedule cron(String expression) {
    return new Schedule(CronExpression.parse(expression), 1);
  }

  /** A schedule firing at every time {@code cron} names. */
  public static Schedule cron(CronExpression cron) {
    return new Schedule(cron, 1);
  }

  /** This schedule keeping only the fire times in every {@code n}-th week (n in [1, 52]). */
  public Schedule everyNthWeek(int n) {
    return new Schedule(cron, n);
  }

  /** The cron expression as given (a nickname stays a nickname). */
  public String expression() {
    return cron.expression();
  }

  public CronExpression cronExpression() {
    return cron;
  }

  public int weekInterval() {
    return weekInterval;
  }

  /** The latest fire time at or before {@code t}, or empty if there is none. */
  public Optional<ZonedDateTime> lastAtOrBefore(ZonedDateTime t) {
    Optional<ZonedDateTime> last = cron.lastAtOrBefore(t);
    for (int i = 0; i < MAX_SKIPS && last.isPresent(); i++) {
      if (matchesWeek(last.get())) {
        return last;
      }
      last = cron.lastAtOrBefore(last.get().minusNanos(1));
    }
    return Optional.empty();
  }

  /** The first fire time strictly after {@code t}, or empty if there is none. */
  public Optional<ZonedDateTime> nextAfter(ZonedDateTime t) {
    Optional<ZonedDateTime> next = cron.nextAfter(t);
    for (int i = 0; i < MAX_SKIPS && next.isPresent(); i++) {
      if (matchesWeek(next.get())) {
        return next;
      }
      next = cron.nextAfter(next.get());
    }
    return Optional.empty();
  }

  private boolean matchesWeek(ZonedDateTime t) {
    long week = Math.floorDiv(t.toLocalDate().toEpochDay() + 3, 7); // week 1 starts Monday 1970-01-05
    return Math.floorMod(week, weekInterval) == 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Schedule s && s.cron.equals(cron) && s.weekInterval == weekInterval;
  }

  @Override
  public int hashCode() {
    return cron.hashCode() * 31 + weekInterval;
  }

  @Override
  public String toString() {
    return weekInterval == 1 ? "cron '" + expression() + "'" : "cron '" + expression() + "' every " + weekInterval + " weeks";
  }
}
