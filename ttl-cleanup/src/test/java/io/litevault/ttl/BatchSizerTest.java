package io.litevault.ttl;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class BatchSizerTest {
  @Test
  void startsSmallGrowsAtMostTwofoldAndShrinksToMeetTheTarget() {
    BatchSizer s = new BatchSizer(1_000, 4_000_000);
    assertEquals(100, s.limit());
    s.ran(100, 100_000); // very fast: grow, but only 2x
    assertEquals(200, s.limit());
    s.ran(200, 400_000);
    s.ran(400, 800_000);
    s.ran(800, 1_600_000);
    assertEquals(1_000, s.limit(), "capped at the configured maximum");
    s.ran(1_000, 20_000_000); // 5x too slow
    assertEquals(200, s.limit());
    s.ran(200, 1_000_000_000); // a stall: never below the floor
    assertEquals(BatchSizer.MIN_ROWS, s.limit());
    s.ran(10, 1_000_000_000); // a short last batch says nothing about speed
    assertEquals(BatchSizer.MIN_ROWS, s.limit());
  }

  @Test
  void zeroTargetMeansFixedBatchesAndTinyMaximumsAreKept() {
    BatchSizer fixed = new BatchSizer(1_000, 0);
    fixed.ran(1_000, 1_000_000_000);
    assertEquals(1_000, fixed.limit());
    BatchSizer tiny = new BatchSizer(3, 4_000_000);
    tiny.ran(3, 1_000_000_000);
    assertEquals(3, tiny.limit());
  }
}
