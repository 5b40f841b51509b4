package io.litevault.replication;

import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.bucket.ObjectStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Whether a {@link MultiReplicator} destination that refused the local files ({@link LocalBehindBucketException})
 * may start a new lineage from them after all, because another destination vouches for them.
 *
 * <p>A destination that is shipping these files holds a lineage of their own states. If that lineage passed
 * through the refused destination's tip (same database checksum and size), the files descend from everything
 * that bucket's newest state holds, and a new lineage from them hides nothing its "restore latest" returned
 * before (its older lineages stay for point-in-time restores). That is what follows a restore from the fresher
 * destination after the machine was lost: the lagging destination's tip is an earlier point of the fresher
 * one's lineage (review 27). A tip the siblings never passed through (the lagging destination was in fact
 * ahead, or holds another database) is still refused.
 *
 * <p>Only that exact tip is vouched for ({@link Vouched}): the destination starts again with it, and any other
 * tip found then is judged as usual.
 */
final class SiblingVouch {
  /** A bucket tip the local files passed through, by a sibling destination's lineage. */
  record Vouched(String lineage, long txid, String by) {}

  /** A sibling destination shipping the local files: its options and the lineage it holds. */
  record Sibling(String name, ReplicatorOptions options, String lineage) {}

  private SiblingVouch() {}

  /** How many lineages back a sibling's descent is followed (each a restore or a deliberate new lineage). */
  static final int MAX_LINEAGES = 8;

  /**
   * The refused destination's tip, when the history of the files by one of {@code siblings} passed through its
   * state; empty when none did (or the refused bucket has no tip).
   */
  static Optional<Vouched> find(ReplicatorOptions refused, List<Sibling> siblings) throws IOException {
    LineageCatalog.Tip tip = LineageCatalog.newestTip(refused.store(), new BucketLayout(refused.prefix()));
    if (tip == null) {
      return Optional.empty();
    }
    List<DatabaseChecksum> state = List.of(DatabaseChecksum.summary(tip.checksumAfter(), tip.dbSizePages()));
    for (Sibling s : siblings) {
      Optional<String> at = passedThrough(s, state);
      if (at.isPresent()) {
        return Optional.of(new Vouched(tip.lineage(), tip.txid(), "destination '" + s.name() + "' (" + at.get() + ")"));
      }
    }
    return Optional.empty();
  }

  /**
   * Where the files' history in sibling {@code s}'s bucket has {@code state}: its held lineage, then the
   * lineages it descends from. A lineage started from files equal to an older lineage's tip (the sibling
   * accepted a restored file, or the files moved on deliberately) continues that lineage's history: the
   * older one is followed when its tip state is the newer one's first snapshot.
   */
  private static Optional<String> passedThrough(Sibling s, List<DatabaseChecksum> state) throws IOException {
    ObjectStore store = s.options().store();
    BucketLayout layout = new BucketLayout(s.options().prefix());
    List<LineageCatalog.Lineage> newestFirst = new ArrayList<>(LineageCatalog.list(store, layout).values());
    Collections.reverse(newestFirst);
    int i = 0;
    while (i < newestFirst.size() && !newestFirst.get(i).id().equals(s.lineage())) {
      i++;
    }
    for (int hops = 0; i < newestFirst.size() && hops < MAX_LINEAGES; hops++, i++) {
      LineageCatalog.Lineage l = newestFirst.get(i);
      OptionalLong at = EarlierPoint.find(store, layout, l, state);
      if (at.isPresent()) {
        return Optional.of("lineage " + l.id() + " at txid " + at.getAsLong());
      }
      if (i + 1 >= newestFirst.size() || !startsAtTipOf(store, layout, l, newestFirst.get(i + 1))) {
        break;
      }
    }
    return Optional.empty();
  }

  /** A new lineage's snapshot is its txid 1 (Shipper.readSnapshot): a kept snapshot of txid 1 is its start. */
  private static final long FIRST_TXID = 1;

  /** Whether {@code newer}'s first snapshot (still kept) has {@code older}'s tip state. */
  private static boolean startsAtTipOf(ObjectStore store, BucketLayout layout, LineageCatalog.Lineage newer,
      LineageCatalog.Lineage older) throws IOException {
    if (newer.snapshots().isEmpty()) {
      return false;
    }
    LineageCatalog.Tip olderTip = LineageCatalog.tip(store, layout, older);
    if (olderTip == null) {
      return false;
    }
    LineageCatalog.SnapshotPoint first = LineageCatalog.snapshotPoint(store, newer.snapshots().get(0));
    return first.header().txid() == FIRST_TXID && first.checksum() == olderTip.checksumAfter()
        && first.header().dbSizePages() == olderTip.dbSizePages();
  }
}
