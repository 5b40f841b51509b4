package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bucket written by the version before 45978ac (directories {@code <segment>%d}, '%' as %25), here made by
 * re-encoding a live replica's files exactly as the old KeyPaths did, opened by the new code.
 */
class LegacyBucketReviewTest {
  @TempDir Path dir;

  /** The old KeyPaths: every directory segment encoded + "%d", the file name encoded. */
  private static void copyAsLegacy(Path plain, Path legacy) throws Exception {
    List<Path> files;
    try (Stream<Path> w = Files.walk(plain)) {
      files = w.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().contains("%tmp-")).toList();
    }
    for (Path f : files) {
      Path rel = plain.relativize(f);
      Path to = legacy;
      for (int i = 0; i < rel.getNameCount(); i++) {
        String seg = rel.getName(i).toString().replace("%", "%25");
        to = to.resolve(i < rel.getNameCount() - 1 ? seg + "%d" : seg);
      }
      Files.createDirectories(to.getParent());
      Files.copy(f, to);
    }
  }

  @Test
  void anOldLayoutBucketIsRefusedNotSilentlyEmpty() throws Exception {
    Path plainDir = Files.createDirectories(dir.resolve("plain"));
    Path legacyDir = Files.createDirectories(dir.resolve("legacy"));
    try (SqliteStore a = SqliteStore.builder(dir.resolve("a")).database("data", DatabaseOptions.builder()
        .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).build()).open();
        SqliteStore b = SqliteStore.builder(dir.resolve("b")).database("data", DatabaseOptions.builder()
            .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database da = a.database("data");
      try (Replicator ra = Replicator.start(da, ReplicatorOptions.builder(FileSystemObjectStore.create(plainDir),
          "app/litevault/data").build())) {
        for (int i = 0; i < 5; i++) {
          ra.write(ReplicationTest.insert("c", "row " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        }
        // ra is live and holds the lease; the legacy bucket is what an old-version process holding it looks like.
        copyAsLegacy(plainDir, legacyDir);
        FileSystemObjectStore legacy = FileSystemObjectStore.create(legacyDir);

        // Restore: must either restore (as before 45978ac) or say "migrate", not report an empty bucket.
        // Tightened for this design, which reads a legacy root in its own layout: it must restore.
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(legacy, "app/litevault/data", out).build());
        assertTrue(legacy.isLegacyLayout());
        org.junit.jupiter.api.Assertions.assertEquals(da.read(Dumps::dump), Dumps.dump(out),
            "the legacy bucket restores the live database");
      }
    }
  }

  @Test
  void aSecondReplicatorOnAnOldLayoutBucketHeldByALiveProcessIsRefused() throws Exception {
    Path plainDir = Files.createDirectories(dir.resolve("plain"));
    Path legacyDir = Files.createDirectories(dir.resolve("legacy"));
    try (SqliteStore a = SqliteStore.builder(dir.resolve("a")).database("data", DatabaseOptions.builder()
        .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).build()).open();
        SqliteStore b = SqliteStore.builder(dir.resolve("b")).database("data", DatabaseOptions.builder()
            .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      try (Replicator ra = Replicator.start(a.database("data"), ReplicatorOptions.builder(
          FileSystemObjectStore.create(plainDir), "app/litevault/data").build())) {
        ra.write(ReplicationTest.insert("c", "row"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
        copyAsLegacy(plainDir, legacyDir); // an old-version process holding the lease, on the old layout
        FileSystemObjectStore legacy = FileSystemObjectStore.create(legacyDir);
        Throwable t = null;
        try (Replicator rb = Replicator.start(b.database("data"), ReplicatorOptions.builder(legacy,
            "app/litevault/data").build())) {
          rb.write(ReplicationTest.insert("d", "other writer"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
          try (Stream<Path> w = Files.walk(legacyDir)) {
            System.out.println("second writer started; bucket now: " + w.map(p -> legacyDir.relativize(p).toString()).sorted().toList());
          }
        } catch (Throwable e) {
          t = e;
        }
        assertTrue(t != null && (t instanceof LeaseException || String.valueOf(t.getMessage()).contains("migrateLegacyLayout")),
            "a second replicator took the prefix of a live holder on the old layout: " + t);
      }
    }
  }
}
