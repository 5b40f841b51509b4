package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.KeysetHandle;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.crypt.TestKeys;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code litevault-backup --verify} on an encrypted bucket: with {@code --keyset-env} the restore-check
 * decrypts and passes (the copy itself needs no key), without it the check fails (exit 12); a keyset flag
 * without {@code --verify}, or one that cannot be loaded, is a usage error naming the flag; the key is printed
 * nowhere.
 */
class EncryptedBackupCliTest {
  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  static Result run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BackupCli.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  /** Replicates two rows of database "data" into {@code <dir>/source}, encrypted, in {@code scope} (or none). */
  private Path replicate(KeysetHandle keyset, String scope) throws Exception {
    Path source = Files.createDirectories(dir.resolve("source"));
    EncryptedObjectStore encrypted = EncryptedObjectStore.wrap(FileSystemObjectStore.create(source),
        TestKeys.provider(keyset));
    try (ObjectStore bucket = scope == null ? encrypted : encrypted.scoped(scope);
        SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
            .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build()).open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, "litevault/data")
            .workDirectory(dir.resolve("work")).build())) {
      r.write(c -> {
        try (var s = c.createStatement()) {
          return s.executeUpdate("INSERT INTO t(v) VALUES ('one'), ('two')");
        }
      }, Durability.REPLICATED).get();
    }
    return source;
  }

  @Test
  void theRestoreCheckDecryptsWithTheKeysetAndOnlyIt() throws Exception {
    KeysetHandle keyset = TestKeys.fresh();
    String json = TestKeys.json(keyset);
    Path source = replicate(keyset, null);
    String src = source.toUri().toString();
    String dst = Files.createDirectories(dir.resolve("target")).toUri().toString();
    Map<String, String> env = Map.of("LV_KEYSET", json);

    Result ok = run(env, "--source", src, "--target", dst, "--tier", "daily", "--verify", "--keyset-env", "LV_KEYSET");
    assertEquals(BackupCli.OK, ok.code(), ok.toString());
    assertTrue(ok.out().contains("tier daily SUCCEEDED"), ok.out()); // VERIFICATION_FAILED otherwise (exit 12)

    Result noKeys = run(env, "--source", src, "--target", dst, "--tier", "daily", "--verify");
    assertEquals(BackupCli.VERIFICATION_FAILED, noKeys.code(), noKeys.toString());

    Result notVerifying = run(env, "--source", src, "--target", dst, "--tier", "daily", "--keyset-env", "LV_KEYSET");
    assertEquals(BackupCli.USAGE, notVerifying.code(), notVerifying.toString());
    assertTrue(notVerifying.err().contains("--keyset-env serves only --verify"), notVerifying.err());

    Result unset = run(Map.of(), "--source", src, "--target", dst, "--tier", "daily", "--verify", "--keyset-env",
        "LV_KEYSET");
    assertEquals(BackupCli.USAGE, unset.code(), unset.toString());
    assertTrue(unset.err().contains("--keyset-env: keyset in $LV_KEYSET"), unset.err());

    String secret = json.replaceAll("(?s).*\"value\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    for (Result r : new Result[] {ok, noKeys, notVerifying, unset}) {
      assertFalse((r.out() + r.err()).contains(secret), "the key in the output");
    }
  }

  /** A bucket written with a key scope: the restore-check passes in that scope only. */
  @Test
  void aScopedBucketVerifiesInItsScope() throws Exception {
    KeysetHandle keyset = TestKeys.fresh();
    Path source = replicate(keyset, "data");
    String src = source.toUri().toString();
    String dst = Files.createDirectories(dir.resolve("target")).toUri().toString();
    Map<String, String> env = Map.of("LV_KEYSET", TestKeys.json(keyset));

    Result ok = run(env, "--source", src, "--target", dst, "--tier", "daily", "--verify", "--keyset-env", "LV_KEYSET",
        "--key-scope", "data");
    assertEquals(BackupCli.OK, ok.code(), ok.toString());
    assertTrue(ok.out().contains("tier daily SUCCEEDED"), ok.out());
    Result byName = run(env, "--source", src, "--target", dst, "--tier", "daily", "--verify", "--keyset-env",
        "LV_KEYSET", "--key-scope-by-database"); // litevault/data: scope "data"
    assertEquals(BackupCli.OK, byName.code(), byName.toString());
    Result unscoped = run(env, "--source", src, "--target", dst, "--tier", "daily", "--verify", "--keyset-env",
        "LV_KEYSET");
    assertEquals(BackupCli.VERIFICATION_FAILED, unscoped.code(), unscoped.toString());
    assertTrue((unscoped.out() + unscoped.err()).contains("key scope"), unscoped.toString());
    Result otherScope = run(env, "--source", src, "--target", dst, "--tier", "daily", "--verify", "--keyset-env",
        "LV_KEYSET", "--key-scope", "users");
    assertEquals(BackupCli.VERIFICATION_FAILED, otherScope.code(), otherScope.toString());
    Result noKeys = run(env, "--source", src, "--target", dst, "--tier", "daily", "--verify", "--key-scope", "data");
    assertEquals(BackupCli.USAGE, noKeys.code(), noKeys.toString());
    assertTrue(noKeys.err().contains("--key-scope needs --keyset-file or --keyset-env"), noKeys.err());
  }
}
