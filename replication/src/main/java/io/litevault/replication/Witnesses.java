package io.litevault.replication;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The other destinations of a {@link MultiReplicator}, asked whether the local files descend from one
 * destination's tip when that destination finds them equal to no point it keeps. That happens after a restore
 * from a fresher destination: the restored file is ahead of a lagging destination, which never saw the states
 * in between. A new lineage there loses nothing only if the file's history passed through that destination's
 * tip; a witness is a sibling that continues the files itself and whose lineage recorded that tip:
 * <ol>
 *   <li>the witness's own tip (the newest point of its newest lineage) is a state the local files are or
 *       were in since this process opened them: the files are that destination's latest, nothing it holds is
 *       missing from them (a witness the files are behind refuses them itself, and must not vouch: review 30);
 *   <li>before it, in the same lineage, a transaction that is the lagging destination's tip commit: the same
 *       commit time (the store's clock at the commit, which every destination records for the same commit),
 *       database checksum and size; the content alone would not do, a later write can bring the same bytes
 *       back (review 28).
 * </ol>
 * So the files' content descends from the tip commit, and a lagging destination may start a new lineage from
 * them, beside a destination that continues them anyway. A tip a witness never recorded (the lagging
 * destination was in fact ahead: written while the witness was not configured), files older than the
 * witness's tip, or a witness that has moved on since with commits of these files not yet among the states
 * read, get no vouch, and the destination keeps refusing, as {@link BucketWins} says. A commit caught up after a restart is stamped
 * with the time it was read, so each destination may hold it with another time: no vouch either, the safe way.
 *
 * <p>Residual risk, stated: two different commits with the same millisecond, checksum and size (a change
 * undone within the same millisecond, or after the clock stepped back to that very millisecond) would match.
 *
 * <p>Each witness's newest lineage is searched back {@link EarlierPoint#TRANSACTIONS_SEARCHED} transactions,
 * plus every snapshot; a tip commit further back is looked up by its commit time, a binary search over the
 * segments' headers ({@code lastTimestampMillis}, one small ranged read each) and one download: commit times
 * rise with txids unless the clock stepped back, and a search misled by such a step finds nothing, which
 * refuses (review 30: a lag past the linear search refused for good). A witness that cannot be reached fails the call with its retryable store error (the
 * shipper's start retries it, as any other); one whose objects cannot be read (damaged, not decryptable)
 * vouches for nothing, and the refusal stands (review 30: it was retried for ever).
 */
final class Witnesses {
  private static final Logger log = LoggerFactory.getLogger(Witnesses.class);
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

  /** A vouch: why, for a log line, and the witness's tip (the files' state) with its commit time. */
  record Vouch(String why, long commitMillis, long checksum, int pages) {}

  /**
   * No witness vouched, but one holds the refused tip's commit and passed through a state of the files before
   * its own tip: it may have shipped the files' newest commits after they were read, or the files may be older
   * than it. Asking again, with the files read anew, tells (review 31); {@link BucketWins} asks a few times.
   */
  static final class MovedOn extends IOException {
    private static final long serialVersionUID = 1L;

    MovedOn(String witness) {
      super("destination '" + witness + "' holds a state of the local files before its own tip: it may have "
          + "shipped newer commits of them meanwhile; asking again");
    }
  }

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
  Optional<Vouch> vouch(LineageCatalog.Tip tip, List<DatabaseChecksum> localStates) throws IOException {
    if (all.isEmpty() || localStates.isEmpty() || tip.commitMillis() <= 0) {
      return Optional.empty();
    }
    ObjectStoreException unreachable = null;
    MovedOn movedOn = null;
    for (Witness w : all) {
      Optional<Vouch> found;
      try {
        found = vouch(w, tip, localStates);
      } catch (MovedOn e) {
        movedOn = movedOn == null ? e : movedOn;
        continue;
      } catch (ObjectStoreException e) {
        if (e.retryable()) {
          // Another witness may vouch meanwhile (review 31: one unreachable sibling blocked another's vouch).
          log.info("witness '{}' cannot be reached ({}): asking the others", w.name(), e.getMessage());
          unreachable = unreachable == null ? e : unreachable;
          continue;
        }
        log.warn("witness '{}' cannot be read ({}): it vouches for nothing", w.name(), e.getMessage());
        continue;
      } catch (IOException | RuntimeException e) {
        log.warn("witness '{}' cannot be read ({}): it vouches for nothing", w.name(), e.toString());
        continue;
      }
      if (found.isPresent()) {
        return found;
      }
    }
    if (unreachable != null) {
      throw unreachable; // none vouched, one could not be asked: the start is retried
    }
    if (movedOn != null) {
      throw movedOn;
    }
    return Optional.empty();
  }

  /** One witness: its newest lineage's tip is a state of the files, and the lineage holds {@code tip}'s commit. */
  private static Optional<Vouch> vouch(Witness w, LineageCatalog.Tip tip, List<DatabaseChecksum> localStates)
      throws IOException {
    List<LineageCatalog.Lineage> newestFirst = new ArrayList<>(LineageCatalog.list(w.store(), w.layout()).values());
    Collections.reverse(newestFirst);
    // The witness's current lineage: its newest with a snapshot (what LineageCatalog.newestTip continues).
    LineageCatalog.Lineage current = newestFirst.stream().filter(l -> !l.snapshots().isEmpty()).findFirst().orElse(null);
    if (current == null) {
      return Optional.empty();
    }
    List<Point> points = new ArrayList<>();
    points(w, current, EarlierPoint.TRANSACTIONS_SEARCHED, points);
    Point newest = points.stream().max(Comparator.comparingLong(Point::txid)).orElse(null);
    if (newest == null) {
      return Optional.empty();
    }
    if (!isState(newest, localStates)) {
      // The files are not this destination's latest: older, or it moved on with their newer commits.
      boolean passed = points.stream().anyMatch(p -> isState(p, localStates));
      if (passed && points.stream().anyMatch(p -> isTip(p, tip))) {
        throw new MovedOn(w.name());
      }
      return Optional.empty();
    }
    // The current lineage, then the lineages it continued: a lineage started from the very state another one
    // ended in (a standby's takeover, an expired lease on another home: review 31) carries its history on.
    LineageCatalog.Lineage l = current;
    List<Point> in = points;
    for (int hop = 0; hop <= MAX_HOPS && l != null; hop++) {
      Optional<Point> commit = in.stream().filter(p -> isTip(p, tip)).findFirst();
      if (commit.isEmpty()) {
        commit = byCommitTime(w, l, tip);
      }
      if (commit.isPresent()) {
        return Optional.of(new Vouch("destination '" + w.name() + "' continues them (lineage " + current.id()
            + ", its tip at txid " + newest.txid() + ") and holds that commit in lineage " + l.id() + " at txid "
            + commit.get().txid(), newest.commitMillis(), newest.checksum(), newest.pages()));
      }
      Point start = in.stream().min(Comparator.comparingLong(Point::txid)).orElseThrow();
      l = continued(w, newestFirst, l, start);
      in = new ArrayList<>();
      if (l != null) {
        points(w, l, EarlierPoint.TRANSACTIONS_SEARCHED, in);
      }
    }
    return Optional.empty();
  }

  /** How many lineages back a witness's history is followed. */
  static final int MAX_HOPS = 3;

  /**
   * The lineage older than {@code l} whose tip is {@code l}'s first point ({@code start}: the snapshot it began
   * with), or null.
   */
  private static LineageCatalog.Lineage continued(Witness w, List<LineageCatalog.Lineage> newestFirst,
      LineageCatalog.Lineage l, Point start) throws IOException {
    for (LineageCatalog.Lineage older : newestFirst) {
      if (older.id().compareTo(l.id()) >= 0 || older.snapshots().isEmpty()) {
        continue;
      }
      LineageCatalog.Tip t = LineageCatalog.tipOf(w.store(), w.layout(), older);
      if (t != null && t.checksumAfter() == start.checksum() && t.dbSizePages() == start.pages()) {
        return older;
      }
      return null; // only the lineage just before: a state equal to an older one's tip is no continuation proof
    }
    return null;
  }

  /** Whether {@code p} is one of the files' states (checksum and size). */
  private static boolean isState(Point p, List<DatabaseChecksum> states) {
    return states.stream().anyMatch(s -> s.value() == p.checksum() && s.pages() == p.pages());
  }

  private static boolean isTip(Point p, LineageCatalog.Tip tip) {
    return p.commitMillis() == tip.commitMillis() && p.checksum() == tip.checksumAfter() && p.pages() == tip.dbSizePages();
  }

  /**
   * The transaction of lineage {@code l} that is {@code tip}'s commit, found by its commit time: the first
   * segment (by txid) whose last commit time is at or after it holds it, if times rose with txids.
   */
  private static Optional<Point> byCommitTime(Witness w, LineageCatalog.Lineage l, LineageCatalog.Tip tip)
      throws IOException {
    List<ObjectInfo> byTxid = new ArrayList<>(l.segments());
    byTxid.sort(Comparator.comparing((ObjectInfo o) -> EarlierPoint.lastTxid(w.layout(), o)));
    int lo = 0;
    int hi = byTxid.size(); // the first index whose last commit time is >= the tip's, or size
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (lastCommitMillis(w, byTxid.get(mid)) < tip.commitMillis()) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == byTxid.size()) {
      return Optional.empty();
    }
    return transactions(w, byTxid.get(lo)).stream().filter(p -> isTip(p, tip)).findFirst();
  }

  /** The state after each transaction of segment {@code o}: one download. */
  private static List<Point> transactions(Witness w, ObjectInfo o) throws IOException {
    Segment s;
    try (InputStream in = w.store().get(o.key())) {
      s = SegmentCodec.decode(in.readAllBytes(), o.key());
    }
    return s.transactions().stream()
        .map(t -> new Point(t.txid(), t.timestampMillis(), t.checksumAfter(), t.dbSizePages())).toList();
  }

  private static long lastCommitMillis(Witness w, ObjectInfo segment) throws IOException {
    try (InputStream in = w.store().get(segment.key(), 0, 512)) {
      return SegmentCodec.peekHeader(in, segment.key()).lastTimestampMillis();
    }
  }

  /** Adds the points of lineage {@code l}'s newest segments (up to {@code budget} transactions) and snapshots. */
  private static void points(Witness w, LineageCatalog.Lineage l, int budget, List<Point> out) throws IOException {
    List<ObjectInfo> newestFirst = new ArrayList<>(l.segments());
    newestFirst.sort(Comparator.comparing((ObjectInfo o) -> EarlierPoint.lastTxid(w.layout(), o)).reversed());
    int examined = 0;
    for (ObjectInfo o : newestFirst) {
      if (examined >= budget) {
        break;
      }
      List<Point> txns = transactions(w, o);
      out.addAll(txns);
      examined += txns.size();
    }
    for (ObjectInfo snap : l.snapshots()) {
      LineageCatalog.SnapshotPoint p = LineageCatalog.snapshotPoint(w.store(), snap);
      out.add(new Point(p.header().txid(), p.header().timestampMillis(), p.checksum(), p.header().dbSizePages()));
    }
  }
}
