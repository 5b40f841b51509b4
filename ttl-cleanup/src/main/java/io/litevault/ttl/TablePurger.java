package io.litevault.ttl;

import io.litevault.store.CheckpointMode;
import io.litevault.store.StoreException;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Purges one table to a cutoff in bounded batches: each batch is ONE write task deleting at most
 * {@link TtlOptions#batchSize()} expired rows (fewer when {@link TtlOptions#targetBatchTime()} says so,
 * see {@link BatchSizer}) through the writer queue, and the next batch is submitted only after the
 * previous one committed and the pause of {@link TtlOptions#writerShare()} passed, so the writes
 * queued meanwhile run between them. Stops when a batch deletes fewer rows than its limit, when asked
 * to stop, or at the first failure.
 */
final class TablePurger {
  private static final Logger log = LoggerFactory.getLogger(TablePurger.class);

  private TablePurger() {}

  static PurgeReport.TableReport purge(RegisteredTable t, Instant cutoff, TtlOptions options,
      BooleanSupplier stopRequested) {
    Object cutoffSql = t.spec.unit().cutoffToSql(cutoff);
    double share = options.writerShare();
    BatchSizer sizer = new BatchSizer(options.batchSize(), options.targetBatchTime().toNanos());
    long start = System.nanoTime();
    long rows = 0;
    int batches = 0;
    long slowest = 0;
    boolean complete = false;
    String failure = null;
    try {
      while (true) {
        if (stopRequested.getAsBoolean()) {
          break;
        }
        int limit = sizer.limit();
        long b0 = System.nanoTime();
        long[] ran = new long[1];
        int deleted = t.db.writeAndWait(c -> {
          long r0 = System.nanoTime();
          try (PreparedStatement ps = c.prepareStatement(t.purgeBatchSql)) {
            ps.setObject(1, cutoffSql);
            ps.setInt(2, limit);
            return ps.executeUpdate();
          } finally {
            ran[0] = System.nanoTime() - r0;
          }
        });
        slowest = Math.max(slowest, System.nanoTime() - b0);
        sizer.ran(deleted, ran[0]);
        batches++;
        rows += deleted;
        if (deleted < limit) {
          complete = true;
          break;
        }
        if (options.checkpointBetweenBatches()) {
          // Copy this batch's pages now, a few dozen at a time, instead of letting the store's
          // 1,000-page PASSIVE checkpoint land on some ordinary write later (it runs on the writer).
          checkpoint(t);
        }
        if (share < 1) {
          long pause = Math.min(TtlOptions.MAX_PAUSE.toNanos(), (long) ((System.nanoTime() - b0) * (1 - share) / share));
          Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = stopRequested.getAsBoolean() ? null : "interrupted";
    } catch (StoreException e) {
      failure = e.getMessage();
      log.warn("TTL purge of '{}.{}' failed after {} rows in {} batches", t.database(), t.table(), rows, batches, e);
    }
    if (rows > 0) {
      // The store's update hook already staled the cached reads of this table; this also covers the
      // WITHOUT ROWID tables the hook cannot see row by row.
      t.db.invalidate(t.table());
    }
    return new PurgeReport.TableReport(t.database(), t.table(), rows, batches,
        Duration.ofNanos(System.nanoTime() - start), Duration.ofNanos(slowest), complete, failure);
  }

  /** A PASSIVE checkpoint through the writer queue; failures surface as {@link StoreException}s. */
  private static void checkpoint(RegisteredTable t) {
    try {
      t.db.checkpoint(CheckpointMode.PASSIVE).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof StoreException se) {
        throw se;
      }
      throw new TtlException(t.database(), "checkpoint after a purge batch of '" + t.table() + "' failed: " + e.getCause(),
          e.getCause());
    }
  }
}
