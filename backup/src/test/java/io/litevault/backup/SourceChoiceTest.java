package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.litevault.bucket.ObjectInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceChoiceTest {
  private static final Instant T = Instant.parse("2026-12-01T12:00:00Z");
  private static final Duration TOL = Duration.ofMinutes(1);
  private static final String L = "20261201T110000000Z-0badcafe";

  private static ObjectInfo at(String key, Instant t) {
    return new ObjectInfo(key, 10, "e", t);
  }

  @Test
  void newestCountsSnapshotsAndSegmentsOnlyPerDatabase() {
    Map<String, Instant> m = SourceChoice.newestPerDatabase("p/", List.of(
        at("p/a/lineages/" + L + "/snapshots/0000000000000001.lvsn", T.minusSeconds(600)),
        at("p/a/lineages/" + L + "/segments/0000000000000002-0000000000000005.lvsg", T.minusSeconds(300)),
        at("p/a/lineages/" + L + "/levels/01/0000000000000002-0000000000000005.lvcr", T),
        at("p/a/leases/00000000000000ff", T),
        at("p/b/lineages/" + L + "/snapshots/0000000000000001.lvsn", T.minusSeconds(60)),
        at("p/app/file.txt", T),
        at("p/_litevault/index.tsv", T)));
    assertEquals(Map.of("a", T.minusSeconds(300), "b", T.minusSeconds(60)), m);
  }

  @Test
  void equallyFreshSourcesKeepThePreferredOne() {
    var r = SourceChoice.choose(List.of(Map.of("a", T.minusSeconds(30)), Map.of("a", T)), TOL);
    assertEquals(0, r.chosen());
    assertEquals(List.of(1, 1), r.freshDatabases());
    // exactly at the tolerance is still fresh
    assertEquals(0, SourceChoice.choose(List.of(Map.of("a", T.minus(TOL)), Map.of("a", T)), TOL).chosen());
  }

  @Test
  void aLagBeyondTheToleranceMovesToTheFresherSource() {
    var r = SourceChoice.choose(List.of(Map.of("a", T.minus(TOL).minusMillis(1)), Map.of("a", T)), TOL);
    assertEquals(1, r.chosen());
    assertEquals(List.of(0, 1), r.freshDatabases());
  }

  @Test
  void theSourceFreshForMostDatabasesWinsAndMissingDatabasesAreNotFresh() {
    var r = SourceChoice.choose(List.of(
        Map.of("a", T, "b", T.minusSeconds(3600)),
        Map.of("a", T, "b", T, "c", T),
        Map.of("a", T, "b", T)), TOL);
    assertEquals(1, r.chosen());
    assertEquals(List.of(1, 3, 2), r.freshDatabases());
    assertEquals(3, r.databases());
    // a tie (one each) goes to the preferred source
    assertEquals(0, SourceChoice.choose(List.of(Map.of("a", T, "b", T.minusSeconds(3600)),
        Map.of("b", T)), TOL).chosen());
  }

  @Test
  void aFailedListingIsSkippedAndAllFailedIsAnError() {
    var r = SourceChoice.choose(Arrays.asList(null, Map.of("a", T.minusSeconds(3600))), TOL);
    assertEquals(1, r.chosen());
    assertEquals(List.of(-1, 1), r.freshDatabases());
    assertEquals(0, SourceChoice.choose(Arrays.asList(Map.of(), Map.of()), TOL).chosen());
    assertThrows(IllegalArgumentException.class, () -> SourceChoice.choose(Arrays.asList(null, null), TOL));
  }
}
