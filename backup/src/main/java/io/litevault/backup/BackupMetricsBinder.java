package io.litevault.backup;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters for a {@link TieredBackup}, one set per tier (tag {@code tier=<name>}), beside the
 * store's and the replicator's binders. Micrometer is an optional dependency: add
 * {@code io.micrometer:micrometer-core} to use this class. Bind once per registry:
 * {@code new BackupMetricsBinder(backup).bindTo(registry)}.
 *
 * <p>Meters ({@code litevault.backup.} prefix), each read from {@link BackupMetrics} when the registry
 * polls:
 * <ul>
 *   <li>counters: {@code runs} (runs ended), {@code failures} (runs FAILED or REFUSED),
 *       {@code verification.failures}, {@code objects.copied}, {@code bytes.copied} (base unit bytes),
 *       {@code objects.deleted} (from the tier);
 *   <li>gauges (base unit seconds, on the options' clock; NaN while unknown): {@code last.success.age}
 *       (since the last successful run finished) and {@code state.age} (the age of the state the tier
 *       holds: how far the tier lags behind its source).
 * </ul>
 * Alert when {@code state.age} passes what the tier promises (see {@link Tier#defaults()}: about 1 day
 * for {@code daily}, 8 for {@code 1-week}, 22 for {@code 2-week}) and on any increase of
 * {@code verification.failures}.
 */
public final class BackupMetricsBinder implements MeterBinder {
  private static final String P = "litevault.backup.";
  private final TieredBackup backup;

  public BackupMetricsBinder(TieredBackup backup) {
    this.backup = Objects.requireNonNull(backup, "backup");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    BackupMetrics m = backup.metrics();
    for (Tier tier : backup.options().tiers()) {
      String t = tier.name();
      Tags tags = Tags.of("tier", t);
      counter(registry, "runs", tags, m, x -> x.tier(t).runs(), null, "tier runs ended");
      counter(registry, "failures", tags, m, x -> x.tier(t).failures(), null, "tier runs that failed or were refused");
      counter(registry, "verification.failures", tags, m, x -> x.tier(t).verificationFailures(), null,
          "tier runs whose verification failed");
      counter(registry, "objects.copied", tags, m, x -> x.tier(t).objectsCopied(), null, "objects copied into the tier");
      counter(registry, "bytes.copied", tags, m, x -> x.tier(t).bytesCopied(), "bytes", "body bytes copied into the tier");
      counter(registry, "objects.deleted", tags, m, x -> x.tier(t).objectsDeleted(), null, "objects deleted from the tier");
      gauge(registry, "last.success.age", tags, m, x -> seconds(x.sinceLastSuccess(t)),
          "seconds since the tier's last successful run finished");
      gauge(registry, "state.age", tags, m, x -> seconds(x.age(t)), "age of the state the tier holds");
    }
  }

  private static double seconds(Optional<Duration> d) {
    return d.map(x -> x.toMillis() / 1000.0).orElse(Double.NaN);
  }

  private static <T> void counter(MeterRegistry registry, String name, Tags tags, T obj, ToDoubleFunction<T> f,
      String unit, String description) {
    FunctionCounter.builder(P + name, obj, f).tags(tags).baseUnit(unit).description(description).register(registry);
  }

  private static <T> void gauge(MeterRegistry registry, String name, Tags tags, T obj, ToDoubleFunction<T> f,
      String description) {
    Gauge.builder(P + name, obj, f).tags(tags).baseUnit("seconds").description(description).register(registry);
  }
}
