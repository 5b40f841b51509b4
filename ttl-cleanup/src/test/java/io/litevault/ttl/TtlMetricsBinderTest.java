package io.litevault.ttl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every meter of TtlMetricsBinder, read from a SimpleMeterRegistry before and after real purges. */
class TtlMetricsBinderTest {
  @TempDir Path dir;

  @Test
  void metersFollowRealPurgesOfARealDatabase() {
    TtlTableSpec sessions = TtlTableSpec.builder("session").build();
    TtlTableSpec codes = TtlTableSpec.builder("code").build();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    MeterRegistry r = new SimpleMeterRegistry();
    try (SqliteStore store = Stores.open(dir, sessions.createTableSql(), codes.createTableSql());
         TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).batchSize(10).targetBatchTime(Duration.ZERO).build())) {
      Database db = store.database("ttl");
      TtlTable<String> s = cleaner.table(db, sessions);
      TtlTable<String> c = cleaner.table(db, codes);
      new TtlMetricsBinder(cleaner).bindTo(r);
      assertEquals(0, counter(r, "litevault.ttl.rows.purged", "session"));
      assertTrue(Double.isNaN(gauge(r, "litevault.ttl.last.success.age")), "NaN before the first complete run");
      assertEquals(0, gauge(r, "litevault.ttl.running"));

      for (int i = 0; i < 25; i++) {
        s.put("s" + i, "v", Duration.ofMinutes(1));
      }
      s.put("live", "v", Duration.ofDays(1));
      c.put("c1", "v", Duration.ofMinutes(1));
      clock.advance(Duration.ofMinutes(2));
      cleaner.purgeNow();

      assertEquals(25, counter(r, "litevault.ttl.rows.purged", "session"));
      assertEquals(1, counter(r, "litevault.ttl.rows.purged", "code"));
      assertEquals(3, counter(r, "litevault.ttl.batches", "session"), "25 rows in batches of at most 10");
      assertEquals(0, counter(r, "litevault.ttl.failures", "session"));
      assertEquals(1, r.get("litevault.ttl.runs").tag("result", "complete").functionCounter().count());
      assertEquals(0, r.get("litevault.ttl.runs").tag("result", "incomplete").functionCounter().count());
      double age = gauge(r, "litevault.ttl.last.success.age");
      assertTrue(age >= 0 && age < 60, "seconds since the run: " + age);
      assertTrue(gauge(r, "litevault.ttl.last.run.duration") > 0);

      // A table dropped behind the cleaner's back: its purge fails, the run is incomplete.
      db.writeAndWait(x -> {
        try (var st = x.createStatement()) {
          st.execute("DROP TABLE code");
        }
        return null;
      });
      s.put("s-late", "v", Duration.ofMinutes(1));
      clock.advance(Duration.ofMinutes(2));
      PurgeReport report = cleaner.purgeNow();
      assertFalse(report.complete(), report.toString());
      assertEquals(26, counter(r, "litevault.ttl.rows.purged", "session"));
      assertEquals(1, counter(r, "litevault.ttl.failures", "code"));
      assertEquals(0, counter(r, "litevault.ttl.failures", "session"));
      assertEquals(1, r.get("litevault.ttl.runs").tag("result", "complete").functionCounter().count());
      assertEquals(1, r.get("litevault.ttl.runs").tag("result", "incomplete").functionCounter().count());

      cleaner.start();
      assertEquals(1, gauge(r, "litevault.ttl.running"));
      cleaner.stop();
      assertEquals(0, gauge(r, "litevault.ttl.running"));
    }
  }

  private static double counter(MeterRegistry r, String name, String table) {
    return r.get(name).tag("database", "ttl").tag("table", table).functionCounter().count();
  }

  private static double gauge(MeterRegistry r, String name) {
    return r.get(name).gauge().value();
  }
}
