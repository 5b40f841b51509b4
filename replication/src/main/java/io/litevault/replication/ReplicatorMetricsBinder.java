package io.litevault.replication;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters for one replicator, tagged {@code database=<name>}, beside the store's
 * ({@code io.litevault.store.StoreMetricsBinder}). Micrometer is an optional dependency: add
 * {@code io.micrometer:micrometer-core} to use this class. Bind once per registry:
 * {@code new ReplicatorMetricsBinder(replicator).bindTo(registry)}.
 *
 * <p>Meters ({@code litevault.replication.} prefix), each read from {@link ReplicationMetrics} or
 * {@link ReplicationHealth} when the registry polls:
 * <ul>
 *   <li>counters: {@code segments.uploaded}, {@code snapshots.uploaded}, {@code bytes.uploaded} (base unit
 *       bytes), {@code transactions.shipped}, {@code upload.errors} (failed steps the replicator retries),
 *       {@code lineages.started}, {@code continuity.breaks} (alarm on any increase),
 *       {@code unannounced.wal.losses} (a checkpoint behind the gate: alarm on any),
 *       {@code objects.deleted} (by retention);
 *   <li>gauges: {@code lag.transactions} and {@code lag} (base unit seconds: age of the oldest commit not
 *       yet in the bucket), {@code running} (1 while the replicator thread runs), {@code healthy} (1 while
 *       running and the last upload succeeded), {@code last.upload.age} (seconds since the last upload;
 *       NaN before the first).
 * </ul>
 * Alert on {@code running == 0}, on a growing {@code lag}, and on any increase of
 * {@code continuity.breaks} or {@code unannounced.wal.losses}.
 */
public final class ReplicatorMetricsBinder implements MeterBinder {
  private static final String P = "litevault.replication.";
  private final Replicator replicator;

  public ReplicatorMetricsBinder(Replicator replicator) {
    this.replicator = Objects.requireNonNull(replicator, "replicator");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Replicator r = replicator;
    Tags tags = Tags.of("database", r.health().database());
    ReplicationMetrics m = r.metrics();
    counter(registry, "segments.uploaded", tags, m, ReplicationMetrics::segmentsUploaded, null, "segments uploaded");
    counter(registry, "snapshots.uploaded", tags, m, ReplicationMetrics::snapshotsUploaded, null, "snapshots uploaded");
    counter(registry, "bytes.uploaded", tags, m, ReplicationMetrics::bytesUploaded, "bytes",
        "bytes of segments and snapshots uploaded");
    counter(registry, "transactions.shipped", tags, m, ReplicationMetrics::transactionsShipped, null,
        "transactions in the bucket");
    counter(registry, "upload.errors", tags, m, ReplicationMetrics::uploadErrors, null,
        "replication steps that failed and are retried");
    counter(registry, "lineages.started", tags, m, ReplicationMetrics::lineagesStarted, null, "lineages started");
    counter(registry, "continuity.breaks", tags, m, ReplicationMetrics::continuityBreaks, null,
        "times the chain of shipped transactions broke (a new lineage followed)");
    counter(registry, "unannounced.wal.losses", tags, m, ReplicationMetrics::unannouncedWalLosses, null,
        "unshipped frames lost with no forced checkpoint announced (a checkpoint behind the gate)");
    counter(registry, "objects.deleted", tags, m, ReplicationMetrics::objectsDeletedByRetention, null,
        "objects deleted by retention");
    counter(registry, "fine.segments.dropped", tags, m, ReplicationMetrics::fineSegmentsDropped, null,
        "segments deleted before the retention period ended, covered by compacted ranges");
    counter(registry, "uploads.held.by.batch.window", tags, m, ReplicationMetrics::uploadsHeldByBatchWindow, null,
        "uploads that waited for the REPLICATED batch window to gather more writes");
    counter(registry, "ranges.uploaded", tags, m, ReplicationMetrics::rangesUploaded, null,
        "compacted ranges uploaded, all levels");
    counter(registry, "range.bytes.uploaded", tags, m, ReplicationMetrics::rangeBytesUploaded, "bytes",
        "bytes of compacted ranges uploaded");
    counter(registry, "range.errors", tags, m, ReplicationMetrics::rangeErrors, null,
        "compacted ranges dropped after a failed upload (restores use finer objects instead)");
    gauge(registry, "lag.transactions", tags, r, x -> x.health().lagTransactions(), null,
        "store transactions committed but not yet in the bucket");
    gauge(registry, "lag", tags, r, x -> x.health().lagMillis() / 1000.0, "seconds",
        "age of the oldest commit not yet in the bucket");
    gauge(registry, "running", tags, r, x -> x.health().running() ? 1 : 0, null, "1 while the replicator runs");
    gauge(registry, "healthy", tags, r, x -> x.health().healthy() ? 1 : 0, null,
        "1 while running and the last upload succeeded");
    gauge(registry, "last.upload.age", tags, m, x -> x.lastUploadMillis() == 0 ? Double.NaN
        : (System.currentTimeMillis() - x.lastUploadMillis()) / 1000.0, "seconds", "seconds since the last upload");
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
