package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.crypt.KeyProvider;
import io.litevault.bucket.crypt.TestKeys;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.MultiReplicator;
import io.litevault.replication.MultiReplicatorOptions;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review 30a: key scopes in the backup's restore-check (the tests of the withdrawn source choice went with it). */
class Review30aTest {
  @TempDir Path dir;

  private ObjectStore fs(String name) throws IOException {
    return FileSystemObjectStore.create(Files.createDirectories(dir.resolve(name)));
  }

  /**
   * Scenario: the setup key scopes were made for: one keyset, two databases ("orders" and "users") in one
   * bucket, each replicated through {@code EncryptedObjectStore.wrap(raw, keys).scoped(<its name>)}, and the
   * tiered backup of that bucket with the restore-check the README prescribes,
   * {@code new RestoreVerifier(scratch, keys, "orders")}.
   *
   * <p>Expected: README, "Client-side encryption": "One keyset, several databases: give each a key scope ...
   * Bind each database's objects to its name ... for the replicator and every reader (... the backup's
   * restore-check: {@code new RestoreVerifier(scratch, keys, "orders")})"; "Tiered backups": the verifier
   * "restore-check[s] every fresh tier". A tier that is a faithful copy of a good bucket verifies.
   *
   * <p>Actual: RestoreVerifier (and {@code litevault-backup --key-scope}) takes one scope and "reads every
   * database of the tier in it": "users" fails to decrypt in scope "orders" ("another key scope"), so every
   * run of a correctly configured multi-database backup ends VERIFICATION_FAILED (CLI exit 12), with no
   * way to give each database its scope. Whichever scope is given, one database fails.
   * Fixed: a verifier takes a scope per database (RestoreVerifier.SCOPE_IS_DATABASE_NAME: the last segment of
   * each database's prefix, the convention the README gives; CLI --key-scope-by-database).
   */
  @Test
  void theRestoreCheckOfATierOfSeveralScopedDatabasesAlwaysFails() throws Exception {
    KeyProvider keys = TestKeys.provider(TestKeys.fresh());
    ObjectStore raw = fs("source");
    ObjectStore target = fs("target");
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live2"))
        .database("orders", DatabaseOptions.builder().migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build())
        .database("users", DatabaseOptions.builder().migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build())
        .open()) {
      for (String db : new String[] {"orders", "users"}) {
        try (Replicator r = Replicator.start(store.database(db), ReplicatorOptions.builder(
            EncryptedObjectStore.wrap(raw, keys).scoped(db), "litevault/" + db)
            .workDirectory(dir.resolve("work-" + db)).build())) {
          r.write(c -> {
            try (var s = c.createStatement()) {
              return s.executeUpdate("INSERT INTO t(v) VALUES ('a row of " + db + "')");
            }
          }, Durability.REPLICATED).get();
        }
      }
    }
    // each database restores in its own scope: the bucket is good
    for (String db : new String[] {"orders", "users"}) {
      Restore.run(RestoreOptions.builder(EncryptedObjectStore.wrap(raw, keys).scoped(db), "litevault/" + db,
          dir.resolve(db + ".db")).build());
    }
    try (TieredBackup backup = TieredBackup.create(BackupOptions.builder(raw, target).targetPrefix("backups/")
        .clock(new MutableClock(Instant.parse("2026-12-01T12:00:00Z")))
        .verifier(new RestoreVerifier(dir.resolve("scratch"), keys, RestoreVerifier.SCOPE_IS_DATABASE_NAME)).build())) {
      TierRunReport r = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, r.status(), "a faithful tier of a good bucket of two scoped databases, "
          + "checked as the README says: " + r);
      assertEquals(2, r.verification().databasesChecked(), r.verification().toString());
    }
  }
}
