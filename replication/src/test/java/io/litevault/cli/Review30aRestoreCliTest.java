package io.litevault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.KeysetHandle;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.crypt.TestKeys;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review 30a: the restore command on a bucket where a key scope was turned on (failing test). */
class Review30aRestoreCliTest {
  @TempDir Path dir;

  private static RestoreCli.Run run(String... args) {
    return RestoreCli.inProcess(Map.of(), args);
  }

  /**
   * Scenario: the migration README describes ("A scope can be turned on in a bucket with history"): database
   * "data" replicated unscoped (rows 1-3), then its replicator restarted with {@code .scoped("data")}, which
   * continues the lineage (rows 4-6 in scoped segments). Disaster: the operator runs the restore command with
   * the keyset, as before, without {@code --key-scope}.
   *
   * <p>Expected: README: "a reader without the scope is told it needs one (SCOPE_REQUIRED)"; the brief of
   * "Bad input gets a typed, clear exception naming what was wrong" (house rules): the failure names the flag
   * to add ({@code --key-scope}) and does not steer to an older point.
   *
   * <p>Actual: exit 5 (an object is missing or corrupt) whose command hint is "(--txid 3)" — and the
   * {@code --json} output's newestRestorableTxid — pointing the operator at the last unscoped transaction:
   * following it restores the database as it was before the scope was turned on, silently dropping every
   * later write. The message never names {@code --key-scope}.
   */
  @Test
  void aRestoreWithoutTheScopeOfABucketWithUnscopedHistoryPointsToTheOldPointNotToKeyScope() throws Exception {
    KeysetHandle keyset = TestKeys.fresh();
    Path keysetFile = dir.resolve("keyset.json");
    Files.writeString(keysetFile, TestKeys.json(keyset));
    Path bucket = Files.createDirectories(dir.resolve("bucket"));
    EncryptedObjectStore encrypted = EncryptedObjectStore.wrap(FileSystemObjectStore.create(bucket),
        TestKeys.provider(keyset));
    try (SqliteStore db = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build()).open()) {
      // The scope turned on in a bucket with history: the replicator reads the unscoped lease and lineage too.
      for (ObjectStore store : new ObjectStore[] {encrypted, encrypted.scoped("data").withUnscopedHistory()}) {
        try (Replicator r = Replicator.start(db.database("data"), ReplicatorOptions.builder(store, "litevault/data")
            .minUploadInterval(Duration.ZERO).compactionWindows(List.of()).snapshotChainFraction(0)
            .workDirectory(dir.resolve("work")).build())) {
          for (int i = 0; i < 3; i++) {
            RestoreCli.insert(r, "row");
          }
        }
      }
    }
    String src = bucket.resolve("litevault").toUri().toString();
    RestoreCli.Run ok = run("--source", src, "--database", "data", "--output", dir.resolve("ok.db").toString(),
        "--keyset-file", keysetFile.toString(), "--key-scope", "data", "--allow-unscoped-history");
    assertEquals(ExitCode.OK.code(), ok.exit(), "with the scope the bucket restores: " + ok);
    RestoreCli.Run strict = run("--source", src, "--database", "data", "--output", dir.resolve("s.db").toString(),
        "--keyset-file", keysetFile.toString(), "--key-scope", "data", "--json");
    String strictSaid = strict.out() + strict.err();
    assertEquals(ExitCode.BAD_OBJECT.code(), strict.exit(), strict.toString());
    assertTrue(strictSaid.contains("--allow-unscoped-history"), strictSaid);
    assertFalse(strictSaid.contains("--txid") || strictSaid.contains("newestRestorableTxid"), strictSaid);

    RestoreCli.Run none = run("--source", src, "--database", "data", "--output", dir.resolve("n.db").toString(),
        "--keyset-file", keysetFile.toString(), "--json");
    assertFalse(Files.exists(dir.resolve("n.db")));
    String said = none.out() + none.err();
    assertTrue(said.contains("--key-scope"), "the failure names the flag to add: " + none);
    assertFalse(said.contains("--txid") || said.contains("newestRestorableTxid"),
        "a missing scope is not a corrupt object: no older point offered: " + none);
  }
}
