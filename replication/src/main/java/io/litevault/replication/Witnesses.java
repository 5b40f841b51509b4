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
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The other destinations of a {@link MultiReplicator}, asked whether the local files descend from one
 * destination's tip when that destination finds them equal to no point it keeps. That happens after a restore
 * from a fresher destination: the restored file is ahead of a lagging destination, which never saw the states
 * in between. A new lineage there loses nothing only if the file's history passed through that destination's
 * tip; a witness is a sibling whose own lineage recorded both, in this order:
 * <ol>
 *   <li>a transaction that is the lagging destination's tip commit: the same commit time (the store's
 *       clock at the commit, which every destination records for the same commit), database checksum and
 *       size; the content alone would not do, a later write can bring the same bytes back (review 28);
 *   <li>at or after it, in the same lineage, a state the local files were in when this process opened them.
 * </ol>
 * So the files' content descends from the tip commit, and a lagging destination may start a new lineage from
 * them. A tip a witness recorded only after the files' state (the files are an older copy), or never (the
 * lagging destination was in fact ahead: written while the witness was not configured), gets no vouch, and
 * the destination keeps refusing, as {@link BucketWins} says. A commit caught up after a restart is stamped
 * with the time it was read, so each destination may hold it with another time: no vouch either, the safe way.
 *
 * <p>Residual risk, stated: two different commits with the same millisecond, checksum and size (a change
 * undone within the same millisecond, or after the clock stepped back to that very millisecond) would match.
 *
 * <p>Each witness is searched back {@link EarlierPoint#TRANSACTIONS_SEARCHED} transactions over its
 * lineages, newest first, plus every snapshot. A witness that cannot be read fails the call (a retryable
 * store error is retried by the shipper's start, as any other).
 */
final class Witnesses {
  /** One sibling destination's replica. */
  record Witness(String name, ObjectStore store, BucketLayout layout) {
    Witness {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(layout, "layout");
    }
  }

  /** A single replicator's: nobody to ask. */
  static final Witnesses NONE = new Witnesses(List.of());

  /** One point of a lineage: a transaction's state after it, or a snapshot's. */
  private record Point(long txid, long commitMillis, long checksum, int pages) {}

  private final List<Witness> all;

  Witnesses(List<Witness> all) {
    this.all = List.copyOf(all);
  }

  boolean isEmpty() {
    return all.isEmpty();
  }

  /**
   * Which witness recorded {@code tip}'s commit and then one of {@code localStates}, described for a log line;
   * empty when none did.
   */
  Optional<String> vouch(LineageCatalog.Tip tip, List<DatabaseChecksum> localStates) throws IOException {
    if (all.isEmpty() || localStates.isEmpty() || tip.commitMillis() <= 0) {
      return Optional.empty();
    }
    for (Witness w : all) {
      List<LineageCatalog.Lineage> newestFirst = new ArrayList<>(LineageCatalog.list(w.store(), w.layout()).values());
      Collections.reverse(newestFirst);
      int budget = EarlierPoint.TRANSACTIONS_SEARCHED;
      for (LineageCatalog.Lineage l : newestFirst) {
        if (budget <= 0) {
          break;
        }
        List<Point> points = new ArrayList<>();
        budget -= points(w, l, budget, points);
        Optional<String> found = passedThrough(w, l, points, tip, localStates);
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }

  /** The witness's order test on one lineage's points. */
  private static Optional<String> passedThrough(Witness w, LineageCatalog.Lineage l, List<Point> points,
      LineageCatalog.Tip tip, List<DatabaseChecksum> localStates) {
    long files = -1;
    for (Point p : points) {
      for (DatabaseChecksum s : localStates) {
        if (p.checksum() == s.value() && p.pages() == s.pages()) {
          files = Math.max(files, p.txid());
        }
      }
    }
    if (files < 0) {
      return Optional.empty();
    }
    for (Point p : points) {
      if (p.txid() <= files && p.commitMillis() == tip.commitMillis() && p.checksum() == tip.checksumAfter()
          && p.pages() == tip.dbSizePages()) {
        return Optional.of("destination '" + w.name() + "' (lineage " + l.id() + ") holds the commit at txid "
            + p.txid() + " and then the local files' state at txid " + files);
      }
    }
    return Optional.empty();
  }

  /** Adds the points of lineage {@code l}'s newest segments (up to {@code budget} transactions) and snapshots. */
  private static int points(Witness w, LineageCatalog.Lineage l, int budget, List<Point> out) throws IOException {
    List<ObjectInfo> newestFirst = new ArrayList<>(l.segments());
    newestFirst.sort(Comparator.comparing((ObjectInfo o) -> lastTxid(w.layout(), o)).reversed());
    int examined = 0;
    for (ObjectInfo o : newestFirst) {
      if (examined >= budget) {
        break;
      }
      Segment s;
      try (InputStream in = w.store().get(o.key())) {
        s = SegmentCodec.decode(in.readAllBytes(), o.key());
      }
      for (Segment.Txn t : s.transactions()) {
        out.add(new Point(t.txid(), t.timestampMillis(), t.checksumAfter(), t.dbSizePages()));
      }
      examined += s.transactions().size();
    }
    for (ObjectInfo snap : l.snapshots()) {
      LineageCatalog.SnapshotPoint p = LineageCatalog.snapshotPoint(w.store(), snap);
      out.add(new Point(p.header().txid(), p.header().timestampMillis(), p.checksum(), p.header().dbSizePages()));
    }
    return examined;
  }

  private static long lastTxid(BucketLayout layout, ObjectInfo o) {
    return layout.parse(o.key()).map(BucketLayout.Parsed::lastTxid).orElse(-1L);
  }
}
