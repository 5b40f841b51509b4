package io.litevault.ttl;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a {@link TtlCleaner} since it was created: runs, failed runs, rows purged per table
 * ({@code database.table}), and the last run. Thread-safe; read them any time, or get each run as a
 * {@link PurgeReport} through a {@link PurgeListener}.
 */
public final class TtlMetrics {
  private final LongAdder runs = new LongAdder();
  private final LongAdder incompleteRuns = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> rowsPurged = new ConcurrentHashMap<>();
  private final AtomicReference<PurgeReport> last = new AtomicReference<>();

  TtlMetrics() {}

  void record(PurgeReport report) {
    runs.increment();
    if (!report.complete()) {
      incompleteRuns.increment();
    }
    for (PurgeReport.TableReport t : report.tables()) {
      rowsPurged.computeIfAbsent(t.database() + "." + t.table(), k -> new LongAdder()).add(t.rowsPurged());
      batches.add(t.batches());
    }
    last.set(report);
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

  /** Rows purged in total. */
  public long rowsPurged() {
    return rowsPurged.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Rows purged from one table. */
  public long rowsPurged(String database, String table) {
    LongAdder a = rowsPurged.get(database + "." + table);
    return a == null ? 0 : a.sum();
  }

  /** Rows purged per {@code database.table}, sorted by name. */
  public Map<String, Long> rowsPurgedByTable() {
    Map<String, Long> m = new TreeMap<>();
    rowsPurged.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  /** Real duration of the last run, or zero before the first. */
  public Duration lastRunDuration() {
    PurgeReport r = last.get();
    return r == null ? Duration.ZERO : r.duration();
  }

  /** The last run's report, or null before the first. */
  public PurgeReport lastReport() {
    return last.get();
  }

  @Override
  public String toString() {
    return "TtlMetrics{runs=" + runs() + ", incompleteRuns=" + incompleteRuns() + ", rowsPurged=" + rowsPurgedByTable()
        + ", lastRunDuration=" + lastRunDuration() + "}";
  }
}
