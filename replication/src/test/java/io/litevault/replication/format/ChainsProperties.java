package io.litevault.replication.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import io.litevault.bucket.ObjectInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Chains#shortest} against an exhaustive search over every sequence of objects the rules allow
 * (a segment from any txid inside it, a range only right after its first txid minus one and never past
 * the target): the same furthest point, and at it the same fewest objects and bytes; and the chain it
 * returns is one the rules allow. Random small sets of overlapping segments and ranges, some "dropped".
 * A failure reports "Seed was N"; {@code -DQT_SEED=N} replays it.
 */
class ChainsProperties {

  @Test
  void theChainIsValidAndAsShortAsAnExhaustiveSearchFinds() {
    qt().withExamples(2_000).forAll(longs().all()).checkAssert(ChainsProperties::once);
  }

  private static void once(long seed) {
    Random r = new Random(seed);
    List<Chains.Link> links = new ArrayList<>();
    int n = 1 + r.nextInt(9);
    for (int i = 0; i < n; i++) {
      long first = 1 + r.nextInt(12);
      long last = first + r.nextInt(5);
      int level = r.nextInt(3) == 0 ? 1 + r.nextInt(3) : 0;
      links.add(new Chains.Link(new ObjectInfo("k" + i, 1 + r.nextInt(100), "e", Instant.EPOCH), first, last, level));
    }
    long from = r.nextInt(3);
    long target = r.nextBoolean() ? Long.MAX_VALUE : from + 1 + r.nextInt(14);
    Chains.Path got = Chains.shortest(from, target, links);

    Best best = new Best();
    search(from, target, links, new ArrayList<>(), best);
    assertEquals(best.reached, got.reached(), "furthest point for seed " + seed);
    assertValid(from, target, got);
    assertEquals(best.objects, got.links().size(), "objects for seed " + seed);
    assertEquals(best.bytes, got.links().stream().mapToLong(k -> k.info().size()).sum(), "bytes for seed " + seed);
  }

  /** What the exhaustive search found: the furthest point, and the cheapest way there. */
  private static final class Best {
    long reached = -1;
    int objects;
    long bytes;
  }

  private static void search(long at, long target, List<Chains.Link> links, List<Chains.Link> used, Best best) {
    long bytes = used.stream().mapToLong(k -> k.info().size()).sum();
    if (at > best.reached || at == best.reached && (used.size() < best.objects
        || used.size() == best.objects && bytes < best.bytes)) {
      best.reached = at;
      best.objects = used.size();
      best.bytes = bytes;
    }
    if (at >= target) {
      return;
    }
    for (Chains.Link k : links) {
      if (allowed(k, at, target)) {
        used.add(k);
        search(Math.min(k.last(), target), target, links, used, best);
        used.remove(used.size() - 1);
      }
    }
  }

  private static boolean allowed(Chains.Link k, long at, long target) {
    return k.range() ? k.first() == at + 1 && k.last() <= target : k.first() <= at + 1 && k.last() > at;
  }

  private static void assertValid(long from, long target, Chains.Path p) {
    long at = from;
    for (Chains.Link k : p.links()) {
      assertTrue(allowed(k, at, target), k + " after txid " + at);
      at = Math.min(k.last(), target);
    }
    assertEquals(at, p.reached());
  }
}
