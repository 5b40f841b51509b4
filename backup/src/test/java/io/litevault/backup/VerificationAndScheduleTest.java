package io.litevault.backup;

import io.litevault.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.ObjectStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verification plumbing (a fake {@link TierVerifier}: a failure reaches the listener, the metrics and the
 * manifest) and schedule bookkeeping across restarts (a missed run runs once at start-up), on file stores.
 */
class VerificationAndScheduleTest {
  @TempDir Path src;
  @TempDir Path dst;

  private ObjectStore source() {
    return FileSystemObjectStore.create(src);
  }

  private ObjectStore target() {
    return FileSystemObjectStore.create(dst);
  }

  @Test
  void aFailedVerificationIsReportedToListenerMetricsAndManifest() throws Exception {
    ObjectStore s = source();
    ObjectStore t = target();
    s.put("db/data/lineages/20261123T000000000Z-0000000a/snapshots/0000000000000001.lvsn", "x".getBytes(StandardCharsets.UTF_8));
    List<String> heard = new CopyOnWriteArrayList<>();
    List<String> verifiedPrefixes = new CopyOnWriteArrayList<>();
    BackupListener listener = new BackupListener() {
      @Override
      public void runFinished(TierRunReport r) {
        heard.add("finished " + r.status());
      }

      @Override
      public void verificationFailed(TierRunReport r, VerificationResult v) {
        heard.add("verification failed: " + v.detail());
      }
    };
    TierVerifier failing = (store, prefix) -> {
      verifiedPrefixes.add(prefix);
      assertTrue(store.stat(prefix + "db/data/lineages/20261123T000000000Z-0000000a/snapshots/0000000000000001.lvsn").isPresent(),
          "the verifier sees the fresh tier");
      return VerificationResult.failed(1, "data: integrity_check: row 3 missing from index");
    };
    try (TieredBackup backup = TieredBackup.create(BackupOptions.builder(s, t).targetPrefix("b/")
        .clock(new MutableClock(Instant.parse("2026-11-23T12:00:00Z"))).verifier(failing).listener(listener).build())) {
      TierRunReport r = backup.runNow("daily");
      assertEquals(RunStatus.VERIFICATION_FAILED, r.status());
      assertEquals(List.of("b/daily/"), verifiedPrefixes);
      assertEquals(List.of("finished VERIFICATION_FAILED", "verification failed: data: integrity_check: row 3 missing from index"), heard);
      assertEquals(1, backup.metrics().tier("daily").verificationFailures());
      assertEquals(null, backup.metrics().tier("daily").lastSuccess(), "not a success");
      String manifest = TwoBuckets.read(t, "b/daily/_litevault/backup-run.json");
      assertEquals("VERIFICATION_FAILED", json(manifest).path("status").asText(), manifest);
      assertEquals("FAILED", json(manifest).path("verification").asText(), manifest);
      assertTrue(manifest.contains("row 3 missing from index"), manifest);
    }
    // A verifier that throws is a failure too, never silent.
    try (TieredBackup backup = TieredBackup.create(BackupOptions.builder(s, t).targetPrefix("c/")
        .verifier((store, prefix) -> { throw new IllegalStateException("restore crashed"); }).build())) {
      TierRunReport r = backup.runNow("daily");
      assertEquals(RunStatus.VERIFICATION_FAILED, r.status());
      assertTrue(r.verification().detail().contains("restore crashed"), r.verification().detail());
    }
  }

