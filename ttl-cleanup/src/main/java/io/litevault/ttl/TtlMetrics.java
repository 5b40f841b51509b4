package io.litevault.ttl;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a {@link TtlCleaner} since it was created: runs, incomplete runs, and per table
 * ({@code database.table}) rows purged, delete batches and failures; the last run and the last complete
 * one. Thread-safe; read them any time, or get each run as a {@link PurgeReport} through a
 * {@link PurgeListener}. {@link TtlMetricsBinder} publishes them to Micrometer.
 */
public final class TtlMetrics {
  private final LongAdder runs = new LongAdder();
  private final LongAdder incompleteRuns = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final ConcurrentHashMap<String, TableCounters> tables = new ConcurrentHashMap<>();
  private final AtomicReference<PurgeReport> last = new AtomicReference<>();
  private volatile Instant lastCompleteRunEnd;

  TtlMetrics() {}

  /** One table's counters, keyed by {@link RegisteredTable#id} (SQL names are case-insensitive). */
  static final class TableCounters {
    final String database;
    final String table;
    final LongAdder rowsPurged = new LongAdder();
    final LongAdder batches = new LongAdder();
    final LongAdder failures = new LongAdder();

    TableCounters(String database, String table) {
      this.database = database;
      this.table = table;
    }
  }

  /** Creates a table's counters at registration, so they can be published before its first purge. */
  void register(String database, String table) {
    counters(database, table);
  }

  void record(PurgeReport report) {
    for (PurgeReport.TableReport t : report.tables()) {
      TableCounters c = counters(t.database(), t.table());
      c.rowsPurged.add(t.rowsPurged());
      c.batches.add(t.batches());
      if (!t.complete()) {
        c.failures.increment();
      }
      batches.add(t.batches());
    }
    if (report.complete()) {
      lastCompleteRunEnd = report.started().plus(report.duration());
    } else {
      incompleteRuns.increment();
    }
    last.set(report);
    // Last: whoever sees a run counted (tests wait on runs()) also sees what it purged.
    runs.increment();
  }

  private TableCounters counters(String database, String table) {
    return tables.computeIfAbsent(RegisteredTable.id(database, table), k -> new TableCounters(database, table));
  }

  /** Purge runs finished. */
  public long runs() {
    return runs.sum();
  }

  /** Runs where some table failed or was stopped early. */
  public long incompleteRuns() {
    return incompleteRuns.sum();
  }

  /** Delete batches (write tasks) submitted. */
  public long batches() {
    return batches.sum();
  }

  /** Delete batches submitted for one table. */
  public long batches(String database, String table) {
    TableCounters c = tables.get(RegisteredTable.id(database, table));
    return c == null ? 0 : c.batches.sum();
  }

  /** Runs in which one table's purge failed or was stopped early. */
  public long failures(String database, String table) {
    TableCounters c = tables.get(RegisteredTable.id(database, table));
    return c == null ? 0 : c.failures.sum();
  }

  /** Rows purged in total. */
  public long rowsPurged() {
    return tables.values().stream().mapToLong(c -> c.rowsPurged.sum()).sum();
  }

  /** Rows purged from one table. */
  public long rowsPurged(String database, String table) {
    TableCounters c = tables.get(RegisteredTable.id(database, table));
    return c == null ? 0 : c.rowsPurged.sum();
  }

  /** Rows purged per {@code database.table}, sorted by name. */
  public Map<String, Long> rowsPurgedByTable() {
    Map<String, Long> m = new TreeMap<>();
    tables.values().forEach(c -> m.put(c.database + "." + c.table, c.rowsPurged.sum()));
    return m;
  }

  /** Real duration of the last run, or zero before the first. */
  public Duration lastRunDuration() {
    PurgeReport r = last.get();
    return r == null ? Duration.ZERO : r.duration();
  }

  /** When (real time) the last run that purged every table to its cutoff ended, or null before one. */
  public Instant lastCompleteRunEnd() {
    return lastCompleteRunEnd;
  }

  /** The last run's report, or null before the first. */
  public PurgeReport lastReport() {
    return last.get();
  }

  /** Every known table's counters (registered or purged), for the binder. */
  List<TableCounters> tableCounters() {
    return List.copyOf(tables.values());
  }

  @Override
  public String toString() {
    return "TtlMetrics{runs=" + runs() + ", incompleteRuns=" + incompleteRuns() + ", rowsPurged=" + rowsPurgedByTable()
        + ", lastRunDuration=" + lastRunDuration() + "}";
  }
}
