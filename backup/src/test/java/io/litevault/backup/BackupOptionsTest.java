package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.ObjectStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class BackupOptionsTest {
  @TempDir Path dir;

  private void refused(String expected, Executable e) {
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
    assertTrue(x.getMessage().contains(expected), x.getMessage());
  }

  @Test
  void builderRejectsBadValuesNamingThem() {
    ObjectStore a = FileSystemObjectStore.create(dir);
    var b = BackupOptions.builder(a, FileSystemObjectStore.create(dir));
    refused("'backups'", () -> b.targetPrefix("backups"));
    refused("'/x/'", () -> b.sourcePrefix("/x/"));
    refused("was 0", () -> b.parallelism(0));
    refused("was 65", () -> b.parallelism(65));
    refused("was 0", () -> b.checkpointEvery(0));
    refused("PT0S", () -> b.retryDelay(Duration.ZERO));
    refused("'weekly'", () -> b.tiers(List.of(Tier.fromTier("weekly", "daily", Schedule.cron("0 1 * * 0")))));
    refused("'daily' is used twice", () -> b.tiers(List.of(Tier.fromSource("daily", Schedule.cron("0 1 * * *")),
        Tier.fromSource("daily", Schedule.cron("0 2 * * *")))));
    refused("'a b'", () -> Tier.fromSource("a b", Schedule.cron("0 1 * * *")));
    refused("overlaps", () -> BackupOptions.builder(a, a).targetPrefix("").build());
  }

  /** The shared rules of io.litevault.store.Names: stricter than backup's own checks were (see the commit). */
  @Test
  void prefixesAndTierNamesFollowTheSharedNameRules() {
    ObjectStore a = FileSystemObjectStore.create(dir);
    var b = BackupOptions.builder(a, FileSystemObjectStore.create(dir));
    for (String bad : new String[] {"a/../", "./", "a b/", "donn\u00e9es/", "x\u0000/", "a//", "a\\b/"}) {
      refused("invalid target prefix '", () -> b.targetPrefix(bad));
      refused("invalid source prefix '", () -> b.sourcePrefix(bad));
    }
    refused("invalid target prefix 'null'", () -> b.targetPrefix(null));
    assertEquals("backups/x.y_z-1/", b.targetPrefix("backups/x.y_z-1/").build().targetPrefix());
    for (String bad : new String[] {"..", ".", "", "a/b", "t\u00e9", "x".repeat(65), "_litevault"}) {
      refused("invalid tier name '", () -> Tier.fromSource(bad, Schedule.cron("@daily")));
    }
    refused("'_litevault' is reserved", () -> Tier.fromSource("_litevault", Schedule.cron("@daily")));
    assertEquals("x".repeat(64), Tier.fromSource("x".repeat(64), Schedule.cron("@daily")).name());
  }

  @Test
  void defaultsAreTheThreeTiersInUtc() {
    ObjectStore a = FileSystemObjectStore.create(dir);
    BackupOptions o = BackupOptions.builder(a, FileSystemObjectStore.create(dir)).targetPrefix("backups/").build();
    assertEquals(List.of("daily", "1-week", "2-week"), o.tiers().stream().map(Tier::name).toList());
    assertEquals("backups/1-week/", o.tierPrefix("1-week"));
    assertEquals(BackupOptions.DEFAULT_PARALLELISM, o.parallelism());
    refused("no tier named 'monthly'", () -> o.tier("monthly"));
  }
}
