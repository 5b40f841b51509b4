/**
 * TTL tables: short-lived records (sessions, one-time codes, rate limits) that expire, and purges
 * that delete them without stalling the writes around them.
 *
 * <p>The pieces, one job each:
 * <ul>
 *   <li>{@link io.litevault.ttl.TtlTableSpec} — which table, which expiry column in which
 *       {@link io.litevault.ttl.ExpiryUnit} (epoch millis, epoch seconds, canonical ISO-8601 text), the
 *       key/value columns of the typed API, the key size bound; {@code createTableSql()} for migrations.
 *   <li>{@link io.litevault.ttl.TtlOptions} — the injectable {@link java.time.Clock}, batch size and
 *       target batch time, the purge's share of the writer thread, the schedule (UNIX cron, default
 *       daily, and/or a fixed interval), listeners.
 *   <li>{@link io.litevault.ttl.TtlCleaner} — registers tables (checks the schema, creates the expiry
 *       index when asked), purges on demand or on the schedule, and is started and stopped.
 *   <li>{@link io.litevault.ttl.TtlTable} — {@code put}, {@code get} (never an expired row),
 *       {@code touch}, {@code delete}, {@code take} (read-and-delete in one write task: exactly once).
 *   <li>{@link io.litevault.ttl.PurgeReport}, {@link io.litevault.ttl.PurgeListener},
 *       {@link io.litevault.ttl.TtlMetrics} — what each run did, per table ({@link io.litevault.ttl.TtlMetricsBinder}
 *       publishes them to Micrometer).
 *   <li>Errors: {@link io.litevault.ttl.TtlSchemaException}, {@link io.litevault.ttl.UnknownTtlTableException}
 *       (both {@link io.litevault.store.StoreException}s) and {@link io.litevault.ttl.InvalidTtlArgumentException}.
 * </ul>
 *
 * <p>How a purge keeps writers moving: every batch is one write task through the database's single
 * writer queue, deleting at most {@code batchSize} rows by rowid (or primary key) through the expiry
 * index; the next batch is queued only after the previous one committed and a pause that keeps the
 * purge to its share of the writer thread, so ordinary writes run between batches. Batches shrink
 * when they take longer than the target time, because the writes grouped into a batch's transaction
 * wait for it.
 */
package io.litevault.ttl;
