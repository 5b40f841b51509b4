package io.litevault.replication;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.Segment;
import io.litevault.replication.format.SegmentCodec;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * Finds whether a local database equals an earlier restore point of a lineage: the local file lost
 * commits that the bucket already has. That is what a power loss does with {@code synchronous=NORMAL}
 * ("a transaction committed in WAL mode with synchronous=NORMAL might roll back following a power loss",
 * <a href="https://www.sqlite.org/pragma.html#pragma_synchronous">pragma synchronous</a>) after the
 * replicator shipped those commits. Starting a new lineage from such a file would make "restore latest"
 * silently drop acknowledged writes, so the replicator refuses instead.
 *
 * <p>The newest segments are searched back to {@link #TRANSACTIONS_SEARCHED} transactions (each
 * transaction's state after it, and each segment's state before it), then every snapshot of the
 * lineage: with {@code synchronous=NORMAL} a power loss drops the commits since the WAL was last
 * synced, at most a checkpoint interval of them, not days.
 */
final class EarlierPoint {
  /** How many of the lineage's newest transactions are compared, newest first. */
  static final int TRANSACTIONS_SEARCHED = 10_000;

  private EarlierPoint() {}

  /**
   * The newest txid of lineage {@code l} whose database checksum and size equal one of {@code local}
   * (states the local file may have been in when this process started), searching the newest segments;
   * empty when none does. A 64-bit checksum equal by chance is not a concern: a match is that state.
   */
  static OptionalLong find(ObjectStore store, BucketLayout layout, LineageCatalog.Lineage l,
      List<DatabaseChecksum> states) throws IOException {
    Local local = new Local(states);
    List<ObjectInfo> newestFirst = new ArrayList<>(l.segments());
    newestFirst.sort(Comparator.comparing((ObjectInfo o) -> lastTxid(layout, o)).reversed());
    int examined = 0;
    for (ObjectInfo o : newestFirst) {
      if (examined >= TRANSACTIONS_SEARCHED) {
        break;
      }
      Segment s;
      try (InputStream in = store.get(o.key())) {
        s = SegmentCodec.decode(in.readAllBytes(), o.key());
      }
      for (int i = s.transactions().size() - 1; i >= 0; i--) {
        Segment.Txn t = s.transactions().get(i);
        if (local.has(t.checksumAfter(), t.dbSizePages())) {
          return OptionalLong.of(t.txid());
        }
      }
      if (local.has(s.checksumBefore(), -1)) {
        return OptionalLong.of(s.firstTxid() - 1); // a state only a snapshot may hold otherwise
      }
      examined += s.transactions().size();
    }
    List<ObjectInfo> snapshots = new ArrayList<>(l.snapshots());
    java.util.Collections.reverse(snapshots);
    for (ObjectInfo snap : snapshots) {
      LineageCatalog.SnapshotPoint p = LineageCatalog.snapshotPoint(store, snap);
      if (local.has(p.checksum(), p.header().dbSizePages())) {
        return OptionalLong.of(p.header().txid());
      }
    }
    return OptionalLong.empty();
  }

  /** The local states, hashed: up to a WAL's worth of commit boundaries against 10,000 transactions. */
  private static final class Local {
    private final java.util.Map<Long, java.util.Set<Integer>> pagesByValue = new java.util.HashMap<>();

    Local(List<DatabaseChecksum> states) {
      for (DatabaseChecksum c : states) {
        pagesByValue.computeIfAbsent(c.value(), v -> new java.util.HashSet<>()).add(c.pages());
      }
    }

    /** Whether one of the local states has this checksum (and size, unless {@code pages} is -1). */
    boolean has(long checksum, int pages) {
      java.util.Set<Integer> sizes = pagesByValue.get(checksum);
      return sizes != null && (pages < 0 || sizes.contains(pages));
    }
  }

  /** The last txid a segment's key names, or -1 for a key that is not one. */
  static long lastTxid(BucketLayout layout, ObjectInfo o) {
    return layout.parse(o.key()).map(BucketLayout.Parsed::lastTxid).orElse(-1L);
  }
}
