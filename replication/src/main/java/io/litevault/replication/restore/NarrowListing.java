package io.litevault.replication.restore;

import io.litevault.bucket.CommonPrefix;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The listing a restore to the latest state or to a txid needs, without the history it skips: the
 * lineages (one delimiter listing), then for the newest lineage with a snapshot its snapshots and compacted
 * ranges, and only the segments after the txid the ranges reach from the chosen snapshot
 * ({@link ObjectStore#listAfter}: on S3 the skipped keys cost no request). A week of one upload a second is
 * 604,800 segment keys, 605 LIST requests to list in full; this lists the few thousand ranges and the
 * segments of the newest window.
 *
 * <p>It relies on ranges holding whole segments (docs/FORMAT.md, "Planning with ranges"): the segment after
 * the ranges starts right after the last one. Whenever what it finds does not fit that (no snapshot in the
 * newest lineage, a target before its snapshots, no range to use, the first segment listed not starting
 * right after the ranges), it answers empty and the planner lists the prefix in full. Package-private.
 */
final class NarrowListing {
  private NarrowListing() {}

  /** The lineage view to plan in, or empty to list in full. */
  static Optional<LineageCatalog.Lineage> list(RestoreOptions o, BucketLayout layout) {
    if (o.timestamp() != null || !o.compactedRanges()) {
      return Optional.empty();
    }
    String id = o.lineage() != null ? o.lineage() : newestLineage(o.store(), layout);
    if (id == null) {
      return Optional.empty();
    }
    List<ObjectInfo> snapshots = all(o.store().list(layout.snapshots(id)), layout);
    List<ObjectInfo> ranges = all(o.store().list(layout.levels(id)), layout);
    long target = o.txid() != null ? o.txid() : Long.MAX_VALUE;
    long base = -1;
    for (ObjectInfo s : snapshots) {
      long t = layout.parse(s.key()).orElseThrow().lastTxid();
      if (t <= target) {
        base = t; // in txid order: ends at the newest at or before the target
      }
    }
    if (base < 0 || ranges.isEmpty()) {
      return Optional.empty();
    }
    long reached = reach(layout, ranges, base, target);
    if (reached == base) {
      return Optional.empty(); // no range to use: the segments after the snapshot, as in full
    }
    // From the start of the finest range ending at `reached`: its own segments (a window's worth) show
    // that none crosses its end, then the segments after it.
    long tail = tailStart(layout, ranges, reached);
    List<ObjectInfo> segments = all(o.store().listAfter(layout.segments(id), layout.segmentsAfter(id, tail - 1)),
        layout);
    boolean next = false;
    for (ObjectInfo s : segments) {
      BucketLayout.Parsed p = layout.parse(s.key()).orElseThrow();
      if (p.firstTxid() <= reached && p.lastTxid() > reached) {
        return Optional.empty(); // a segment across the ranges' end: the full listing cuts it
      }
      if (p.firstTxid() > reached) {
        if (p.firstTxid() != reached + 1) {
          return Optional.empty(); // a gap after the ranges: the full listing explains it
        }
        next = true;
        break;
      }
    }
    if (!next && segments.stream().noneMatch(s -> layout.parse(s.key()).orElseThrow().lastTxid() == reached)) {
      return Optional.empty(); // no segment ends where the ranges end: not the shape this relies on
    }
    return Optional.of(new LineageCatalog.Lineage(id, snapshots, segments, ranges));
  }

  /** The largest first txid of a range ending at {@code reached}: the shortest such range's start. */
  private static long tailStart(BucketLayout layout, List<ObjectInfo> ranges, long reached) {
    long best = -1;
    for (ObjectInfo r : ranges) {
      BucketLayout.Parsed p = layout.parse(r.key()).orElseThrow();
      if (p.lastTxid() == reached) {
        best = Math.max(best, p.firstTxid());
      }
    }
    return best > 0 ? best : reached;
  }

  /** The newest lineage id under the prefix (one delimiter listing), or null. */
  private static String newestLineage(ObjectStore store, BucketLayout layout) {
    List<String> ids = new ArrayList<>();
    try (Stream<io.litevault.bucket.ListEntry> s = store.list(layout.lineages(), "/")) {
      s.filter(e -> e instanceof CommonPrefix).forEach(e -> {
        String k = e.key().substring(layout.lineages().length());
        String id = k.endsWith("/") ? k.substring(0, k.length() - 1) : k;
        if (BucketLayout.LINEAGE.matcher(id).matches()) {
          ids.add(id);
        }
      });
    }
    Collections.sort(ids);
    return ids.isEmpty() ? null : ids.get(ids.size() - 1);
  }

  /** How far the ranges chain from {@code base} without passing {@code target}: greedily, the furthest each step. */
  private static long reach(BucketLayout layout, List<ObjectInfo> ranges, long base, long target) {
    Map<Long, Long> furthest = new java.util.HashMap<>();
    for (ObjectInfo r : ranges) {
      BucketLayout.Parsed p = layout.parse(r.key()).orElseThrow();
      if (p.firstTxid() > base && p.lastTxid() <= target) {
        furthest.merge(p.firstTxid(), p.lastTxid(), Math::max);
      }
    }
    long reached = base;
    for (Long next = furthest.get(reached + 1); next != null; next = furthest.get(reached + 1)) {
      reached = next;
    }
    return reached;
  }

  /** The objects of a listing that parse as this layout's, in key order. */
  private static List<ObjectInfo> all(Stream<ObjectInfo> listing, BucketLayout layout) {
    try (listing) {
      return listing.filter(o -> layout.parse(o.key()).isPresent()).toList();
    }
  }
}
