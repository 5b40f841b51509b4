package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.litevault.replication.format.Codec;
import io.litevault.replication.format.CompactedCodec;
import io.litevault.replication.format.NetEffect;
import io.litevault.replication.format.RandomHistory;
import io.litevault.replication.format.Segment;
import io.litevault.testing.Unchecked;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts compaction is built from: a range accumulated on disk makes the same compacted object as the
 * net effect computed in memory; compaction windows never go back and nest across levels, whatever the
 * clock does. Properties replay with {@code -DQT_SEED=N}.
 */
class CompactionPartsTest {
  private static final int PAGE = 512;
  @TempDir
  Path dir;

  @Test
  void aRangeAccumulatedOnDiskEqualsItsNetEffect() {
    qt().withExamples(300).withShrinkCycles(500).forAll(longs().all(), integers().between(1, 30), integers().between(0, 40))
        .checkAssert((seed, txns, start) -> Unchecked.run(() -> accumulateOnce(seed, txns, start)));
  }

  private void accumulateOnce(long seed, int txnCount, int startPages) throws Exception {
    RandomHistory h = RandomHistory.of(seed, txnCount, startPages, PAGE);
    NetEffect memory = new NetEffect();
    Path file = dir.resolve("range-" + seed + ".tmp");
    byte[] object;
    try (RangeAccumulator disk = new RangeAccumulator(file, 2, "lineage-1", PAGE, 42)) {
      assertTrue(disk.isEmpty());
      for (Segment.Txn t : h.txns()) {
        memory.add(t);
        disk.add(t);
      }
      CompactedCodec.Header header = disk.header(Codec.ZSTD);
      assertEquals(new CompactedCodec.Header(Codec.ZSTD, 2, PAGE, 1, txnCount, 0, txnCount - 1, txnCount - 1, 42,
          h.txns().get(txnCount - 1).checksumAfter(), memory.minPages(), memory.sizePages(), memory.pageCount(),
          "lineage-1"), header);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CompactedCodec.write(out, header, disk.cursor());
      object = out.toByteArray();
    }
    assertFalse(Files.exists(file), "the range file is deleted with the range");
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    CompactedCodec.Header h2 = new CompactedCodec.Header(Codec.ZSTD, 2, PAGE, 1, txnCount, 0, txnCount - 1, txnCount - 1, 42,
        h.txns().get(txnCount - 1).checksumAfter(), memory.minPages(), memory.sizePages(), memory.pageCount(), "lineage-1");
    CompactedCodec.write(expected, h2, memory.cursor());
    assertArrayEquals(expected.toByteArray(), object, "the same object, byte for byte");
  }

  @Test
  void transactionsMustFollowEachOther() throws Exception {
    try (RangeAccumulator r = new RangeAccumulator(dir.resolve("r"), 1, "l", PAGE, 0)) {
      r.add(new Segment.Txn(5, 0, 1, 0, new TreeMap<>(java.util.Map.of(1, new byte[PAGE]))));
      assertThrows(IllegalArgumentException.class, () -> r.add(new Segment.Txn(7, 0, 1, 0, new TreeMap<>())));
      assertThrows(IllegalArgumentException.class, () -> r.add(new Segment.Txn(6, 0, 1, 0,
          new TreeMap<>(java.util.Map.of(1, new byte[PAGE + 1])))));
    }
  }

  @Test
  void windowsNeverGoBackAndNestAcrossLevels() {
    CompactionLevels levels = new CompactionLevels(CompactionLevels.DEFAULT);
    qt().withExamples(500).forAll(longs().all(), integers().between(1, 200)).checkAssert((seed, n) -> {
      Random r = new Random(seed);
      long clock = 1_764_000_000_000L + r.nextInt(1_000_000_000);
      List<long[]> windows = new ArrayList<>();
      long[] previous = new long[levels.count()];
      java.util.Arrays.fill(previous, Long.MIN_VALUE);
      for (int i = 0; i < n; i++) {
        clock += r.nextInt(10) == 0 ? -r.nextInt(3_600_000) : r.nextInt(20_000); // sometimes steps back an hour
        long[] w = new long[levels.count()];
        for (int level = 1; level <= levels.count(); level++) {
          w[level - 1] = levels.window(level, clock, previous[level - 1]);
          assertTrue(w[level - 1] >= previous[level - 1], "level " + level + " went back");
        }
        windows.add(w);
        previous = w;
      }
      for (int i = 1; i < windows.size(); i++) {
        for (int level = 1; level < levels.count(); level++) {
          if (windows.get(i)[level - 1] == windows.get(i - 1)[level - 1]) {
            assertEquals(windows.get(i - 1)[level], windows.get(i)[level], "same level-" + level
                + " window, different level-" + (level + 1) + " window");
          }
        }
      }
    });
  }

  @Test
  void levelsMustNest() {
    assertThrows(IllegalArgumentException.class, () -> new CompactionLevels(List.of(Duration.ofSeconds(10),
        Duration.ofSeconds(25))));
    assertThrows(IllegalArgumentException.class, () -> new CompactionLevels(List.of(Duration.ofMillis(10))));
    assertThrows(IllegalArgumentException.class, () -> new CompactionLevels(List.of()));
  }
}