  @Test
  void aMissedRunRunsOnceAtStartUpAndThenOnSchedule() {
    ObjectStore s = source();
    ObjectStore t = target();
    s.put("app/a", "a".getBytes(StandardCharsets.UTF_8));
    List<Tier> dailyOnly = List.of(Tier.fromSource("daily", Schedule.cron("0 2 * * *")));
    MutableClock clock = new MutableClock(Instant.parse("2026-11-23T03:00:00Z"));
    AtomicInteger runs = new AtomicInteger();
    BackupListener counting = new BackupListener() {
      @Override
      public void runStarted(String tier, Instant started) {
        runs.incrementAndGet();
      }
    };
    try (TieredBackup first = TieredBackup.create(BackupOptions.builder(s, t).tiers(dailyOnly).clock(clock)
        .listener(counting).build())) {
      assertEquals(1, first.runDue().size(), "never ran: due at once");
      assertEquals(0, first.runDue().size(), "done for today");
      assertEquals(Instant.parse("2026-11-24T02:00:00Z"), first.nextDue().orElseThrow());
    }
    // The process is down for three days; a new one starts and finds the missed runs in the manifest.
    clock.advance(Duration.ofDays(3));
    try (TieredBackup second = TieredBackup.create(BackupOptions.builder(s, t).tiers(dailyOnly).clock(clock)
        .listener(counting).build())) {
      List<TierRunReport> reports = second.runDue();
      assertEquals(1, reports.size(), "three missed runs run once");
      assertEquals(0, reports.get(0).copied());
      assertEquals(0, second.runDue().size());
      assertEquals(Duration.ZERO, second.metrics().age("daily").orElseThrow());
      clock.advance(Duration.ofHours(23));
      assertEquals(1, second.runDue().size(), "the next day's run");
    }
    assertEquals(3, runs.get());
  }

  @Test
  void aFailedRunIsRetriedAfterTheRetryDelayNotBefore() {
    ObjectStore s = source();
    s.put("app/a", "a".getBytes(StandardCharsets.UTF_8));
    FaultyObjectStore flaky = new FaultyObjectStore(s).failCall(1, ErrorKind.SERVER_ERROR); // the first listing
    MutableClock clock = new MutableClock(Instant.parse("2026-11-23T03:00:00Z"));
    try (TieredBackup backup = TieredBackup.create(BackupOptions.builder(flaky, target()).clock(clock)
        .tiers(List.of(Tier.fromSource("daily", Schedule.cron("0 2 * * *")))).retryDelay(Duration.ofMinutes(15)).build())) {
      TierRunReport failed = backup.runDue().get(0);
      assertEquals(RunStatus.FAILED, failed.status());
      assertTrue(failed.errors().get(0).contains("fault injected"), failed.errors().toString());
      clock.advance(Duration.ofMinutes(10));
      assertEquals(0, backup.runDue().size(), "not before the retry delay");
      assertEquals(Instant.parse("2026-11-23T03:15:00Z"), backup.nextDue().orElseThrow());
      clock.advance(Duration.ofMinutes(5));
      List<TierRunReport> retried = backup.runDue();
      assertEquals(1, retried.size());
      assertEquals(RunStatus.SUCCEEDED, retried.get(0).status(), retried.get(0).toString());
      assertEquals(1, retried.get(0).copied());
      assertEquals(1, backup.metrics().tier("daily").failures());
    }
  }

  @Test
  void startRunsTheMissedTierInTheBackground() throws Exception {
    ObjectStore s = source();
    s.put("app/a", "a".getBytes(StandardCharsets.UTF_8));
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    List<TierRunReport> reports = new CopyOnWriteArrayList<>();
    BackupListener l = new BackupListener() {
      @Override
      public void runFinished(TierRunReport r) {
        reports.add(r);
        done.countDown();
      }
    };
    try (TieredBackup backup = TieredBackup.create(BackupOptions.builder(s, target()).listener(l)
        .tiers(List.of(Tier.fromSource("daily", Schedule.cron("0 2 * * *")))).build())) {
      backup.start();
      assertTrue(done.await(30, java.util.concurrent.TimeUnit.SECONDS), "the missed run ran at start-up");
      assertEquals(RunStatus.SUCCEEDED, reports.get(0).status());
      assertEquals(1, reports.get(0).copied());
      assertTrue(backup.nextDue().orElseThrow().isAfter(Instant.now()));
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode json(String text) throws java.io.IOException {
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
  }
}
