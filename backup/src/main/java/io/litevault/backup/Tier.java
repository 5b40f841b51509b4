package io.litevault.backup;

import io.litevault.store.Names;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One backup tier: a named copy under {@code <targetPrefix><name>/} in the target store, refreshed on a
 * {@link Schedule} from either the source bucket ({@code upstream} empty) or another tier of the same
 * target ({@code upstream} names it; copied server-side).
 *
 * <h2>The defaults and the ages they promise</h2>
 * {@link #defaults()} is a grandfather-father-son rotation run oldest first, so that each tier takes its
 * upstream's <em>older</em> state before the upstream is refreshed, and the three tiers always hold three
 * distinct points in time (times UTC):
 * <ul>
 *   <li>{@code daily}: from the source, every day at 02:00 — holds a state 0 to 1 day old;
 *   <li>{@code 1-week}: from {@code daily}, Sundays at 01:00 (before daily's run) — 1 to 8 days old;
 *   <li>{@code 2-week}: from {@code 1-week}, every second Sunday at 00:00 (before 1-week's run) — 8 to 22
 *       days old.
 * </ul>
 *
 * @param name the tier's name, also its directory: a bucket prefix segment ({@link Names#requireSegment}:
 *     1 to 64 ASCII letters, digits, '.', '_' or '-', not '.' or '..'), and not {@value #RESERVED}
 * @param upstream the tier this one is copied from, or empty to copy from the source bucket
 * @param schedule when it runs
 */
public record Tier(String name, Optional<String> upstream, Schedule schedule) {
  /** The name of backup's bookkeeping directory ({@code CopyPlan.META}), which every copy skips. */
  static final String RESERVED = "_litevault";

  /** The daily tier's name and schedule: every day at 02:00, after the night's quiet hours began. */
  public static final String DAILY = "daily";
  /** The weekly tier: Sundays 01:00, an hour before daily replaces the state it copies. */
  public static final String ONE_WEEK = "1-week";
  /** The biweekly tier: every second Sunday 00:00, an hour before 1-week replaces the state it copies. */
  public static final String TWO_WEEK = "2-week";

  public Tier {
    Names.requireSegment("tier name", name);
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(schedule, "schedule");
    if (name.equals(RESERVED)) {
      throw new IllegalArgumentException("invalid tier name '" + name + "': '" + RESERVED + "' is reserved");
    }
    if (upstream.isPresent() && upstream.get().equals(name)) {
      throw new IllegalArgumentException("tier '" + name + "' cannot be copied from itself");
    }
  }

  /** A tier copied from the source bucket. */
  public static Tier fromSource(String name, Schedule schedule) {
    return new Tier(name, Optional.empty(), schedule);
  }

  /** A tier copied (server-side) from the tier {@code upstream} of the same target. */
  public static Tier fromTier(String name, String upstream, Schedule schedule) {
    return new Tier(name, Optional.of(upstream), schedule);
  }

  /** {@code daily/}, {@code 1-week/} and {@code 2-week/} as described above. */
  public static List<Tier> defaults() {
    return List.of(
        fromSource(DAILY, Schedule.cron("0 2 * * *")),
        fromTier(ONE_WEEK, DAILY, Schedule.cron("0 1 * * 0")),
        fromTier(TWO_WEEK, ONE_WEEK, Schedule.cron("0 0 * * 0").everyNthWeek(2)));
  }

  /** Whether this tier copies from the source bucket rather than from another tier. */
  public boolean copiesFromSource() {
    return upstream.isEmpty();
  }
}
