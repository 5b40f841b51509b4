package io.litevault.backup;

import static io.litevault.backup.TwoBuckets.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.testing.MutableClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Every meter of BackupMetricsBinder, read from a SimpleMeterRegistry around real runs against the embedded S3 server. */
class BackupMetricsBinderTest {
  @Test
  void metersFollowRealTierRuns() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-23T12:00:00Z"));
    MeterRegistry r = new SimpleMeterRegistry();
    try (TwoBuckets b = new TwoBuckets();
         TieredBackup backup = TieredBackup.create(BackupOptions.builder(b.source, b.target).sourcePrefix("m/")
             .targetPrefix("mt/").clock(clock).build())) {
      put(b.source, "m/a", "aaaa");
      put(b.source, "m/b", "bb");
      put(b.source, "m/c", "c");
      new BackupMetricsBinder(backup).bindTo(r);
      assertEquals(0, count(r, "runs", "daily"));
      assertTrue(Double.isNaN(gauge(r, "state.age", "daily")), "unknown before the first run");
      assertTrue(Double.isNaN(gauge(r, "last.success.age", "daily")));

      assertEquals(RunStatus.SUCCEEDED, backup.runNow("daily").status());
      assertEquals(1, count(r, "runs", "daily"));
      assertEquals(3, count(r, "objects.copied", "daily"));
      assertEquals(7, count(r, "bytes.copied", "daily"));
      assertEquals(0, count(r, "objects.deleted", "daily"));
      assertEquals(0, count(r, "failures", "daily"));
      assertEquals(0, count(r, "verification.failures", "daily"));
      assertEquals(0, count(r, "runs", "1-week"), "other tiers untouched");
      assertEquals(0, gauge(r, "state.age", "daily"));
      assertEquals(0, gauge(r, "last.success.age", "daily"));

      clock.advance(Duration.ofHours(1));
      assertEquals(3600, gauge(r, "state.age", "daily"), "the tier lags its source by the hour since the run");
      assertEquals(3600, gauge(r, "last.success.age", "daily"));

      b.source.delete("m/c");
      put(b.source, "m/d", "dddddd");
      assertEquals(RunStatus.SUCCEEDED, backup.runNow("daily").status());
      assertEquals(2, count(r, "runs", "daily"));
      assertEquals(4, count(r, "objects.copied", "daily"));
      assertEquals(13, count(r, "bytes.copied", "daily"));
      assertEquals(1, count(r, "objects.deleted", "daily"));
      assertEquals(0, gauge(r, "state.age", "daily"));

      // An upstream that lists nothing: the run is refused, and counted as a failure.
      for (String k : new String[] {"m/a", "m/b", "m/d"}) {
        b.source.delete(k);
      }
      clock.advance(Duration.ofHours(1));
      assertThrows(BackupRefusedException.class, () -> backup.runNow("daily"));
      assertEquals(3, count(r, "runs", "daily"));
      assertEquals(1, count(r, "failures", "daily"));
      assertEquals(3600, gauge(r, "state.age", "daily"), "a refused run leaves the tier's state as it was");
    }
  }

  private static double count(MeterRegistry r, String name, String tier) {
    return r.get("litevault.backup." + name).tag("tier", tier).functionCounter().count();
  }

  private static double gauge(MeterRegistry r, String name, String tier) {
    return r.get("litevault.backup." + name).tag("tier", tier).gauge().value();
  }
}
