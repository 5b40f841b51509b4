package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.crypt.KeyProvider;
import io.litevault.bucket.crypt.TestKeys;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.MultiReplicator;
import io.litevault.replication.MultiReplicatorOptions;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One database replicated by a real {@code MultiReplicator} to two destinations (file stores, each with
 * its own lineages), backed up with the first as the preferred source and the second as the alternate:
 * equally fresh, the preferred one is copied; the preferred one lagging (an earlier copy of it, its times
 * moved back past the tolerance), the fresher one is copied and the tier restores to the newer rows; once
 * the preferred one caught up, the next run copies it again and the tier still restores. Plain and
 * encrypted (the backup runs on the raw stores, without the key). And a preferred source that cannot be
 * listed: the alternate is copied and the failure reported.
 */
class MultipleSourcesTest {
  @TempDir Path dir;
  private int rows;

  private ObjectStore fs(String name) throws IOException {
    return FileSystemObjectStore.create(Files.createDirectories(dir.resolve(name)));
  }

  private ObjectStore wrap(ObjectStore raw, KeyProvider keys) {
    return keys == null ? raw : EncryptedObjectStore.wrap(raw, keys);
  }

  /** Writes {@code n} rows through both destinations (REPLICATED: in both buckets when it returns). */
  private void write(SqliteStore store, ObjectStore a, ObjectStore b, int n) throws Exception {
    try (MultiReplicator m = MultiReplicator.start(store.database("data"), MultiReplicatorOptions.builder()
        .destination("a", ReplicatorOptions.builder(a, "litevault/data").build())
        .destination("b", ReplicatorOptions.builder(b, "litevault/data").build()).build())) {
      for (int i = 0; i < n; i++) {
        int v = ++rows;
        m.write(c -> {
          try (var ps = c.prepareStatement("INSERT INTO t(v) VALUES (?)")) {
            ps.setInt(1, v);
            return ps.executeUpdate();
          }
        }, Durability.REPLICATED).get();
      }
    }
  }

