package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.testing.MutableClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tier switching between two sources whose lineage ids do not compare (each destination has its own),
 * on objects shaped like a replica's (the backup copies bytes; it never reads them): the loss guard lets a
 * switch through because it counts loss net of the copies, the lineage guard compares databases instead
 * of lineage ids, and the manifest records where the tier's lineages come from.
 */
class SourceSwitchTest {
  /** Older id than A's lineage: a strict lineage check would call a switch to B a lost lineage. */
  static final String B_LINEAGE = "20261201T110000000Z-bbbbbbbb";
  static final String A_LINEAGE = "20261201T120000000Z-aaaaaaaa";

  @TempDir Path dir;

  static void replica(ObjectStore s, String lineage, String body) {
    String p = "litevault/data/lineages/" + lineage + "/";
    TwoBuckets.put(s, p + "snapshots/0000000000000001.lvsn", "snapshot " + body);
    TwoBuckets.put(s, p + "segments/0000000000000002-0000000000000005.lvsg", "segment 2-5 " + body);
    TwoBuckets.put(s, p + "segments/0000000000000006-0000000000000009.lvsg", "segment 6-9 " + body);
    TwoBuckets.put(s, "app/config.json", "{}");
  }

  /** Every file under {@code root} as last modified {@code ago} before now. */
  static void age(Path root, Duration ago) throws IOException {
    FileTime t = FileTime.from(Instant.now().minus(ago));
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.setLastModifiedTime(f, t);
      }
    }
  }

  @Test
  void aLaggingPreferredSourceIsLeftForTheFresherOneAndTakenBackOnceItCaughtUp() throws Exception {
    ObjectStore a = FileSystemObjectStore.create(dir.resolve("a"));
    ObjectStore b = FileSystemObjectStore.create(dir.resolve("b"));
    ObjectStore target = FileSystemObjectStore.create(dir.resolve("target"));
    replica(a, A_LINEAGE, "from a");
    replica(b, B_LINEAGE, "from b");
    BackupOptions options = BackupOptions.builder(a, target).targetPrefix("backups/").alternateSource(b, "")
        .clock(new MutableClock(Instant.parse("2026-12-01T12:00:00Z"))).build();
    try (TieredBackup backup = TieredBackup.create(options)) {
      TierRunReport first = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, first.status(), first.toString());
      assertEquals(0, first.source().chosen(), "equally fresh: the preferred source");
      assertEquals("from a", lineageBody(target, A_LINEAGE));
      assertEquals(RunStatus.SUCCEEDED, backup.runNow("1-week").status());

      age(dir.resolve("a"), Duration.ofMinutes(10));
      TierRunReport second = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, second.status(), second.toString());
      assertEquals(1, second.source().chosen(), second.source().toString());
      assertEquals(0, second.source().candidates().get(0).freshDatabases());
      assertEquals(1, second.source().candidates().get(1).freshDatabases());
      assertEquals(4, second.copied(), "B's lineage, and B's copy of the application file (another time)");
      assertEquals(3, second.deleted(), "A's lineage, after B's was copied");
      assertEquals(Map.of("app/config.json", 2L), TwoBuckets.sizes(target, "backups/daily/").entrySet().stream()
          .filter(e -> !e.getKey().contains("lineages/")).collect(java.util.stream.Collectors.toMap(
              Map.Entry::getKey, Map.Entry::getValue)));
      assertEquals("from b", lineageBody(target, B_LINEAGE));
      assertNull(lineageBodyOrNull(target, A_LINEAGE), "the tier mirrors its source: no lineage of A is left");
      RunManifest m = RunManifest.read(target, "backups/daily/").orElseThrow();
      assertEquals(java.util.List.of(options.sources().get(1).describe()), m.lineagesFrom());
      assertEquals(1, m.last().source().chosen());
      assertTrue(m.last().source().reason().contains("preferred source was fresh for 0"), m.last().source().reason());

      // the 1-week tier (holding A's lineage) copies the daily tier, and so switches too: its guard sees the
      // switch by the two manifests
      TierRunReport week = backup.runNow("1-week");
      assertEquals(RunStatus.SUCCEEDED, week.status(), week.toString());
      assertNull(week.source());
      assertEquals(3, week.deleted());
      assertEquals("from b", TwoBuckets.read(target, "backups/1-week/litevault/data/lineages/" + B_LINEAGE
          + "/snapshots/0000000000000001.lvsn").substring("snapshot ".length()));

      age(dir.resolve("b"), Duration.ofMinutes(20)); // A caught up: fresher than B now
      age(dir.resolve("a"), Duration.ZERO);
      TierRunReport third = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, third.status(), third.toString());
      assertEquals(0, third.source().chosen());
      assertEquals("from a", lineageBody(target, A_LINEAGE));
      assertNull(lineageBodyOrNull(target, B_LINEAGE));
    }
  }

  @Test
  void aSwitchToASourceWithoutOneOfTheTiersDatabasesIsRefused() throws Exception {
    ObjectStore a = FileSystemObjectStore.create(dir.resolve("a"));
    ObjectStore b = FileSystemObjectStore.create(dir.resolve("b"));
    ObjectStore target = FileSystemObjectStore.create(dir.resolve("target"));
    replica(a, A_LINEAGE, "from a");
    TwoBuckets.put(b, "litevault/other/lineages/" + B_LINEAGE + "/snapshots/0000000000000001.lvsn", "other");
    BackupOptions options = BackupOptions.builder(a, target).targetPrefix("backups/").alternateSource(b, "")
        .clock(new MutableClock(Instant.parse("2026-12-01T12:00:00Z"))).build();
    try (TieredBackup backup = TieredBackup.create(options)) {
      assertEquals(0, backup.runNow("daily").source().chosen(), "one fresh database each: the preferred source");
      // now B is fresh for two databases, A for one (its own 'data'): B is chosen, and B has no 'data'
      TwoBuckets.put(b, "litevault/third/lineages/" + B_LINEAGE + "/snapshots/0000000000000001.lvsn", "third");
      BackupRefusedException e = assertThrows(BackupRefusedException.class, () -> backup.runNow("daily"));
      assertEquals(BackupRefusedException.Reason.LINEAGE_LOSS, e.reason());
      assertTrue(e.getMessage().contains("holds no lineage of database 'litevault/data'"), e.getMessage());
      assertEquals(1, e.report().orElseThrow().source().chosen());
      assertEquals("from a", lineageBody(target, A_LINEAGE), "the tier is as it was");
      RunManifest m = RunManifest.read(target, "backups/daily/").orElseThrow();
      assertEquals(java.util.List.of(options.sources().get(0).describe()), m.lineagesFrom(),
          "a refused run leaves the tier's sources as they were");
    }
  }

  @Test
  void aSingleSourceKeepsTheStrictLineageCheck() throws Exception {
    ObjectStore a = FileSystemObjectStore.create(dir.resolve("a"));
    ObjectStore target = FileSystemObjectStore.create(dir.resolve("target"));
    replica(a, A_LINEAGE, "from a");
    BackupOptions options = BackupOptions.builder(a, target).targetPrefix("backups/")
        .clock(new MutableClock(Instant.parse("2026-12-01T12:00:00Z"))).build();
    try (TieredBackup backup = TieredBackup.create(options)) {
      assertEquals(RunStatus.SUCCEEDED, backup.runNow("daily").status());
      // the same bucket now holds another copy (an older lineage id): refused, as before alternate sources
      for (String k : TwoBuckets.sizes(a, "litevault/").keySet()) {
        a.delete("litevault/" + k);
      }
      replica(a, B_LINEAGE, "from b");
      BackupRefusedException e = assertThrows(BackupRefusedException.class, () -> backup.runNow("daily"));
      assertEquals(BackupRefusedException.Reason.LINEAGE_LOSS, e.reason());
      assertNotNull(lineageBodyOrNull(target, A_LINEAGE));
    }
  }

  static String lineageBody(ObjectStore target, String lineage) {
    String s = lineageBodyOrNull(target, lineage);
    assertNotNull(s, lineage + " is not in the tier");
    return s;
  }

  static String lineageBodyOrNull(ObjectStore target, String lineage) {
    String key = "backups/daily/litevault/data/lineages/" + lineage + "/snapshots/0000000000000001.lvsn";
    return target.stat(key).isPresent() ? TwoBuckets.read(target, key).substring("snapshot ".length()) : null;
  }
}
