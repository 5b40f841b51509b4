package io.litevault.replication.format;

import io.litevault.bucket.ObjectInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * The shortest unbroken chain of objects from a snapshot's txid toward a target (docs/FORMAT.md, "Planning
 * with ranges"): what a restore applies, and what retention must keep so that a restore still finds one.
 *
 * <p>Two kinds of link, with different rules:
 * <ul>
 * <li>a <b>segment</b> applies from any txid reached inside it: its transactions already applied are cut
 *     (segments overlap when a PUT that stored the object lost its answer and the retry batched more);
 * <li>a <b>compacted range</b> applies whole: only right after its first txid minus one, and only when it
 *     does not pass the target (its intermediate states are not in it).
 * </ul>
 * A greedy choice (the furthest-reaching object at each step) is not enough once some segments are gone
 * (dropped after {@code fineSegmentRetention}): a retried segment reaching past a range's end can lead
 * where nothing continues. So this searches every position an object ends at, in txid order (objects only
 * move forward), keeping for each the fewest objects, then the fewest bytes, that reach it.
 */
public final class Chains {
  private Chains() {}

  /**
   * An object a chain may use.
   *
   * @param first the first txid it holds
   * @param last the last txid it holds
   * @param level the compaction level: 0 for a segment (applies from any txid inside it), 1 and up for a
   *     compacted range (applies whole)
   */
  public record Link(ObjectInfo info, long first, long last, int level) {
    public Link {
      if (first < 1 || last < first || level < 0) {
        throw new IllegalArgumentException("txids " + first + ".." + last + " at level " + level + " of " + info.key());
      }
    }

    /** The link an object of {@code layout} makes, or empty for a snapshot or a foreign key. */
    public static java.util.Optional<Link> of(BucketLayout layout, ObjectInfo info) {
      return layout.parse(info.key()).filter(p -> !p.snapshot())
          .map(p -> new Link(info, p.firstTxid(), p.lastTxid(), p.level()));
    }

    public boolean range() {
      return level > 0;
    }
  }

  /**
   * A chain found.
   *
   * @param links the objects in the order they apply
   * @param reached the txid the chain reaches: the target when it gets there (a last segment may hold more,
   *     which the restore cuts), otherwise the furthest any chain gets
   */
  public record Path(List<Link> links, long reached) {
    public Path {
      links = List.copyOf(links);
    }
  }

  /**
   * The chain from the state after txid {@code from} to {@code target} ({@code Long.MAX_VALUE} for as far
   * as the objects go) with the fewest objects, then the fewest bytes; when none reaches the target, the
   * one reaching furthest.
   */
  public static Path shortest(long from, long target, Collection<Link> links) {
    Map<Long, List<Link>> rangesByFirst = new HashMap<>();
    List<Link> segments = new ArrayList<>();
    TreeMap<Long, Step> best = new TreeMap<>();
    for (Link l : links) {
      if (l.last() <= from) {
        continue;
      }
      if (l.range()) {
        if (l.first() > from && l.last() <= target) {
          rangesByFirst.computeIfAbsent(l.first() - 1, k -> new ArrayList<>()).add(l);
        }
      } else {
        segments.add(l);
      }
    }
    segments.sort(Comparator.comparingLong(Link::first));
    best.put(from, new Step(0, 0, null, null));
    // Segments holding the txid after the position being looked at, by last txid (the ones ending at or
    // before the position are dropped as the positions pass them).
    PriorityQueue<Link> open = new PriorityQueue<>(Comparator.comparingLong(Link::last));
    int next = 0;
    for (Long at = from; at != null; at = best.higherKey(at)) {
      Step here = best.get(at);
      long p = at;
      while (next < segments.size() && segments.get(next).first() <= p + 1) {
        open.add(segments.get(next++));
      }
      while (!open.isEmpty() && open.peek().last() <= p) {
        open.poll();
      }
      if (p >= target) {
        break;
      }
      for (Link s : open) {
        relax(best, here, p, Math.min(s.last(), target), s);
      }
      for (Link r : rangesByFirst.getOrDefault(p, List.of())) {
        relax(best, here, p, r.last(), r);
      }
    }
    long reached = best.lastKey();
    List<Link> chain = new ArrayList<>();
    for (Step s = best.get(reached); s.link() != null; s = best.get(s.from())) {
      chain.add(s.link());
    }
    Collections.reverse(chain);
    return new Path(chain, reached);
  }

  /** The best way found to a position: how many objects and bytes, and the last link and where it starts. */
  private record Step(int objects, long bytes, Link link, Long from) {
    boolean betterThan(Step o) {
      return o == null || objects < o.objects || objects == o.objects && bytes < o.bytes;
    }
  }

  private static void relax(TreeMap<Long, Step> best, Step here, long from, long to, Link via) {
    Step s = new Step(here.objects() + 1, here.bytes() + via.info().size(), via, from);
    if (s.betterThan(best.get(to))) {
      best.put(to, s);
    }
  }
}
