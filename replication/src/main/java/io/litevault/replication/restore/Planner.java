package io.litevault.replication.restore;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import io.litevault.bucket.OperationStats;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.Chains;
import io.litevault.replication.format.CompactedCodec;
import io.litevault.replication.format.FormatException;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.format.SegmentCodec;
import io.litevault.replication.format.SnapshotCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Step 1 of a restore: the lineage, the newest snapshot at or before the target, and the chain of objects
 * after it (docs/FORMAT.md, "Planning with ranges"). Package-private.
 *
 * <p>To a txid or the latest state: the chain with the fewest objects ({@link Chains#shortest}). To a time:
 * the same chain toward the latest state, walked in order; a compacted range is applied whole only if no
 * transaction in it committed after the time (its header's {@code maxTimestampMillis}, one small ranged
 * read); the first that has one is replaced by the finer objects over the same txids, recursively, and
 * nothing after it is needed (the restore stops at the first commit after the time).
 */
final class Planner {
  private Planner() {}

  static RestorePlan plan(RestoreOptions o) {
    return plan(o, Set.of());
  }

  /**
   * As {@link #plan(RestoreOptions)}, never using the compacted ranges in {@code unusable} (a restore found
   * them missing or corrupt).
   */
  static RestorePlan plan(RestoreOptions o, Set<String> unusable) {
    return plan(o, unusable, o.compactedRanges());
  }

  /** As {@link #plan(RestoreOptions, Set)}; without any compacted range when {@code useRanges} is false. */
  static RestorePlan plan(RestoreOptions o, Set<String> unusable, boolean useRanges) {
    Map<Operation, OperationStats> before = o.store().metrics().snapshot();
    long t0 = System.nanoTime();
    BucketLayout layout = new BucketLayout(o.prefix());
    RestorePlan p = null;
    Duration listing = Duration.ZERO;
    if (unusable.isEmpty() && useRanges) {
      // The newest lineage's snapshots and ranges and the segments after them: no history it skips.
      Optional<LineageCatalog.Lineage> narrow = NarrowListing.list(o, layout);
      listing = Duration.ofNanos(System.nanoTime() - t0);
      p = narrow.map(l -> planIn(o, layout, l, unusable, true)).orElse(null);
    }
    if (p == null) {
      long t1 = System.nanoTime();
      Map<String, LineageCatalog.Lineage> all = LineageCatalog.list(o.store(), layout);
      listing = listing.plus(Duration.ofNanos(System.nanoTime() - t1));
      p = choose(o, layout, all, unusable, useRanges);
    }
    Duration planning = Duration.ofNanos(System.nanoTime() - t0).minus(listing);
    return new RestorePlan(p.lineage(), p.snapshot(), p.snapshotTxid(), p.segments(), p.sizes(), p.targetTxid(), p.bytes(),
        p.newestTxid(), listing, planning, Restore.requestsSince(o.store(), before));
  }

  /** The plan from a listing of the prefix (timing and request counts left empty). */
  private static RestorePlan choose(RestoreOptions o, BucketLayout layout, Map<String, LineageCatalog.Lineage> all,
      Set<String> unusable, boolean useRanges) {
    List<LineageCatalog.Lineage> candidates = new ArrayList<>();
    for (LineageCatalog.Lineage l : all.values()) {
      if (!l.snapshots().isEmpty() && (o.lineage() == null || l.id().equals(o.lineage()))) {
        candidates.add(l);
      }
    }
    if (candidates.isEmpty()) {
      throw new RestoreException(RestoreException.Kind.NOTHING_TO_RESTORE, o.lineage() == null
          ? "nothing to restore under " + o.store().describe() + " prefix '" + o.prefix() + "' (no snapshot found)"
          : "no lineage " + o.lineage() + " with a snapshot under prefix '" + o.prefix() + "'", null, null);
    }
    Collections.reverse(candidates); // newest first
    if (o.txid() != null && o.lineage() == null) {
      candidates = candidates.subList(0, 1); // txids are per lineage: without one, the newest lineage's
    }
    for (LineageCatalog.Lineage l : candidates) {
      RestorePlan p = planIn(o, layout, l, unusable, useRanges);
      if (p != null) {
        return p;
      }
    }
    throw new RestoreException(RestoreException.Kind.NO_SUCH_POINT, "no restorable point "
        + (o.txid() != null ? "at txid " + o.txid() : "at or before " + o.timestamp()) + " under prefix '" + o.prefix()
        + "' (Restore.list shows the restorable ranges)", null, null);
  }

  /** The chain a plan applies after its snapshot, and whether the target time is known to lie inside it. */
  private record Walk(List<Chains.Link> links, long reached, boolean timeInside) {}

  /** The plan within one lineage, or null when the target is not in it. */
  private static RestorePlan planIn(RestoreOptions o, BucketLayout layout, LineageCatalog.Lineage l,
      Set<String> unusable, boolean useRanges) {
    List<ObjectInfo> snaps = l.snapshots();
    ObjectInfo snap = null;
    long snapTxid = 0;
    for (int i = snaps.size() - 1; i >= 0 && snap == null; i--) {
      long t = layout.parse(snaps.get(i).key()).orElseThrow().lastTxid();
      boolean fits = o.txid() != null ? t <= o.txid()
          : o.timestamp() == null || snapshotTime(o.store(), snaps.get(i)) <= o.timestamp().toEpochMilli();
      if (fits) {
        snap = snaps.get(i);
        snapTxid = t;
      }
    }
    if (snap == null) {
      return null;
    }
    long target = o.txid() != null ? o.txid() : Long.MAX_VALUE;
    List<Chains.Link> links = links(layout, l, useRanges, unusable);
    Walk walk;
    if (o.timestamp() == null) {
      Chains.Path path = Chains.shortest(snapTxid, target, links);
      walk = new Walk(path.links(), path.reached(), false);
    } else {
      walk = walkToTime(o.store(), snapTxid, o.timestamp().toEpochMilli(), links);
    }
    long covered = walk.reached();
    if (covered < target && !walk.timeInside()) {
      checkNoGap(o, layout, l, snapTxid, walk, links);
    }
    List<String> keys = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    long bytes = snap.size();
    for (Chains.Link k : walk.links()) {
      keys.add(k.info().key());
      sizes.add(k.info().size());
      bytes += k.info().size();
    }
    long newest = snapTxid;
    for (Chains.Link k : links) {
      newest = Math.max(newest, k.last());
    }
    for (ObjectInfo sn : snaps) {
      newest = Math.max(newest, layout.parse(sn.key()).orElseThrow().lastTxid());
    }
    return new RestorePlan(l.id(), snap.key(), snapTxid, keys, sizes, o.txid() != null ? o.txid() : covered, bytes, newest,
        Duration.ZERO, Duration.ZERO, Map.of());
  }

  /** The lineage's segments and (when used) its compacted ranges, but none found unusable. */
  private static List<Chains.Link> links(BucketLayout layout, LineageCatalog.Lineage l, boolean useRanges,
      Set<String> unusable) {
    List<Chains.Link> links = new ArrayList<>();
    for (ObjectInfo s : l.segments()) {
      Chains.Link.of(layout, s).ifPresent(links::add);
    }
    if (useRanges) {
      for (ObjectInfo r : l.ranges()) {
        if (!unusable.contains(r.key())) {
          Chains.Link.of(layout, r).ifPresent(links::add);
        }
      }
    }
    return links;
  }

  /**
   * The chain toward a time: the latest state's chain, walked in order. A range whose latest commit is at
   * or before {@code untilMillis} applies whole. One with a later commit holds the first commit after the
   * time: it is replaced by the finer objects over its txids and nothing after it is needed (when the finer
   * objects do not reach its end, the walk ends where they stop and the caller checks for a gap). One whose
   * latest commit is unknown (format 1, or a header that cannot be read) is left out and the rest of the
   * chain found again without it.
   */
  private static Walk walkToTime(ObjectStore store, long from, long untilMillis, List<Chains.Link> links) {
    Usable usable = new Usable(links);
    long bound = Long.MAX_VALUE; // the first commit after the time is at or before it, once a range showed it
    Deque<Chains.Link> todo = new ArrayDeque<>(usable.chain(from, bound));
    List<Chains.Link> out = new ArrayList<>();
    long at = from;
    while (!todo.isEmpty()) {
      Chains.Link k = todo.poll();
      Long max = k.range() ? maxCommitMillis(store, k) : Long.valueOf(Long.MIN_VALUE);
      if (max != null && max <= untilMillis) {
        out.add(k); // a segment the time cuts is cut while it is applied
        at = Math.max(at, k.last());
        continue;
      }
      // Never applied whole. A commit in it after the time: nothing after its txids is needed.
      usable.leaveOut(k);
      if (max != null && max != CompactedCodec.MAX_TIMESTAMP_UNKNOWN) {
        bound = Math.min(bound, k.last());
        todo.clear();
        todo.addAll(usable.chain(at, bound));
        continue;
      }
      if (max != null) {
        // Readable, maximum unknown: format 1, written by a version before format 2, like every range
        // uploaded no later than it.
        usable.leaveOutRangesUpTo(k.info().lastModified());
      }
      // Commit times unknown: the finer objects over its txids, then the rest as planned if still usable.
      List<Chains.Link> rest = new ArrayList<>(todo);
      todo.clear();
      Chains.Path sub = Chains.shortest(at, k.last(), usable.between(at, k.last()));
      if (sub.reached() == k.last() && rest.stream().noneMatch(usable::isLeftOut)) {
        todo.addAll(sub.links());
        todo.addAll(rest);
      } else {
        todo.addAll(usable.chain(at, bound));
      }
    }
    return new Walk(out, at, bound != Long.MAX_VALUE && at >= bound);
  }

  /**
   * The links a time walk may still use, sorted by first txid, so that each search after leaving a range out
   * looks only at the txids it spans: searching the whole lineage again each time grows with the square of
   * the history (a week whose ranges are all unreadable: hours).
   */
  private static final class Usable {
    private final List<Chains.Link> byFirst;
    private final long[] firsts;
    private final long longestSegment;
    private final java.util.Set<Chains.Link> leftOut = new java.util.HashSet<>();
    /** Ranges uploaded no later than this are left out (format 1); null for none. */
    private java.time.Instant rangesUpTo;

    Usable(List<Chains.Link> links) {
      byFirst = new ArrayList<>(links);
      byFirst.sort(java.util.Comparator.comparingLong(Chains.Link::first));
      firsts = byFirst.stream().mapToLong(Chains.Link::first).toArray();
      longestSegment = links.stream().filter(k -> !k.range()).mapToLong(k -> k.last() - k.first()).max().orElse(0);
    }

    void leaveOut(Chains.Link k) {
      leftOut.add(k);
    }

    /** Every range uploaded no later than {@code uploaded} is left out. */
    void leaveOutRangesUpTo(java.time.Instant uploaded) {
      if (rangesUpTo == null || uploaded.isAfter(rangesUpTo)) {
        rangesUpTo = uploaded;
      }
    }

    boolean isLeftOut(Chains.Link k) {
      return leftOut.contains(k) || k.range() && rangesUpTo != null && !k.info().lastModified().isAfter(rangesUpTo);
    }

    /** The shortest chain from {@code at} toward {@code end} over what is left. */
    List<Chains.Link> chain(long at, long end) {
      return Chains.shortest(at, end, between(at, end)).links();
    }

    /** What is left that can be on a chain from {@code at} to {@code end}: starting between them, or a segment across {@code at}. */
    List<Chains.Link> between(long at, long end) {
      int from = lowerBound(Math.max(0, at - longestSegment));
      List<Chains.Link> out = new ArrayList<>();
      for (int i = from; i < byFirst.size() && firsts[i] <= end; i++) {
        Chains.Link k = byFirst.get(i);
        if (k.last() > at && !isLeftOut(k)) {
          out.add(k);
        }
      }
      return out;
    }

    private int lowerBound(long first) {
      int lo = 0;
      int hi = firsts.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (firsts[mid] < first) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }
  }

  /**
   * Fails when the chain stops before the target while objects go on after it: asking for a later point must
   * fail loudly, never quietly restore an older state. To a time, the chain may stop early when its last
   * commit is after the time (the restore stops inside it anyway), or when a later snapshot continues it.
   */
  private static void checkNoGap(RestoreOptions o, BucketLayout layout, LineageCatalog.Lineage l, long snapTxid,
      Walk walk, List<Chains.Link> links) {
    long covered = walk.reached();
    long resumesAt = Long.MAX_VALUE;
    for (Chains.Link k : links) {
      if (k.first() > covered + 1) {
        resumesAt = Math.min(resumesAt, k.first());
      }
    }
    long resumes = resumesAt;
    if (o.timestamp() != null) {
      // A later snapshot (a big transaction, a requested snapshot) continues the chain where segments
      // pause; a time restore that did not take it as its base asked for a time before it.
      // Only one holding exactly the next txid: one further on may as well stand after a lost segment.
      boolean snapshotContinues = l.snapshots().stream().mapToLong(sn -> layout.parse(sn.key()).orElseThrow().lastTxid())
          .anyMatch(t -> t == covered + 1 && t < resumes);
      boolean cutInside = !walk.links().isEmpty()
          && lastCommitMillis(o.store(), walk.links().get(walk.links().size() - 1)) > o.timestamp().toEpochMilli();
      if (cutInside || snapshotContinues) {
        return;
      }
    }
    // The finest range holding the asked txid (or, to a time, the txid after the chain) in its middle.
    long asked = o.txid() != null ? o.txid() : covered + 1;
    Chains.Link spanning = null;
    for (Chains.Link k : links) {
      if (k.range() && k.first() <= asked && k.last() > (o.txid() != null ? asked : covered) && k.first() > snapTxid
          && (spanning == null || k.level() < spanning.level())) {
        spanning = k;
      }
    }
    if (spanning != null) {
      throw new RestoreException(RestoreException.Kind.NO_SUCH_POINT, (o.txid() != null ? "txid " + o.txid()
          : "the state at " + o.timestamp()) + " of lineage " + l.id() + " is not restorable: no chain of the objects"
          + " left reaches it, and compacted range " + spanning.info().key() + " holds it only within txids "
          + spanning.first() + ".." + spanning.last() + " (segments older than the fine-segment retention are deleted"
          + " where ranges cover them; a missing segment or range leaves a gap); the newest restorable point before"
          + " it is txid " + covered, new ReplicaPosition(l.id(), covered), null);
    }
    if (resumesAt != Long.MAX_VALUE) {
      throw new RestoreException(RestoreException.Kind.MISSING_OBJECT, "segments for txids " + (covered + 1) + ".."
          + (resumesAt - 1) + " of lineage " + l.id() + " are missing; the newest restorable point is txid "
          + covered, new ReplicaPosition(l.id(), covered), null);
    }
    if (o.txid() != null) {
      throw new RestoreException(RestoreException.Kind.NO_SUCH_POINT, "lineage " + l.id() + " ends at txid " + covered
          + ", before the requested txid " + o.txid() + " (txids count per lineage; Restore.list shows each lineage's range)",
          new ReplicaPosition(l.id(), covered), null);
    }
  }

  /**
   * The latest commit time in a compacted range, from its header (one small ranged read):
   * {@link CompactedCodec#MAX_TIMESTAMP_UNKNOWN} for a version-1 range, null for one that cannot be read
   * (the finer objects are used instead; a failing bucket still fails the restore).
   */
  private static Long maxCommitMillis(ObjectStore store, Chains.Link range) {
    try (InputStream in = store.get(range.info().key(), 0, 512)) {
      return CompactedCodec.readHeader(new DataInputStream(in), range.info().key()).maxTimestampMillis();
    } catch (ObjectNotFoundException | FormatException | java.io.EOFException e) {
      return null;
    } catch (io.litevault.bucket.ObjectStoreException e) {
      if (e.kind() == io.litevault.bucket.ErrorKind.CORRUPT) {
        return null; // unreadable as a range (an encrypted one that does not decrypt): the finer objects instead
      }
      throw e;
    } catch (IOException e) {
      throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "cannot read the header of " + range.info().key()
          + ": " + e.getMessage(), null, e);
    }
  }

  /** The last commit time of a segment or range, from its header (one small ranged read). */
  private static long lastCommitMillis(ObjectStore store, Chains.Link k) {
    String key = k.info().key();
    try (InputStream in = store.get(key, 0, 512)) {
      return k.range() ? CompactedCodec.readHeader(new DataInputStream(in), key).lastTimestampMillis()
          : SegmentCodec.peekHeader(in, key).lastTimestampMillis();
    } catch (IOException e) {
      throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "cannot read the header of " + key + ": "
          + e.getMessage(), null, e);
    }
  }

  /** A snapshot's commit time, from its header (one small ranged read). */
  private static long snapshotTime(ObjectStore store, ObjectInfo snap) {
    try (InputStream in = store.get(snap.key(), 0, 512)) {
      return SnapshotCodec.readHeader(new DataInputStream(in), snap.key(), new long[1]).timestampMillis();
    } catch (IOException e) {
      throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "cannot read the header of " + snap.key() + ": "
          + e.getMessage(), null, e);
    }
  }
}
