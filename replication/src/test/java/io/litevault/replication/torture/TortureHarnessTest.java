package io.litevault.replication.torture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.replication.Durability;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness's own invariants: a seed is a schedule, kill seeds have kills, the model's bookkeeping. */
class TortureHarnessTest {
  private final ScheduleGenerator generator = new ScheduleGenerator(4 << 20);

  @Test
  void aSeedAlwaysGivesTheSameSchedule() {
    for (long seed = -5; seed < 200; seed++) {
      assertEquals(generator.generate(seed).describe(), generator.generate(seed).describe(), "seed " + seed);
    }
    assertNotEquals(generator.generate(1).describe(), generator.generate(2).describe());
  }

  @Test
  void killSeedsAreCutIntoSegmentsAndOthersAreNot() {
    for (long seed = 0; seed < 400; seed++) {
      Schedule s = generator.generate(seed);
      if (ScheduleGenerator.isKillSeed(seed)) {
        assertTrue(s.setup().killMode() && s.kills() >= 1, s.describe());
        assertEquals(s.kills() + 1, s.segments().size());
        assertTrue(s.steps().stream().noneMatch(x -> x instanceof Step.Rollback || x instanceof Step.ProxyFault), s.describe());
      } else {
        assertFalse(s.setup().killMode());
        assertEquals(0, s.kills());
        boolean copied = false;
        for (Step x : s.steps()) { // a rollback needs a copy to go back to
          copied |= x instanceof Step.SaveCopy;
          assertTrue(copied || !(x instanceof Step.Rollback), s.describe());
        }
      }
      s.setup().databaseOptions(); // valid options for every seed
    }
  }

  @Test
  void signaturesIgnoreNumbersTagsAndLineages() {
    Failure a = new Failure("LATEST", 3, "segments for txids 4..2 of lineage 20261201T221740264Z-ff395df2 are missing; 's0o1w5'");
    Failure b = new Failure("LATEST", 7, "segments for txids 80..78 of lineage 20261201T222112864Z-6d28571f are missing; 's2o3w117'");
    assertEquals(a.signature(), b.signature());
    assertNotEquals(a.signature(), new Failure("PITR_TXID", 3, a.message()).signature());
  }

  @Test
  void theHistoryTracksBranchesAndUnreportedCommits() {
    History h = new History();
    h.opened(1, List.of(), 0);
    for (String t : List.of("a", "b", "c", "d")) {
      h.submitted(t, Durability.REPLICATED, 0);
    }
    h.committed("a", 1);
    h.committed("c", 3); // b's commit not reported yet (a kill): a hole
    h.acked("a", 5);
    assertTrue(h.isPrefixOfABranch(List.of("a", "b", "c")), "b may have committed");
    assertTrue(h.isPrefixOfABranch(List.of("a", "b", "c", "d")), "so may d, never reported");
    assertFalse(h.isPrefixOfABranch(List.of("a", "c")));
    h.opened(2, List.of("a", "b", "c"), 10); // the next JVM saw b committed
    assertEquals(List.of("a", "b", "c"), h.currentTags());
    assertEquals(1, h.branches.size());
    h.opened(3, List.of("a"), 20); // rolled back
    assertEquals(2, h.branches.size());
    assertEquals(List.of("a", "b", "c"), h.prefixThrough("c"));
    assertEquals(List.of("a"), h.prefixThrough("a"));
    assertEquals(List.of("a"), h.currentTags());
  }
}
