package io.litevault.replication;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one replicator; requests per operation are in {@link ObjectStore#metrics()}. */
public final class ReplicationMetrics {
  final LongAdder segmentsUploaded = new LongAdder();
  final LongAdder snapshotsUploaded = new LongAdder();
  final LongAdder bytesUploaded = new LongAdder();
  final LongAdder transactionsShipped = new LongAdder();
  final LongAdder uploadErrors = new LongAdder();
  final LongAdder lineagesStarted = new LongAdder();
  final LongAdder continuityBreaks = new LongAdder();
  final LongAdder unannouncedWalLosses = new LongAdder();
  final LongAdder objectsDeletedByRetention = new LongAdder();
  final LongAdder fineSegmentsDropped = new LongAdder();
  final LongAdder uploadsHeldByBatchWindow = new LongAdder();
  final AtomicLong lastSnapshotMillis = new AtomicLong();
  final AtomicLong lastUploadMillis = new AtomicLong();
  final LongAdder rangesUploaded = new LongAdder();
  final LongAdder rangeBytesUploaded = new LongAdder();
  final LongAdder rangeErrors = new LongAdder();

  public long segmentsUploaded() { return segmentsUploaded.sum(); }
  public long snapshotsUploaded() { return snapshotsUploaded.sum(); }
  /** Bytes of segment and snapshot bodies uploaded (not counting the lease). */
  public long bytesUploaded() { return bytesUploaded.sum(); }
  public long transactionsShipped() { return transactionsShipped.sum(); }
  /** Uploads that failed after the store's own retries (the replicator tries again later). */
  public long uploadErrors() { return uploadErrors.sum(); }
  public long lineagesStarted() { return lineagesStarted.sum(); }
  /**
   * Times the chain of shipped transactions broke: the store checkpointed unshipped frames past its
   * hard WAL limit, or frames not yet shipped could no longer be read. Each starts a new lineage; any
   * value above 0 deserves an alarm.
   */
  public long continuityBreaks() { return continuityBreaks.sum(); }
  /**
   * Continuity breaks the store did not announce: frames not yet shipped could no longer be read, yet
   * no forced checkpoint had been announced since this replicator last started a lineage. Something
   * checkpointed the database behind the checkpoint gate: another process (a {@code sqlite3} shell on
   * the live file) or a bug. Counted in {@link #continuityBreaks()} too; any value above 0 is a bug
   * report or an operator mistake, never normal operation.
   */
  public long unannouncedWalLosses() { return unannouncedWalLosses.sum(); }
  public long objectsDeletedByRetention() { return objectsDeletedByRetention.sum(); }
  /**
   * Of {@link #objectsDeletedByRetention()}, the segments deleted before the retention period ended because
   * compacted ranges cover them ({@code ReplicatorOptions.fineSegmentRetention}).
   */
  public long fineSegmentsDropped() { return fineSegmentsDropped.sum(); }
  /**
   * Uploads that waited for the REPLICATED batch window to gather more writes
   * ({@code ReplicatorOptions.replicatedBatchWindow}); a single caller waiting for each ack never adds to it.
   */
  public long uploadsHeldByBatchWindow() { return uploadsHeldByBatchWindow.sum(); }
  public long lastSnapshotMillis() { return lastSnapshotMillis.get(); }
  public long lastUploadMillis() { return lastUploadMillis.get(); }
  /** Compacted ranges uploaded, all levels (PUTs beyond the segments'; docs/FORMAT.md, "Compaction levels"). */
  public long rangesUploaded() { return rangesUploaded.sum(); }
  /** Bytes of compacted ranges uploaded (not in {@link #bytesUploaded()}). */
  public long rangeBytesUploaded() { return rangeBytesUploaded.sum(); }
  /**
   * Compacted ranges dropped because their upload failed. Nothing is lost (a restore uses the finer objects
   * in their place); a steady rise means the bucket refuses them.
   */
  public long rangeErrors() { return rangeErrors.sum(); }

  @Override
  public String toString() {
    return "ReplicationMetrics{segments=" + segmentsUploaded() + ", snapshots=" + snapshotsUploaded() + ", bytes="
        + bytesUploaded() + ", transactions=" + transactionsShipped() + ", uploadErrors=" + uploadErrors()
        + ", lineages=" + lineagesStarted() + ", continuityBreaks=" + continuityBreaks()
        + ", unannouncedWalLosses=" + unannouncedWalLosses() + ", deletedByRetention=" + objectsDeletedByRetention()
        + ", fineSegmentsDropped=" + fineSegmentsDropped() + ", heldByBatchWindow=" + uploadsHeldByBatchWindow()
        + ", ranges=" + rangesUploaded() + ", rangeErrors="
        + rangeErrors() + "}";
  }
}
