package io.litevault.ttl;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What one purge run did: the cutoff it used (rows with expiry {@code <=} cutoff were deleted), how
 * long it took in real time, and one {@link TableReport} per registered table.
 *
 * @param trigger why it ran
 * @param cutoff the clock's instant when the run started; rows expiring at or before it were purged
 * @param started real (wall-clock) start, for logs
 * @param duration real time the run took
 * @param tables per table, in registration order
 */
public record PurgeReport(Trigger trigger, Instant cutoff, Instant started, Duration duration, List<TableReport> tables) {
  public PurgeReport {
    tables = List.copyOf(tables);
  }

  /** Rows deleted in all tables. */
  public long rowsPurged() {
    return tables.stream().mapToLong(TableReport::rowsPurged).sum();
  }

  /** Whether every table was purged to the cutoff (no failure, not stopped early). */
  public boolean complete() {
    return tables.stream().allMatch(TableReport::complete);
  }

  /** Why a run happened. */
  public enum Trigger {
    /** The cron expression or interval of {@link TtlOptions} came due. */
    SCHEDULED,
    /** {@link TtlCleaner#purgeNow()} was called. */
    ON_DEMAND
  }

  /**
   * One table's part of a run.
   *
   * @param database the database name
   * @param table the table name
   * @param rowsPurged rows deleted
   * @param batches write tasks used (each deletes at most {@link TtlOptions#batchSize()} rows)
   * @param duration real time spent on this table
   * @param slowestBatch the longest time one batch took from submit to commit: about the longest any
   *     ordinary write of this database waited for the purge
   * @param complete false when it failed or the cleaner was stopped before the last batch
   * @param failure the error that stopped it, or null
   */
  public record TableReport(String database, String table, long rowsPurged, int batches, Duration duration,
      Duration slowestBatch, boolean complete, String failure) {}
}
