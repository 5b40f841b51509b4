package io.litevault.ttl;

import io.litevault.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.SqliteStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schedules read on an injected clock: cron, interval, both; start and stop. */
class SchedulerTest {
  @TempDir Path dir;

  @Test
  void cronAndIntervalGiveTheEarlierDueInstant() {
    Instant from = Instant.parse("2026-11-23T01:30:00Z");
    assertEquals(Instant.parse("2026-11-24T00:00:00Z"), nextDue(TtlOptions.DEFAULT_CRON, TtlOptions.DEFAULT_ZONE, null, from));
    assertEquals(Instant.parse("2026-11-23T02:00:00Z"), nextDue("0 * * * *", TtlOptions.DEFAULT_ZONE, null, from));
    assertEquals(Instant.parse("2026-11-23T01:35:00Z"), nextDue(TtlOptions.DEFAULT_CRON, TtlOptions.DEFAULT_ZONE, Duration.ofMinutes(5), from));
    assertEquals(Instant.parse("2026-11-23T23:00:00Z"), nextDue("0 0 * * *", ZoneId.of("Europe/Paris"), null, from));
    assertNull(nextDue(null, TtlOptions.DEFAULT_ZONE, null, from));
    assertEquals(Instant.parse("2026-11-24T00:00:00Z"), nextDue("@daily", TtlOptions.DEFAULT_ZONE, null, from));
    assertEquals(Instant.parse("2026-11-23T02:00:00Z"), nextDue("@hourly", TtlOptions.DEFAULT_ZONE, null, from));
  }

  private static Instant nextDue(String cron, ZoneId zone, Duration interval, Instant from) {
    return TtlOptions.builder().cron(cron).zone(zone).interval(interval).build().nextDueAfter(from);
  }

  @Test
  void runsWhenTheClockReachesTheDueInstantAndStopsWhenStopped() throws Exception {
    TtlTableSpec spec = TtlTableSpec.builder("session").build();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-23T23:58:00Z"));
    List<PurgeReport> reports = new CopyOnWriteArrayList<>();
    try (SqliteStore store = Stores.open(dir, spec.createTableSql());
         TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).pollInterval(Duration.ofMillis(5))
             .listener(reports::add).build())) {
      TtlTable<String> sessions = cleaner.table(store.database("ttl"), spec);
      sessions.put("short", "x", Duration.ofMinutes(1));
      sessions.put("long", "y", Duration.ofDays(2));
      cleaner.start();
      assertEquals(Instant.parse("2026-11-24T00:00:00Z"), cleaner.nextDue());
      assertThrows(IllegalStateException.class, cleaner::start);
      Thread.sleep(100);
      assertTrue(reports.isEmpty(), "not due yet on the clock, however long we wait in real time");
      clock.advance(Duration.ofMinutes(2)); // midnight: the daily cron is due
      waitFor(() -> reports.size() == 1);
      PurgeReport r = reports.get(0);
      assertEquals(PurgeReport.Trigger.SCHEDULED, r.trigger());
      assertEquals(1, r.rowsPurged());
      assertEquals(1, cleaner.metrics().rowsPurged("ttl", "session"));
      assertEquals(Instant.parse("2026-11-25T00:00:00Z"), cleaner.nextDue());
      cleaner.stop();
      assertFalse(cleaner.running());
      clock.advance(Duration.ofDays(3));
      Thread.sleep(100);
      assertEquals(1, reports.size(), "no run after stop");
      assertEquals(1, cleaner.purgeNow().rowsPurged(), "on-demand purges still work after stop");
      assertEquals(PurgeReport.Trigger.ON_DEMAND, reports.get(1).trigger());
    }
  }

  @Test
  void intervalOnlyScheduleAndNothingToSchedule() throws Exception {
    TtlTableSpec spec = TtlTableSpec.builder("code").build();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    try (SqliteStore store = Stores.open(dir, spec.createTableSql());
         TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).cron(null)
             .interval(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(5)).build());
         TtlCleaner none = TtlCleaner.create(TtlOptions.builder().cron(null).build())) {
      assertThrows(IllegalStateException.class, none::start);
      TtlTable<String> codes = cleaner.table(store.database("ttl"), spec);
      cleaner.start();
      for (int i = 1; i <= 3; i++) {
        codes.put("c" + i, "u", Duration.ofMinutes(1));
        clock.advance(Duration.ofMinutes(5));
        int runs = i;
        waitFor(() -> cleaner.metrics().runs() == runs);
        assertEquals(i, cleaner.metrics().rowsPurged());
      }
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting");
      Thread.sleep(5);
    }
  }
}
