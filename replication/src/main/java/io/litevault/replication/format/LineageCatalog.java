package io.litevault.replication.format;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.store.WalPosition;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Reads what lineages a replica prefix holds: one listing, plus headers of the objects it needs. */
public final class LineageCatalog {
  private LineageCatalog() {}

  /**
   * One lineage's objects, each list in key order: snapshots and segments by txid, compacted ranges by
   * level, then txid.
   */
  public record Lineage(String id, List<ObjectInfo> snapshots, List<ObjectInfo> segments, List<ObjectInfo> ranges) {
    /** Every object of the lineage. */
    public List<ObjectInfo> all() {
      List<ObjectInfo> all = new ArrayList<>(snapshots);
      all.addAll(segments);
      all.addAll(ranges);
      return all;
    }
  }

  /**
   * The newest object of the newest lineage, as the replicator needs it to resume.
   *
   * @param commitMillis the commit time of its last transaction (a segment's), or the latest commit time a
   *     snapshot holds: with the checksum and size, what tells this commit from another of the same content
   */
  public record Tip(String lineage, long txid, long checksumAfter, int dbSizePages, WalPosition walEnd,
      long lastSnapshotMillis, long commitMillis) {}

  public static Map<String, Lineage> list(ObjectStore store, BucketLayout layout) {
    Map<String, Lineage> out = new TreeMap<>();
    try (Stream<ObjectInfo> objects = store.list(layout.lineages())) {
      objects.forEach(o -> layout.parse(o.key()).ifPresent(p -> {
        Lineage l = out.computeIfAbsent(p.lineage(),
            id -> new Lineage(id, new ArrayList<>(), new ArrayList<>(), new ArrayList<>()));
        (p.snapshot() ? l.snapshots() : p.compacted() ? l.ranges() : l.segments()).add(o);
      }));
    }
    return out;
  }

  /** The tip of the newest lineage that has a snapshot, or null when the prefix holds none. */
  public static Tip newestTip(ObjectStore store, BucketLayout layout) throws IOException {
    Map<String, Lineage> all = list(store, layout);
    List<Lineage> newestFirst = new ArrayList<>(all.values());
    java.util.Collections.reverse(newestFirst);
    for (Lineage l : newestFirst) {
      Tip tip = tip(store, layout, l);
      if (tip != null) {
        return tip;
      }
    }
    return null;
  }

  /** Where lineage {@code l} ends (its newest segment or snapshot), or null when it has no snapshot. */
  public static Tip tipOf(ObjectStore store, BucketLayout layout, Lineage l) throws IOException {
    return tip(store, layout, l);
  }

  /** Where lineage {@code l} ends (its newest segment or snapshot), or null when it has no snapshot. */
  private static Tip tip(ObjectStore store, BucketLayout layout, Lineage l) throws IOException {
    if (l.snapshots().isEmpty()) {
      return null;
    }
    ObjectInfo snap = l.snapshots().get(l.snapshots().size() - 1);
    long snapTxid = layout.parse(snap.key()).orElseThrow().lastTxid();
    // Segments may overlap (a retried upload batched more commits under a new key): the tip is the one
    // reaching furthest, not necessarily the last in key order.
    Optional<ObjectInfo> seg = l.segments().stream()
        .reduce((a, b) -> layout.parse(b.key()).orElseThrow().lastTxid() >= layout.parse(a.key()).orElseThrow().lastTxid() ? b : a);
    long snapMillis = snap.lastModified().toEpochMilli();
    if (seg.isPresent() && layout.parse(seg.get().key()).orElseThrow().lastTxid() > snapTxid) {
      SegmentCodec.Header h;
      try (InputStream in = store.get(seg.get().key(), 0, 512)) {
        h = SegmentCodec.peekHeader(in, seg.get().key());
      }
      return new Tip(l.id(), h.lastTxid(), h.checksumAfter(), h.dbSizePagesAfter(), h.walEnd(), snapMillis,
          h.lastTimestampMillis());
    }
    SnapshotPoint p = snapshotPoint(store, snap);
    return new Tip(l.id(), p.header().txid(), p.checksum(), p.header().dbSizePages(), p.header().walEnd(), snapMillis,
        p.header().timestampMillis());
  }

  /** A snapshot's header and the database checksum in its trailer: two ranged reads, not the body. */
  public record SnapshotPoint(SnapshotCodec.Header header, long checksum) {}

  public static SnapshotPoint snapshotPoint(ObjectStore store, ObjectInfo snap) throws IOException {
    SnapshotCodec.Header h;
    try (InputStream in = store.get(snap.key(), 0, 512)) {
      h = SnapshotCodec.readHeader(new DataInputStream(in), snap.key(), new long[1]);
    }
    ByteBuffer trailer = ByteBuffer.allocate(12);
    try (InputStream in = store.get(snap.key(), snap.size() - 12, 12)) {
      trailer.put(in.readNBytes(12));
    }
    return new SnapshotPoint(h, trailer.getLong(0));
  }
}
