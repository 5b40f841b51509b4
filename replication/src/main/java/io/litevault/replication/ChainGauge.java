package io.litevault.replication;

import io.litevault.replication.format.Segment;
import java.util.BitSet;

/**
 * What a restore of latest reads beyond the newest snapshot, in pages, against the database's size: the
 * measure snapshots by reason are taken on ({@link ReplicatorOptions.Builder#snapshotChainFraction}).
 *
 * <p>A restore of latest reads the snapshot, then the largest compacted ranges that fit (docs/FORMAT.md,
 * "Planning with ranges"): about one range per window of the top compaction level since the snapshot,
 * each holding the distinct pages written in its window. So the chain is the sum, over the top level's
 * windows since the snapshot, of the pages written in each; with compaction off, each segment is read
 * whole, and the sum is over segments. The segments of the tail and the finer ranges of the open window
 * hold no more pages than the open window does.
 *
 * <p>After a resume the chain since the snapshot (a predecessor's) is unknown: it counts from zero again,
 * so the snapshot interval alone bounds that stretch. Owned by the shipper thread.
 */
final class ChainGauge {
  /** Null when compaction is off: then every segment is a window of its own. */
  private final CompactionLevels levels;
  private final BitSet window = new BitSet();
  private long windowId = Long.MIN_VALUE;
  private long closedPages;
  private int databasePages;

  ChainGauge(CompactionLevels levels) {
    this.levels = levels;
  }

  /** A snapshot landed (or a lineage was resumed): the chain starts over. */
  void restart() {
    window.clear();
    windowId = Long.MIN_VALUE;
    closedPages = 0;
  }

  /** Counts a segment the bucket now has. */
  void landed(Segment s) {
    long id = levels == null ? Long.MIN_VALUE
        : levels.window(levels.count(), s.transactions().get(0).timestampMillis(), windowId);
    if (levels == null || id != windowId) {
      closedPages += window.cardinality();
      window.clear();
      windowId = id;
    }
    for (Segment.Txn t : s.transactions()) {
      for (int pgno : t.pages().keySet()) {
        window.set(pgno);
      }
      databasePages = t.dbSizePages();
    }
  }

  /** The pages a restore of latest reads beyond the snapshot, as estimated above. */
  long pages() {
    return closedPages + window.cardinality();
  }

  /** Whether the chain has reached {@code fraction} of the database's size; never when {@code fraction} is 0. */
  boolean reached(double fraction) {
    return fraction > 0 && databasePages > 0 && pages() >= fraction * databasePages;
  }

  @Override
  public String toString() {
    return pages() + " pages beyond the snapshot, database " + databasePages + " pages";
  }
}
