package io.litevault.replication;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what no restore point inside the retention period needs — and never anything one does.
 *
 * <p>Rule, per lineage: the base of the oldest retained restore point is the newest snapshot taken at or
 * before the cutoff (or the oldest snapshot, if all are newer). Everything older than that base — older
 * snapshots, segments whose last txid is at or below it — goes. A lineage other than the current one
 * whose newest object is older than the cutoff goes entirely. Restore points inside the period therefore
 * always keep their snapshot and every segment after it (Litestream #224, #805, #753 broke exactly this).
 * A compacted range goes when it starts at or before the base: a restore applies a range whole, only right
 * after the txid it has reached, which from the base or any later snapshot is past such a range's start;
 * ranges are never needed for a point, only for speed, and the segments they merge are kept by the rule above.
 * Ages come from the objects' last-modified times (upload times). With a fine cutoff later than the
 * cutoff ({@code fineSegmentRetention}), {@link FineSegments} also names segments older than it that no
 * restore needs any more: the compacted ranges cover them.
 */
final class Retention {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);

  private final ObjectStore store;
  private final BucketLayout layout;
  private final ReplicationMetrics metrics;

  Retention(ObjectStore store, BucketLayout layout, ReplicationMetrics metrics) {
    this.store = store;
    this.layout = layout;
    this.metrics = metrics;
  }

  /** Applies retention with everything last modified before {@code cutoff} out of the period. */
  void apply(String currentLineage, Instant cutoff) {
    apply(currentLineage, cutoff, cutoff);
  }

  /**
   * As {@link #apply(String, Instant)}, and drops the fine segments last modified before {@code fineCutoff}
   * that {@link FineSegments} finds no restore needs (none when {@code fineCutoff} is the cutoff).
   */
  void apply(String currentLineage, Instant cutoff, Instant fineCutoff) {
    List<String> doomed = new ArrayList<>();
    for (Map.Entry<String, LineageCatalog.Lineage> e : LineageCatalog.list(store, layout).entrySet()) {
      LineageCatalog.Lineage l = e.getValue();
      boolean current = e.getKey().equals(currentLineage);
      Instant newest = newest(l);
      if (!current && newest != null && newest.isBefore(cutoff)) {
        l.all().forEach(o -> doomed.add(o.key()));
        continue;
      }
      ObjectInfo base = null;
      for (ObjectInfo s : l.snapshots()) {
        if (!s.lastModified().isAfter(cutoff)) {
          base = s; // snapshots are in txid order, so this ends at the newest one before the cutoff
        }
      }
      if (fineCutoff.isAfter(cutoff) && !l.snapshots().isEmpty()) {
        long from = layout.parse((base != null ? base : l.snapshots().get(0)).key()).orElseThrow().lastTxid();
        List<String> fine = FineSegments.droppable(layout, l, from, fineCutoff);
        doomed.addAll(fine);
        metrics.fineSegmentsDropped.add(fine.size());
      }
      if (base == null) {
        continue;
      }
      long baseTxid = layout.parse(base.key()).orElseThrow().lastTxid();
      for (ObjectInfo s : l.snapshots()) {
        if (layout.parse(s.key()).orElseThrow().lastTxid() < baseTxid) {
          doomed.add(s.key());
        }
      }
      for (ObjectInfo s : l.segments()) {
        if (layout.parse(s.key()).orElseThrow().lastTxid() <= baseTxid) {
          doomed.add(s.key());
        }
      }
      for (ObjectInfo r : l.ranges()) {
        if (layout.parse(r.key()).orElseThrow().firstTxid() <= baseTxid) {
          doomed.add(r.key());
        }
      }
    }
    if (!doomed.isEmpty()) {
      store.deleteAll(doomed);
      metrics.objectsDeletedByRetention.add(doomed.size());
      log.info("retention under {}: deleted {} object(s) older than {}", layout.prefix(), doomed.size(), cutoff);
    }
  }

  private static Instant newest(LineageCatalog.Lineage l) {
    Instant newest = null;
    for (ObjectInfo o : l.all()) {
      if (newest == null || o.lastModified().isAfter(newest)) {
        newest = o.lastModified();
      }
    }
    return newest;
  }
}
