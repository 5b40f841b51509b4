package io.litevault.backup;

import io.litevault.testing.MutableClock;
import static io.litevault.backup.TwoBuckets.contents;
import static io.litevault.backup.TwoBuckets.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs killed at random points (every call from the n-th on fails, as if the process died there) or hit by
 * one failed request, on both sides, source-to-tier and tier-to-tier: after each, the tier still restores
 * (its previous state is whole, every lineage is its snapshot plus an unbroken run of segments), and a
 * re-run completes it while copying only what is still missing (up to one index checkpoint's worth).
 */
class ResumeTest {
  static final int CHECKPOINT = 4;
  static final Pattern SEGMENT = Pattern.compile("(.*lineages/[^/]+/)segments/([0-9a-f]{16})-[0-9a-f]{16}\\.lvsg");
  static TwoBuckets b;
  static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-23T12:00:00Z"));

  @BeforeAll
  static void start() {
    b = new TwoBuckets();
  }

  @AfterAll
  static void stop() {
    b.close();
  }

  private static TieredBackup backup(ObjectStore source, ObjectStore target, String src, String dst) {
    return TieredBackup.create(BackupOptions.builder(source, target).sourcePrefix(src).targetPrefix(dst)
        .clock(CLOCK).parallelism(3).checkpointEvery(CHECKPOINT).build());
  }

  private static String seg(long first) {
    return String.format("segments/%016x-%016x.lvsg", first, first);
  }

  /** State A: lineage L1 (snapshot + 8 segments), 10 app files, a lease. */
  private static void writeA(String src) {
    String l1 = src + "db/data/lineages/20261123T000000000Z-0000000a/";
    put(b.source, l1 + "snapshots/0000000000000001.lvsn", "snapshot 1");
    for (int i = 2; i < 10; i++) {
      put(b.source, l1 + seg(i), "segment " + i);
    }
    for (int i = 0; i < 10; i++) {
      put(b.source, src + "app/file-" + i, "file " + i);
    }
    put(b.source, src + "db/data/lease", "lease A");
  }

  /** State B: lineage L2 replaces L1 (retention), 2 files changed, 3 added, 2 removed: 14 copies, 11 deletes. */
  private static void writeB(String src) {
    String l2 = src + "db/data/lineages/20261123T060000000Z-0000000b/";
    put(b.source, l2 + "snapshots/0000000000000010.lvsn", "snapshot 16");
    for (int i = 17; i < 25; i++) {
      put(b.source, l2 + seg(i), "segment " + i);
    }
    List<String> gone = new ArrayList<>();
    try (var s = b.source.list(src + "db/data/lineages/20261123T000000000Z-0000000a/")) {
      s.forEach(o -> gone.add(o.key()));
    }
    gone.add(src + "app/file-8");
    gone.add(src + "app/file-9");
    b.source.deleteAll(gone);
    put(b.source, src + "app/file-0", "file 0 v2");
    put(b.source, src + "app/file-1", "file 1 v2");
    for (int i = 10; i < 13; i++) {
      put(b.source, src + "app/file-" + i, "file " + i);
    }
    put(b.source, src + "db/data/lease", "lease B");
  }

  private static Map<String, String> withoutLease(Map<String, String> m) {
    Map<String, String> out = new TreeMap<>(m);
    out.remove("db/data/lease");
    return out;
  }

  /** The tier is state A plus some of B's objects (nothing deleted yet), or exactly B; lineages are whole. */
  static void assertRestorable(Map<String, String> tier, Map<String, String> a, Map<String, String> bState, String why) {
    assertFalse(tier.containsKey("db/data/lease"), why + ": the lease is never copied");
    for (Map.Entry<String, String> e : tier.entrySet()) {
      boolean fromA = e.getValue().equals(a.get(e.getKey()));
      boolean fromB = e.getValue().equals(bState.get(e.getKey()));
      assertTrue(fromA || fromB, why + ": " + e.getKey() + " holds neither state's content");
    }
    boolean hasAllOfA = tier.keySet().containsAll(a.keySet());
    assertTrue(hasAllOfA || tier.equals(bState), why + ": the previous state was deleted before the new one was complete");
    Map<String, List<Long>> chains = new TreeMap<>();
    for (String key : tier.keySet()) {
      Matcher m = SEGMENT.matcher(key);
      if (m.matches()) {
        chains.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(Long.parseLong(m.group(2), 16));
      }
    }
    for (Map.Entry<String, List<Long>> c : chains.entrySet()) {
      String lineage = c.getKey();
      String snapshot = tier.keySet().stream().filter(k -> k.startsWith(lineage + "snapshots/")).findFirst().orElse(null);
      assertTrue(snapshot != null, why + ": segments of " + lineage + " without its snapshot");
      long first = Long.parseLong(snapshot.substring(snapshot.lastIndexOf('/') + 1, snapshot.indexOf(".lvsn")), 16) + 1;
      List<Long> txids = c.getValue();
      for (int i = 0; i < txids.size(); i++) {
        assertEquals(first + i, txids.get(i), why + ": a gap in the segments of " + lineage + ": " + txids);
      }
    }
  }

  @Test
  void killedOrFailedRunsLeaveRestorableTiersAndResumeWithoutRecopying() {
    Random rnd = new Random(20261123L);
    for (int iter = 0; iter < 8; iter++) {
      String src = "resume-" + iter + "/";
      String dst = "tiers-" + iter + "/";
      writeA(src);
      try (TieredBackup clean = backup(b.source, b.target, src, dst)) {
        assertEquals(RunStatus.SUCCEEDED, clean.runNow("daily").status());
        assertEquals(RunStatus.SUCCEEDED, clean.runNow("1-week").status());
      }
      Map<String, String> a = withoutLease(contents(b.source, src));
      writeB(src);
      Map<String, String> bState = withoutLease(contents(b.source, src));
      int changes = 14;

      boolean kill = iter % 2 == 0;
      boolean onTarget = iter % 4 < 2;
      int n = 1 + rnd.nextInt(kill ? 30 : 40);
      String why = "iteration " + iter + (kill ? " killed at call " : " one failure at call ") + n
          + (onTarget ? " of the target" : " of the source");
      ObjectStore src2 = b.source;
      ObjectStore dst2 = b.target;
      DyingStore dying = null;
      if (kill) {
        dying = new DyingStore(onTarget ? b.target : b.source, n);
        if (onTarget) {
          dst2 = dying;
        } else {
          src2 = dying;
        }
      } else if (onTarget) {
        dst2 = new FaultyObjectStore(b.target).failCall(n, ErrorKind.SERVER_ERROR);
      } else {
        src2 = new FaultyObjectStore(b.source).failCall(n, ErrorKind.SERVER_ERROR);
      }
      TierRunReport broken;
      try (TieredBackup faulty = backup(src2, dst2, src, dst)) {
        broken = faulty.runNow("daily");
      }
      assertRestorable(contents(b.target, dst + "daily/"), a, bState, why);
      CLOCK.advance(TierLease.TTL); // the next run comes after the lease a killed run left has expired
      TierRunReport resumed;
      try (TieredBackup clean = backup(b.source, b.target, src, dst)) {
        resumed = clean.runNow("daily");
      }
      assertEquals(RunStatus.SUCCEEDED, resumed.status(), why + ": " + resumed);
      assertEquals(bState, contents(b.target, dst + "daily/"), why + ": complete after the re-run");
      if (broken.status() == RunStatus.SUCCEEDED) {
        assertEquals(0, resumed.copied(), why);
      } else if (kill) {
        assertTrue(resumed.copied() >= changes - broken.copied() && resumed.copied() < changes - broken.copied() + CHECKPOINT,
            why + ": re-copied more than one checkpoint: " + broken + " / " + resumed);
      } else if (broken.errors().stream().noneMatch(e -> e.contains("_litevault/"))) {
        assertEquals(changes, broken.copied() + resumed.copied(), why + ": " + broken + " / " + resumed);
      }

      // The same for the server-side copy daily -> 1-week, killed on the target.
      int m = 1 + rnd.nextInt(25);
      try (TieredBackup faulty = backup(b.source, new DyingStore(b.target, m), src, dst)) {
        faulty.runNow("1-week");
      }
      assertRestorable(contents(b.target, dst + "1-week/"), a, bState, "1-week killed at call " + m);
      CLOCK.advance(TierLease.TTL);
      try (TieredBackup clean = backup(b.source, b.target, src, dst)) {
        assertEquals(RunStatus.SUCCEEDED, clean.runNow("1-week").status());
      }
      assertEquals(bState, contents(b.target, dst + "1-week/"), "1-week complete after the re-run");
    }
  }
}
