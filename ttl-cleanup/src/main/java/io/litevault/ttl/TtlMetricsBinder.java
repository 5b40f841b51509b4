package io.litevault.ttl;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Instant;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters for one TTL cleaner, beside the store's ({@code io.litevault.store.StoreMetricsBinder}).
 * Micrometer is an optional dependency: add {@code io.micrometer:micrometer-core} to use this class. Bind
 * once per registry, after registering the tables: {@code new TtlMetricsBinder(cleaner).bindTo(registry)}
 * (a table registered later gets no per-table meters in that registry).
 *
 * <p>Meters ({@code litevault.ttl.} prefix), each read from {@link TtlMetrics} when the registry polls:
 * <ul>
 *   <li>counters: {@code runs} (tag {@code result=complete|incomplete}: incomplete when some table failed
 *       or was stopped early); per table (tags {@code database}, {@code table}): {@code rows.purged},
 *       {@code batches} (delete write tasks), {@code failures} (runs in which that table's purge failed
 *       or stopped early);
 *   <li>gauges: {@code last.run.duration} (base unit seconds), {@code last.success.age} (seconds since
 *       the last complete run ended; NaN before the first), {@code running} (1 while the schedule runs).
 * </ul>
 * Alert on a growing {@code last.success.age} (purges stopped working, tables grow) and on any
 * increase of {@code runs{result=incomplete}}.
 */
public final class TtlMetricsBinder implements MeterBinder {
  private static final String P = "litevault.ttl.";
  private final TtlCleaner cleaner;

  public TtlMetricsBinder(TtlCleaner cleaner) {
    this.cleaner = Objects.requireNonNull(cleaner, "cleaner");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    TtlMetrics m = cleaner.metrics();
    Tags none = Tags.empty();
    counter(registry, "runs", none.and("result", "complete"), m, x -> x.runs() - x.incompleteRuns(), null,
        "purge runs that purged every table to its cutoff");
    counter(registry, "runs", none.and("result", "incomplete"), m, TtlMetrics::incompleteRuns, null,
        "purge runs in which some table failed or was stopped early");
    gauge(registry, "last.run.duration", none, m, x -> x.lastRunDuration().toNanos() / 1e9, "seconds",
        "real time the last purge run took");
    gauge(registry, "last.success.age", none, m, TtlMetricsBinder::lastSuccessAge, "seconds",
        "seconds since the last complete purge run ended");
    gauge(registry, "running", none, cleaner, c -> c.running() ? 1 : 0, null, "1 while the purge schedule runs");
    for (TtlMetrics.TableCounters t : m.tableCounters()) {
      Tags tags = Tags.of("database", t.database, "table", t.table);
      counter(registry, "rows.purged", tags, t, c -> c.rowsPurged.sum(), null, "expired rows deleted");
      counter(registry, "batches", tags, t, c -> c.batches.sum(), null, "delete batches (write tasks) submitted");
      counter(registry, "failures", tags, t, c -> c.failures.sum(), null,
          "runs in which this table's purge failed or was stopped early");
    }
  }

  private static double lastSuccessAge(TtlMetrics m) {
    Instant end = m.lastCompleteRunEnd();
    return end == null ? Double.NaN : (System.currentTimeMillis() - end.toEpochMilli()) / 1000.0;
  }

  private static <T> void counter(MeterRegistry registry, String name, Tags tags, T obj, ToDoubleFunction<T> f,
      String unit, String description) {
    FunctionCounter.builder(P + name, obj, f).tags(tags).baseUnit(unit).description(description).register(registry);
  }

  private static <T> void gauge(MeterRegistry registry, String name, Tags tags, T obj, ToDoubleFunction<T> f,
      String unit, String description) {
    Gauge.builder(P + name, obj, f).tags(tags).baseUnit(unit).description(description).register(registry);
  }
}
