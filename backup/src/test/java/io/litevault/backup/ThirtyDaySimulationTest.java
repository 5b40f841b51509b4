package io.litevault.backup;

import io.litevault.testing.MutableClock;
import static io.litevault.backup.TwoBuckets.put;
import static io.litevault.backup.TwoBuckets.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Thirty simulated days under a fake clock, ticking hourly, with the default tiers and schedules. Each
 * hour the "application" writes like a replicated database plus app files: a segment per hour, a new
 * lineage (snapshot) every week with the lineage before last deleted (retention), the lease rewritten,
 * {@code app/current} holding the hour, a file per day kept three days. Then {@link TieredBackup#runDue()}.
 *
 * <p>Each simulated evening every tier is checked: its content is exactly the source's state at some hour
 * hs (the key set is a pure function of the hour; {@code app/current} tells hs), and the age of that state
 * is within what the tier promises: daily at most 1 day, 1-week 1 to 8 days, 2-week 8 to 22 days (see
 * {@link Tier#defaults()}); the ages are ordered daily < 1-week < 2-week, and the metrics report the same
 * age. The real-database variant (restore + integrity_check of each tier) waits for the restore library.
 */
class ThirtyDaySimulationTest {
  static final Instant START = Instant.parse("2026-01-01T00:00:00Z"); // a Thursday
  static final int WEEK = 168;
  static TwoBuckets b;

  @BeforeAll
  static void start() {
    b = new TwoBuckets();
  }

  @AfterAll
  static void stop() {
    b.close();
  }

  static String lineage(int w) {
    return String.format("db/data/lineages/2026010%dT000000000Z-%08x/", 1, w);
  }

  static String hex(long v) {
    return String.format("%016x", v);
  }

  /** The source's keys at hour h (after that hour's writes), without the lease. */
  static Set<String> keysAt(int h) {
    Set<String> keys = new TreeSet<>();
    keys.add("app/current");
    int w = h / WEEK;
    for (int v = Math.max(0, w - 1); v <= w; v++) {
      int s = v * WEEK;
      keys.add(lineage(v) + "snapshots/" + hex(s) + ".lvsn");
      for (int t = s + 1; t <= Math.min(h, s + WEEK - 1); t++) {
        keys.add(lineage(v) + "segments/" + hex(t) + "-" + hex(t) + ".lvsg");
      }
    }
    for (int d = 0; d * 24 + 12 <= h; d++) {
      if (h < (d + 3) * 24 + 12) {
        keys.add("app/day-" + d);
      }
    }
    return keys;
  }

  /** The application's writes of hour h. */
  static void write(String src, int h) {
    int w = h / WEEK;
    if (h % WEEK == 0) {
      put(b.source, src + lineage(w) + "snapshots/" + hex(h) + ".lvsn", "snapshot " + h);
      if (w >= 2) {
        List<String> old = new ArrayList<>();
        try (var s = b.source.list(src + lineage(w - 2))) {
          s.forEach(o -> old.add(o.key()));
        }
        b.source.deleteAll(old);
      }
    } else {
      put(b.source, src + lineage(w) + "segments/" + hex(h) + "-" + hex(h) + ".lvsg", "segment " + h);
    }
    if (h % 24 == 12) {
      int d = h / 24;
      put(b.source, src + "app/day-" + d, "day " + d);
      if (d >= 3) {
        b.source.delete(src + "app/day-" + (d - 3));
      }
    }
    put(b.source, src + "app/current", Integer.toString(h));
    put(b.source, src + "db/data/lease", "renewed at hour " + h);
  }

  @Test
  void eachTierHoldsAStateOfThePromisedAgeEveryDayForThirtyDays() {
    String src = "sim/";
    MutableClock clock = new MutableClock(START);
    Map<String, Integer> runs = new TreeMap<>();
    try (TieredBackup backup = TieredBackup.create(BackupOptions.builder(b.source, b.target).sourcePrefix(src)
        .targetPrefix("backups/").clock(clock).build())) {
      for (int h = 0; h < 30 * 24; h++) {
        clock.set(START.plus(Duration.ofHours(h)));
        write(src, h);
        for (TierRunReport r : backup.runDue()) {
          assertEquals(RunStatus.SUCCEEDED, r.status(), "hour " + h + ": " + r);
          runs.merge(r.tier(), 1, Integer::sum);
        }
        if (h % 24 == 23) {
          checkTiers(backup, h);
        }
      }
      // Start-up runs once (all three missed), then: 30 days at 02:00, Sundays Jan 4/11/18/25, and two of them.
      assertEquals(Map.of("daily", 31, "1-week", 5, "2-week", 3), runs);
    }
  }

  private static void checkTiers(TieredBackup backup, int h) {
    int day = h / 24;
    Map<String, Integer> age = new TreeMap<>();
    for (String tier : List.of("daily", "1-week", "2-week")) {
      String prefix = "backups/" + tier + "/";
      int hs = Integer.parseInt(read(b.target, prefix + "app/current"));
      Set<String> keys = TwoBuckets.sizes(b.target, prefix).keySet();
      assertEquals(keysAt(hs), keys, "day " + day + ": " + tier + " is exactly the source at hour " + hs);
      assertEquals(Duration.ofHours(h - hs), backup.metrics().age(tier).orElseThrow(), tier + " age in the metrics");
      age.put(tier, h - hs);
    }
    String where = "day " + day + ", ages in hours " + age;
    assertTrue(age.get("daily") <= 24, where);
    assertTrue(age.get("1-week") <= 8 * 24, where);
    assertTrue(age.get("2-week") <= 22 * 24, where);
    assertTrue(age.get("daily") <= age.get("1-week") && age.get("1-week") <= age.get("2-week"), where);
    if (day >= 18) { // every tier has been refreshed by its schedule, not only at start-up
      assertTrue(age.get("1-week") >= 23 && age.get("1-week") > age.get("daily"), where);
      assertTrue(age.get("2-week") >= 8 * 24 - 2 && age.get("2-week") > age.get("1-week"), where);
    }
  }
}
