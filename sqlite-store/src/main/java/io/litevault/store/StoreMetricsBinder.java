package io.litevault.store;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters for every database of a store, tagged {@code database=<name>}. Micrometer is an
 * optional dependency: add {@code io.micrometer:micrometer-core} to use this class. Bind once per
 * registry: {@code new StoreMetricsBinder(store).bindTo(registry)}.
 *
 * <p>Meters ({@code litevault.} prefix): {@code writes.committed}, {@code writes.failed},
 * {@code batches}, {@code checkpoints} (tag {@code result=ok|busy}), {@code continuity.breaks},
 * {@code writer.errors} (counters); {@code queue.depth}, {@code wal.bytes}, {@code txid},
 * {@code cache.size}, {@code cache.hit.ratio} (gauges); {@code cache.requests} (tag
 * {@code result=hit|miss}); {@code write.queue.wait}, {@code commit.duration},
 * {@code checkpoint.duration} (timers with p50/p99/p999); {@code batch.size} (summary).
 */
public final class StoreMetricsBinder implements MeterBinder {
  private final SqliteStore store;

  public StoreMetricsBinder(SqliteStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (String name : store.databaseNames()) {
      bind(registry, store.database(name));
    }
  }

  private static void bind(MeterRegistry registry, Database db) {
    Tags tags = Tags.of("database", db.name());
    DatabaseStats s = db.stats();
    counter(registry, "litevault.writes.committed", tags, s.writesCommitted, "writes committed");
    counter(registry, "litevault.writes.failed", tags, s.writesFailed, "writes whose future failed");
    counter(registry, "litevault.batches", tags, s.batches, "transactions run by the writer");
    FunctionCounter.builder("litevault.checkpoints", s, st -> st.checkpoints.sum() - st.checkpointsBusy.sum())
        .tags(tags).tag("result", "ok").register(registry);
    counter(registry, "litevault.checkpoints", tags.and("result", "busy"), s.checkpointsBusy, null);
    counter(registry, "litevault.continuity.breaks", tags, s.continuityBreaks, "checkpoints forced past a gate");
    counter(registry, "litevault.writer.errors", tags, s.writerErrors, "errors reported to the error handler");
    gauge(registry, "litevault.queue.depth", tags, db, d -> d.writer().queueDepth());
    gauge(registry, "litevault.wal.bytes", tags, s, st -> st.walBytes);
    gauge(registry, "litevault.txid", tags, s, st -> st.txid);
    CoherentCache cache = db.cache();
    gauge(registry, "litevault.cache.size", tags, cache, CoherentCache::size);
    gauge(registry, "litevault.cache.hit.ratio", tags, cache, c -> c.stats().hitRate());
    FunctionCounter.builder("litevault.cache.requests", cache, c -> c.stats().hitCount())
        .tags(tags).tag("result", "hit").register(registry);
    FunctionCounter.builder("litevault.cache.requests", cache, c -> c.stats().missCount())
        .tags(tags).tag("result", "miss").register(registry);

    Timer queueWait = timer(registry, "litevault.write.queue.wait", tags, "time a write waited in the queue");
    Timer commit = timer(registry, "litevault.commit.duration", tags, "time to run and commit one batch");
    Timer checkpoint = timer(registry, "litevault.checkpoint.duration", tags, "time of one checkpoint");
    DistributionSummary batchSize = DistributionSummary.builder("litevault.batch.size").tags(tags)
        .publishPercentiles(0.5, 0.99).description("writes per transaction").register(registry);
    s.observer = new DatabaseStats.Observer() {
      @Override
      public void queueWait(long nanos) {
        queueWait.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void batch(int size, long commitNanos) {
        batchSize.record(size);
        commit.record(commitNanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void checkpoint(CheckpointResult result) {
        checkpoint.record(result.nanos(), TimeUnit.NANOSECONDS);
      }
    };
  }

  private static void counter(MeterRegistry r, String name, Tags tags, LongAdder adder, String description) {
    FunctionCounter.builder(name, adder, LongAdder::sum).tags(tags).description(description).register(r);
  }

  private static <T> void gauge(MeterRegistry r, String name, Tags tags, T obj, ToDoubleFunction<T> f) {
    Gauge.builder(name, obj, f).tags(tags).register(r);
  }

  private static Timer timer(MeterRegistry r, String name, Tags tags, String description) {
    return Timer.builder(name).tags(tags).description(description)
        .publishPercentiles(0.5, 0.99, 0.999).register(r);
  }
}
