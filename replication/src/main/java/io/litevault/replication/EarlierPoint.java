package io.litevault.replication;

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
 * <p>Only the newest segments are searched ({@link #SEGMENTS_SEARCHED}): a power loss drops the last
 * moments of commits, not days of them.
 */
final class EarlierPoint {
  /** How many of the lineage's newest segments are read, newest first. */
  static final int SEGMENTS_SEARCHED = 32;

  private EarlierPoint() {}

  /**
   * The newest txid of {@code lineage} whose database checksum and size equal one of {@code local}
   * (states the local file may have been in when this process started), searching the newest segments;
   * empty when none does. A 64-bit checksum equal by chance is not a concern: a match is that state.
   */
  static OptionalLong find(ObjectStore store, BucketLayout layout, String lineage, List<DatabaseChecksum> local)
      throws IOException {
    LineageCatalog.Lineage l = LineageCatalog.list(store, layout).get(lineage);
    if (l == null) {
      return OptionalLong.empty();
    }
    List<ObjectInfo> newestFirst = new ArrayList<>(l.segments());
    newestFirst.sort(Comparator.comparing((ObjectInfo o) -> lastTxid(layout, o)).reversed());
    for (ObjectInfo o : newestFirst.subList(0, Math.min(SEGMENTS_SEARCHED, newestFirst.size()))) {
      Segment s;
      try (InputStream in = store.get(o.key())) {
        s = SegmentCodec.decode(in.readAllBytes(), o.key());
      }
      for (int i = s.transactions().size() - 1; i >= 0; i--) {
        Segment.Txn t = s.transactions().get(i);
        for (DatabaseChecksum c : local) {
          if (t.checksumAfter() == c.value() && t.dbSizePages() == c.pages()) {
            return OptionalLong.of(t.txid());
          }
        }
      }
    }
    return OptionalLong.empty();
  }

  private static long lastTxid(BucketLayout layout, ObjectInfo o) {
    return layout.parse(o.key()).map(BucketLayout.Parsed::lastTxid).orElse(-1L);
  }
}