  private SqliteStore open() {
    return SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)").build()).open();
  }

  private long restoredRows(ObjectStore target, KeyProvider keys, String tier, String name) throws Exception {
    Path out = dir.resolve(name + ".db");
    Restore.run(RestoreOptions.builder(wrap(target, keys), "backups/" + tier + "/data", out).build());
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + out);
        var rs = c.createStatement().executeQuery("SELECT count(*) FROM t")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Set<String> lineages(ObjectStore s, String prefix) {
    Set<String> out = new TreeSet<>();
    TwoBuckets.sizes(s, prefix).keySet().stream().filter(k -> k.startsWith("lineages/"))
        .forEach(k -> out.add(k.split("/")[1]));
    return out;
  }

  @ParameterizedTest(name = "encrypted={0}")
  @ValueSource(booleans = {false, true})
  void copiesTheFreshestSourceAndGoesBackToThePreferredOneOnceItCaughtUp(boolean encrypted) throws Exception {
    KeyProvider keys = encrypted ? TestKeys.provider(TestKeys.fresh()) : null;
    ObjectStore rawA = fs("a");
    ObjectStore rawB = fs("b");
    ObjectStore target = fs("target");
    // the backup never has the key: it runs on the raw stores
    BackupOptions options = BackupOptions.builder(rawA, target).sourcePrefix("litevault/").targetPrefix("backups/")
        .alternateSource(rawB, "litevault/").clock(new MutableClock(Instant.parse("2026-12-01T12:00:00Z"))).build();
    try (SqliteStore store = open(); TieredBackup backup = TieredBackup.create(options)) {
      write(store, wrap(rawA, keys), wrap(rawB, keys), 10);
      assertTrue(!lineages(rawA, "litevault/data/").equals(lineages(rawB, "litevault/data/")),
          "each destination has its own lineages");

      TierRunReport first = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, first.status(), first.toString());
      assertEquals(0, first.source().chosen(), "equally fresh: the preferred source, " + first.source());
      assertEquals(lineages(rawA, "litevault/data/"), lineages(target, "backups/daily/data/"));
      assertEquals(10, restoredRows(target, keys, "daily", "first"));

      copyTree(dir.resolve("a"), dir.resolve("a-old")); // A as it was at 10 rows
      write(store, wrap(rawA, keys), wrap(rawB, keys), 10);
      Files.move(dir.resolve("a"), dir.resolve("a-full"));
      Files.move(dir.resolve("a-old"), dir.resolve("a"));
      SourceSwitchTest.age(dir.resolve("a"), Duration.ofMinutes(10)); // A lags: its upload stopped 10 min ago

      TierRunReport second = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, second.status(), second.toString());
      assertEquals(1, second.source().chosen(), second.source().toString());
      assertTrue(second.toString().contains("from source 1"), second.toString());
      assertEquals(lineages(rawB, "litevault/data/"), lineages(target, "backups/daily/data/"),
          "the tier holds B's lineages only");
      assertEquals(20, restoredRows(target, keys, "daily", "second"), "the fresher data");

      // A caught up (its full copy back), and both take 5 more rows
      deleteTree(dir.resolve("a"));
      Files.move(dir.resolve("a-full"), dir.resolve("a"));
      write(store, wrap(rawA, keys), wrap(rawB, keys), 5);
      TierRunReport third = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, third.status(), third.toString());
      assertEquals(0, third.source().chosen(), third.source().toString());
      assertEquals(lineages(rawA, "litevault/data/"), lineages(target, "backups/daily/data/"));
      assertEquals(25, restoredRows(target, keys, "daily", "third"));
    }
  }

  @Test
  void aPreferredSourceThatCannotBeListedIsSkippedAndReported() throws Exception {
    ObjectStore rawA = fs("a");
    ObjectStore rawB = fs("b");
    ObjectStore target = fs("target");
    try (SqliteStore store = open()) {
      write(store, rawA, rawB, 7);
    }
    ObjectStore down = new DyingStore(rawA, 1); // every call fails: connection refused
    BackupOptions options = BackupOptions.builder(down, target).sourcePrefix("litevault/").targetPrefix("backups/")
        .alternateSource(rawB, "litevault/").clock(new MutableClock(Instant.parse("2026-12-01T12:00:00Z"))).build();
    try (TieredBackup backup = TieredBackup.create(options)) {
      TierRunReport r = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, r.status(), r.toString());
      assertEquals(1, r.source().chosen());
      assertTrue(r.errors().isEmpty(), r.errors().toString());
      SourceReport.Candidate a = r.source().candidates().get(0);
      assertEquals(-1, a.freshDatabases());
      assertNotNull(a.error());
      assertTrue(a.error().contains("process killed"), a.error());
      assertTrue(r.source().reason().contains("could not be listed"), r.source().reason());
      assertEquals(7, restoredRows(target, null, "daily", "alt"));
      RunManifest m = RunManifest.read(target, "backups/daily/").orElseThrow();
      assertEquals(a.error(), m.last().source().candidates().get(0).error(), "the manifest says why, too");
    }
    // neither answers: the run fails as with one source, with the preferred one's failure
    BackupOptions none = BackupOptions.builder(down, target).sourcePrefix("litevault/").targetPrefix("backups/")
        .alternateSource(new DyingStore(rawB, 1), "litevault/")
        .clock(new MutableClock(Instant.parse("2026-12-02T12:00:00Z"))).build();
    try (TieredBackup backup = TieredBackup.create(none)) {
      TierRunReport r = backup.runNow("daily");
      assertEquals(RunStatus.FAILED, r.status(), r.toString());
      assertNull(r.source());
      assertTrue(r.errors().get(0).contains("process killed"), r.errors().toString());
      assertEquals(7, restoredRows(target, null, "daily", "after-failure"), "the tier is as it was");
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q);
        }
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
