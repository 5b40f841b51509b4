package io.litevault.replication.follow;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters for one follower, tagged {@code database=<name>} (Micrometer is an optional dependency:
 * add {@code io.micrometer:micrometer-core} to use this class). Bind once per registry:
 * {@code new FollowerMetricsBinder(follower).bindTo(registry)}. Each is read from {@link Follower#health()}
 * when the registry polls ({@code litevault.follower.} prefix):
 * <ul>
 *   <li>gauges: {@code txid} (the last transaction applied), {@code lag.transactions} (seen in the bucket,
 *       not applied yet), {@code staleness} (base unit seconds: how long ago the follower was last caught up
 *       with the bucket; NaN before the first poll), {@code healthy} (1 while the last poll succeeded);
 *   <li>counters: {@code segments.applied}, {@code rebuilds}, {@code polls}.
 * </ul>
 * Alert on a growing {@code staleness} (a follower that no longer polls successfully) and on
 * {@code healthy == 0} for longer than a few polls.
 */
public final class FollowerMetricsBinder implements MeterBinder {
  private static final String P = "litevault.follower.";
  private final Follower follower;

  public FollowerMetricsBinder(Follower follower) {
    this.follower = Objects.requireNonNull(follower, "follower");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Tags tags = Tags.of("database", follower.options().name());
    gauge(registry, "txid", tags, h -> h.position().txid(), null, "the last transaction applied");
    gauge(registry, "lag.transactions", tags, FollowerHealth::behindTxids, null,
        "transactions seen in the bucket and not applied yet");
    gauge(registry, "staleness", tags, h -> h.staleness() == null ? Double.NaN : h.staleness().toMillis() / 1000.0,
        "seconds", "time since the follower was last caught up with the bucket");
    gauge(registry, "healthy", tags, h -> h.lastError() == null ? 1 : 0, null, "1 while the last poll succeeded");
    counter(registry, "segments.applied", tags, FollowerHealth::segmentsApplied, "segments applied");
    counter(registry, "rebuilds", tags, FollowerHealth::rebuilds, "times the file was rebuilt by a restore");
    counter(registry, "polls", tags, FollowerHealth::polls, "polls of the bucket");
  }

  private void gauge(MeterRegistry registry, String name, Tags tags, ToDoubleFunction<FollowerHealth> value,
      String unit, String description) {
    Gauge.builder(P + name, follower, f -> value.applyAsDouble(f.health())).tags(tags).baseUnit(unit)
        .description(description).register(registry);
  }

  private void counter(MeterRegistry registry, String name, Tags tags, ToDoubleFunction<FollowerHealth> value,
      String description) {
    FunctionCounter.builder(P + name, follower, f -> value.applyAsDouble(f.health())).tags(tags)
        .description(description).register(registry);
  }
}
