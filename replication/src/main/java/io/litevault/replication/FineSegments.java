package io.litevault.replication;

import io.litevault.bucket.ObjectInfo;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.Chains;
import io.litevault.replication.format.LineageCatalog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which fine segments of a lineage retention may drop before the retention period ends
 * ({@code ReplicatorOptions.fineSegmentRetention}; docs/FORMAT.md, "Dropping fine segments"). Pure: it
 * reads a listing and answers keys; {@link Retention} deletes them. Package-private.
 *
 * <p>The coarse part of the history is the txids after the base snapshot up to a snapshot B: the newest one
 * at or before both the txid before the first segment uploaded after the fine cutoff and the txid before
 * the newest segment (always kept: the replicator's resume reads it). So every point after B, the latest
 * state and every txid of the fine period included, restores from B or a later snapshot and the segments
 * after it, never through a range (a lost range would otherwise cost it). From every snapshot at or after the base and
 * before B, the shortest chain toward the next snapshot or B, whichever comes first ({@link Chains#shortest},
 * the planner's own search, over everything listed: it reaches as far as any chain does) is kept; the
 * segments wholly inside the coarse part that no such chain uses go. Every segment after B stays, so every
 * txid after B stays restorable, every snapshot keeps its chain as far as it went, and the kept ranges of
 * the finer levels (nested in the coarser windows) keep the points at their ends reachable.
 */
final class FineSegments {
  private FineSegments() {}

  /**
   * The segment keys of {@code l} that may go.
   *
   * @param baseTxid the base snapshot's txid (everything at or before it goes by the ordinary rule)
   * @param fineCutoff segments last modified after it stay
   */
  static List<String> droppable(BucketLayout layout, LineageCatalog.Lineage l, long baseTxid, Instant fineCutoff) {
    long b = coarseEnd(layout, l, fineCutoff);
    if (b <= baseTxid) {
      return List.of();
    }
    List<Chains.Link> links = new ArrayList<>();
    List<Chains.Link> candidates = new ArrayList<>();
    for (ObjectInfo o : l.segments()) {
      Chains.Link k = Chains.Link.of(layout, o).orElseThrow();
      if (k.last() > baseTxid) {
        links.add(k);
        if (k.first() > baseTxid && k.last() <= b) {
          candidates.add(k);
        }
      }
    }
    for (ObjectInfo o : l.ranges()) {
      Chains.Link k = Chains.Link.of(layout, o).orElseThrow();
      if (k.first() > baseTxid) {
        links.add(k);
      }
    }
    List<Long> snapshots = new ArrayList<>();
    for (ObjectInfo s : l.snapshots()) {
      snapshots.add(layout.parse(s.key()).orElseThrow().lastTxid());
    }
    java.util.Collections.sort(snapshots);
    Set<String> needed = new HashSet<>();
    for (int i = 0; i < snapshots.size(); i++) {
      long t = snapshots.get(i);
      if (t < baseTxid || t >= b) {
        continue;
      }
      // A restore from this snapshot goes at most to the next one (after it, that one is the base), and
      // the chain the planner finds over everything listed reaches as far as any chain can.
      long end = i + 1 < snapshots.size() ? Math.min(b, snapshots.get(i + 1)) : b;
      List<Chains.Link> between = new ArrayList<>(); // only these can be on a chain from t to end
      for (Chains.Link k : links) {
        if (k.last() > t && k.first() <= end) {
          between.add(k);
        }
      }
      Chains.shortest(t, end, between).links().forEach(k -> needed.add(k.info().key()));
    }
    List<String> out = new ArrayList<>();
    for (Chains.Link k : candidates) {
      if (!needed.contains(k.info().key())) {
        out.add(k.info().key());
      }
    }
    return out;
  }

  /** B: the end of the coarse part (see the class comment); 0 when there is none. */
  private static long coarseEnd(BucketLayout layout, LineageCatalog.Lineage l, Instant fineCutoff) {
    long limit = Long.MAX_VALUE;
    long newestLast = -1;
    long newestFirst = -1;
    for (ObjectInfo s : l.segments()) {
      BucketLayout.Parsed p = layout.parse(s.key()).orElseThrow();
      if (s.lastModified().isAfter(fineCutoff)) {
        limit = Math.min(limit, p.firstTxid() - 1);
      }
      if (p.lastTxid() > newestLast) {
        newestLast = p.lastTxid();
        newestFirst = p.firstTxid();
      }
    }
    if (newestFirst > 0) {
      limit = Math.min(limit, newestFirst - 1);
    }
    long b = 0;
    for (ObjectInfo s : l.snapshots()) {
      long t = layout.parse(s.key()).orElseThrow().lastTxid();
      if (t <= limit) {
        b = Math.max(b, t);
      }
    }
    return b;
  }
}
