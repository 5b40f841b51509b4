package io.litevault.replication.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Instant;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link BucketLayout#locate} finds, in any key the layout writes, the database prefix and what the object
 * is: the one rule backup and tools use to read a bucket of many databases. Prefixes are drawn to contain
 * the layout's own words ({@code lineages}, {@code leases}, {@code lease}) as segments. {@code -DQT_SEED=N}
 * replays a failure.
 */
class BucketLayoutProperties {
  private static final String[] WORDS = {"lineages", "leases", "lease", "snapshots", "segments", "db", "a.b", "x_1"};

  private static String prefix(Random r) {
    StringBuilder b = new StringBuilder(WORDS[r.nextInt(WORDS.length)]);
    for (int i = r.nextInt(4); i > 0; i--) {
      b.append('/').append(WORDS[r.nextInt(WORDS.length)]);
    }
    return b.toString();
  }

  @Test
  void everyKeyTheLayoutWritesIsLocatedToItsDatabase() {
    qt().withExamples(500).forAll(longs().all()).checkAssert(seed -> {
      Random r = new Random(seed);
      String prefix = prefix(r);
      BucketLayout layout = new BucketLayout(prefix);
      String lineage = BucketLayout.newLineage(Instant.ofEpochMilli(r.nextLong() & 0xffffffffffL), null);
      long first = 1 + (r.nextLong() & Long.MAX_VALUE) % 1_000_000;
      long last = first + r.nextInt(100);
      // Keys as listed from the bucket root, and relative to the database's own prefix (a tier's root).
      for (String root : new String[] {"", prefix + "/"}) {
        String db = root.isEmpty() ? prefix : "";
        assertEquals(Optional.of(new BucketLayout.Located(db, BucketLayout.Kind.SNAPSHOT,
            new BucketLayout.Parsed(lineage, true, first, first))), BucketLayout.locate(rel(layout.snapshot(lineage, first), root)));
        assertEquals(Optional.of(new BucketLayout.Located(db, BucketLayout.Kind.SEGMENT,
            new BucketLayout.Parsed(lineage, false, first, last))), BucketLayout.locate(rel(layout.segment(lineage, first, last), root)));
        assertEquals(Optional.of(new BucketLayout.Located(db, BucketLayout.Kind.LEASE_GENERATION, null)),
            BucketLayout.locate(rel(layout.leaseGeneration(first), root)));
        assertEquals(Optional.of(new BucketLayout.Located(db, BucketLayout.Kind.LEGACY_LEASE, null)),
            BucketLayout.locate(rel(layout.legacyLease(), root)));
      }
      assertEquals(Optional.of(new BucketLayout.Parsed(lineage, false, first, last)),
          layout.parse(layout.segment(lineage, first, last)));
    });
  }

  private static String rel(String key, String root) {
    return key.substring(root.length());
  }

  @Test
  void foreignKeysAreNotLayoutObjects() {
    for (String key : new String[] {"db/lineages/not-a-lineage/snapshots/0000000000000001.lvsn",
        "db/lineages/20261123T000000000Z-0000000a/snapshots/1.lvsn",
        "db/lineages/20261123T000000000Z-0000000a/segments/0000000000000001.lvsg",
        "db/lineages/20261123T000000000Z-0000000a/other/0000000000000001.lvsn", "db/leases/123", "db/leases",
        "db/mylease", "notes.txt", "_litevault/index.tsv"}) {
      assertTrue(BucketLayout.locate(key).isEmpty(), key);
    }
  }
}
