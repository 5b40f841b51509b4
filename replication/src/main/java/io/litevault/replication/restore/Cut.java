package io.litevault.replication.restore;

import io.litevault.replication.format.NetEffect;
import io.litevault.replication.format.Segment;
import java.time.Instant;
import java.util.List;

/**
 * Step 4 of a restore, the point-in-time cut: what of one segment to apply, given what is applied and the
 * target (txid and/or time). A segment wholly inside the target applies whole (its net effect, prepared on
 * the download thread); one that overlaps what is applied, or that the target cuts, applies only its
 * applicable transactions. Package-private.
 *
 * @param effect the pages to write, or null when nothing of the segment applies
 * @param lastTxid the last transaction applied
 * @param lastTimestampMillis its commit time
 * @param checksumAfter the database checksum the segment records after it
 * @param dbSizePagesAfter the database size after it
 * @param reachesTarget whether the target lies in (or before) this segment: the restore ends here
 */
record Cut(NetEffect effect, long lastTxid, long lastTimestampMillis, long checksumAfter, int dbSizePagesAfter,
    boolean reachesTarget) {
  /** Nothing new in the segment: go on to the next one. */
  private static final Cut NOTHING = new Cut(null, 0, 0, 0, 0, false);
  /** The target lies before the segment: stop. */
  private static final Cut STOP = new Cut(null, 0, 0, 0, 0, true);

  /** Whether nothing of the segment applies. */
  boolean isEmpty() {
    return effect == null;
  }

  /**
   * The cut of {@code s} after txid {@code appliedTxid}, toward {@code targetTxid} and (if not null) the
   * newest commit at or before {@code until}.
   */
  static Cut of(DownloadedSegment s, long appliedTxid, long targetTxid, Instant until) {
    if (s.header().lastTxid() <= appliedTxid) {
      return NOTHING;
    }
    if (s.whole() != null) {
      return new Cut(s.whole(), s.header().lastTxid(), s.header().lastTimestampMillis(), s.header().checksumAfter(),
          s.header().dbSizePagesAfter(), false);
    }
    List<Segment.Txn> txns = s.segment().transactions();
    int from = 0;
    while (from < txns.size() && txns.get(from).txid() <= appliedTxid) {
      from++; // already applied: in the snapshot, or in the segment this one overlaps
    }
    int to = from;
    while (to < txns.size() && !beyond(txns.get(to), targetTxid, until)) {
      to++;
    }
    boolean reachesTarget = to < txns.size();
    if (to == from) {
      return reachesTarget ? STOP : NOTHING;
    }
    NetEffect effect = new NetEffect();
    txns.subList(from, to).forEach(effect::add);
    Segment.Txn last = txns.get(to - 1);
    return new Cut(effect, last.txid(), last.timestampMillis(), last.checksumAfter(), last.dbSizePages(), reachesTarget);
  }

  /** Whether {@code t} is past the restore's target. */
  private static boolean beyond(Segment.Txn t, long targetTxid, Instant until) {
    return t.txid() > targetTxid || (until != null && t.timestampMillis() > until.toEpochMilli());
  }
}
