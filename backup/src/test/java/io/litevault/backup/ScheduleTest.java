package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.schedule.CronExpression;
import io.litevault.schedule.InvalidCronExpressionException;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScheduleTest {
  @TempDir Path dir;
  private static final ZonedDateTime T = ZonedDateTime.parse("2026-11-23T10:15:30Z"); // a Monday

  @Test
  void dailyCronFindsLastAndNextFireTimes() {
    Schedule daily = Schedule.cron("0 2 * * *");
    assertEquals(ZonedDateTime.parse("2026-11-23T02:00Z"), daily.lastAtOrBefore(T).orElseThrow());
    assertEquals(ZonedDateTime.parse("2026-11-24T02:00Z"), daily.nextAfter(T).orElseThrow());
  }

  @Test
  void aFireTimeItselfIsTheLastFireAtOrBeforeIt() {
    Schedule daily = Schedule.cron("0 2 * * *");
    ZonedDateTime fire = ZonedDateTime.parse("2026-11-23T02:00Z");
    assertEquals(fire, daily.lastAtOrBefore(fire).orElseThrow());
    assertEquals(fire.plusDays(1), daily.nextAfter(fire).orElseThrow());
  }

  @Test
  void everySecondWeekFiresOnAlternateSundaysFourteenDaysApart() {
    Schedule biweekly = Schedule.cron("0 0 * * 0").everyNthWeek(2);
    ZonedDateTime a = biweekly.nextAfter(T).orElseThrow();
    ZonedDateTime b = biweekly.nextAfter(a).orElseThrow();
    ZonedDateTime c = biweekly.nextAfter(b).orElseThrow();
    assertEquals(DayOfWeek.SUNDAY, a.getDayOfWeek());
    assertEquals(14, ChronoUnit.DAYS.between(a, b));
    assertEquals(14, ChronoUnit.DAYS.between(b, c));
    assertEquals(a, biweekly.lastAtOrBefore(b.minusSeconds(1)).orElseThrow());
    assertTrue(ChronoUnit.DAYS.between(biweekly.lastAtOrBefore(T).orElseThrow(), T) < 14);
  }

  /** Failed before the shared cron type: backup's own parser refused the nicknames TTL accepted. */
  @Test
  void nicknamesAreAcceptedLikeTheirFiveFields() {
    Schedule daily = Schedule.cron("@daily");
    assertEquals(ZonedDateTime.parse("2026-11-24T00:00Z"), daily.nextAfter(T).orElseThrow());
    assertEquals(ZonedDateTime.parse("2026-11-23T00:00Z"), daily.lastAtOrBefore(T).orElseThrow());
    assertEquals("@daily", daily.expression());
    Schedule weekly = Schedule.cron("@weekly").everyNthWeek(2);
    Schedule sundays = Schedule.cron("0 0 * * 0").everyNthWeek(2);
    ZonedDateTime t = T;
    for (int i = 0; i < 10; i++) {
      assertEquals(sundays.nextAfter(t), weekly.nextAfter(t));
      assertEquals(sundays.lastAtOrBefore(t), weekly.lastAtOrBefore(t));
      t = t.plusDays(5).plusHours(7);
    }
    assertEquals(List.of("@daily"), BackupOptions.builder(FileSystemObjectStore.create(dir), FileSystemObjectStore.create(dir.resolve("t")))
        .tiers(List.of(Tier.fromSource("daily", daily))).build().tiers().stream().map(x -> x.schedule().expression()).toList());
  }

  @Test
  void badExpressionsAreRefusedNamingThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Schedule.cron("0 25 * * *"));
    assertTrue(e.getMessage().contains("'0 25 * * *'"), e.getMessage());
    e = assertThrows(InvalidCronExpressionException.class, () -> Schedule.cron("every day"));
    assertTrue(e.getMessage().contains("'every day'") && e.getMessage().contains(CronExpression.SYNTAX), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Schedule.cron("0 2 * * *").everyNthWeek(0));
    assertTrue(e.getMessage().contains("was 0"), e.getMessage());
  }

  @Test
  void defaultTiersRunOldestFirstOnSunday() {
    var tiers = Tier.defaults();
    ZonedDateTime sunday = ZonedDateTime.parse("2026-11-29T00:00Z").minusSeconds(1);
    ZonedDateTime oneWeek = tiers.get(1).schedule().nextAfter(sunday).orElseThrow();
    ZonedDateTime daily = tiers.get(0).schedule().nextAfter(sunday).orElseThrow();
    assertTrue(oneWeek.isBefore(daily), "1-week copies daily before daily is refreshed");
    ZonedDateTime twoWeek = tiers.get(2).schedule().nextAfter(sunday.minusDays(7)).orElseThrow();
    assertEquals(0, twoWeek.getHour());
    assertEquals(DayOfWeek.SUNDAY, twoWeek.getDayOfWeek());
  }
}
