package io.litevault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.KeysetHandle;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.crypt.TestKeys;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.Dumps;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restore command on an encrypted bucket: {@code --keyset-file} and {@code --keyset-env} name where the
 * keyset is (never the keyset itself); the restored file equals the source; a keyset that cannot be loaded is a
 * usage error naming the flag and the source; a keyset without the objects' key is a bad-object error naming
 * the object and the key id; the key appears in no output, {@code --json} included.
 */
class EncryptedRestoreCliTest {
  @TempDir
  Path dir;
  KeysetHandle keyset;
  String json;
  String source;
  Path keysetFile;

  @BeforeEach
  void replicate() throws Exception {
    keyset = TestKeys.fresh();
    json = TestKeys.json(keyset);
    keysetFile = dir.resolve("keyset.json");
    Files.writeString(keysetFile, json);
    source = replicate("bucket", null);
  }

  /** Replicates two rows into {@code <dir>/<bucketDir>/litevault/data}, scoped or not; the source's dump. */
  String replicate(String bucketDir, String scope) throws Exception {
    Path bucket = Files.createDirectories(dir.resolve(bucketDir));
    EncryptedObjectStore encrypted = EncryptedObjectStore.wrap(FileSystemObjectStore.create(bucket),
        TestKeys.provider(keyset));
    try (ObjectStore store = scope == null ? encrypted : encrypted.scoped(scope);
        SqliteStore db = SqliteStore.builder(dir.resolve("live-" + bucketDir)).database("data", DatabaseOptions.builder()
            .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build()).open();
        Replicator r = Replicator.start(db.database("data"), ReplicatorOptions.builder(store, "litevault/data")
            .minUploadInterval(Duration.ZERO).compactionWindows(List.of()).workDirectory(dir.resolve("work-" + bucketDir))
            .build())) {
      r.write(c -> {
        try (var s = c.createStatement()) {
          return s.executeUpdate("INSERT INTO t(v) VALUES ('secret row one'), ('secret row two')");
        }
      }, Durability.REPLICATED).get();
      return db.database("data").read(Dumps::dump);
    }
  }

  @Test
  void aScopedBucketRestoresWithItsScopeOnlyAndABadScopeIsAUsageError() throws Exception {
    String scoped = replicate("scoped", "data");
    String src = dir.resolve("scoped").resolve("litevault").toUri().toString();
    Path out = dir.resolve("s.db");
    Run ok = run(Map.of(), "--source", src, "--database", "data", "--output", out.toString(), "--keyset-file",
        keysetFile.toString(), "--key-scope", "data");
    assertEquals(ExitCode.OK.code(), ok.code(), ok.toString());
    assertEquals(scoped, Dumps.dump(out));

    Run none = run(Map.of(), "--source", src, "--database", "data", "--output", dir.resolve("n.db").toString(),
        "--keyset-file", keysetFile.toString());
    assertEquals(ExitCode.BAD_OBJECT.code(), none.code(), none.toString());
    assertTrue(none.err().contains("key scope"), none.err());
    Run other = run(Map.of(), "--source", src, "--database", "data", "--output", dir.resolve("o.db").toString(),
        "--keyset-file", keysetFile.toString(), "--key-scope", "users");
    assertEquals(ExitCode.BAD_OBJECT.code(), other.code(), other.toString());
    assertTrue(other.err().contains("another key scope"), other.err());
    assertFalse(Files.exists(dir.resolve("n.db")) || Files.exists(dir.resolve("o.db")));

    Run noKeys = run(Map.of(), "--source", src, "--database", "data", "--output", dir.resolve("k.db").toString(),
        "--key-scope", "data");
    assertEquals(ExitCode.USAGE.code(), noKeys.code(), noKeys.toString());
    assertTrue(noKeys.err().contains("--key-scope needs --keyset-file or --keyset-env"), noKeys.err());
    Run bad = run(Map.of(), "--source", src, "--database", "data", "--output", dir.resolve("k.db").toString(),
        "--keyset-file", keysetFile.toString(), "--key-scope", " data");
    assertEquals(ExitCode.USAGE.code(), bad.code(), bad.toString());
    assertTrue(bad.err().contains("--key-scope: key scope ' data'"), bad.err());
  }

  record Run(int code, String out, String err) {}

  Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    RestoreCommand command = new RestoreCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    command.environment = env;
    int code = new picocli.CommandLine(command).execute(args);
    Run r = new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    String secret = json.replaceAll("(?s).*\"value\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    assertFalse(r.out().contains(secret) || r.err().contains(secret), "the key in the output: " + r);
    return r;
  }

  String src() {
    return dir.resolve("bucket").resolve("litevault").toUri().toString();
  }

  @Test
  void restoresWithAKeysetFileOrVariable() throws Exception {
    Path out = dir.resolve("a.db");
    Run r = run(Map.of(), "--source", src(), "--database", "data", "--output", out.toString(), "--keyset-file",
        keysetFile.toString(), "--json");
    assertEquals(ExitCode.OK.code(), r.code(), r.toString());
    assertEquals(source, Dumps.dump(out));
    Path out2 = dir.resolve("b.db");
    r = run(Map.of("LV_KEYSET", json), "--source", src(), "--database", "data", "--output", out2.toString(),
        "--keyset-env", "LV_KEYSET");
    assertEquals(ExitCode.OK.code(), r.code(), r.toString());
    assertEquals(source, Dumps.dump(out2));
  }

  @Test
  void keysThatCannotBeHadOrDoNotFitAreNamed() throws Exception {
    Run missing = run(Map.of(), "--source", src(), "--database", "data", "--output", dir.resolve("c.db").toString(),
        "--keyset-file", dir.resolve("nope.json").toString());
    assertEquals(ExitCode.USAGE.code(), missing.code(), missing.toString());
    assertTrue(missing.err().contains("--keyset-file: keyset file " + dir.resolve("nope.json")), missing.err());
    Run unset = run(Map.of(), "--source", src(), "--database", "data", "--output", dir.resolve("c.db").toString(),
        "--keyset-env", "LV_KEYSET");
    assertEquals(ExitCode.USAGE.code(), unset.code(), unset.toString());
    assertTrue(unset.err().contains("$LV_KEYSET"), unset.err());
    Path other = dir.resolve("other.json");
    KeysetHandle otherKeys = TestKeys.fresh();
    Files.writeString(other, TestKeys.json(otherKeys));
    Run wrong = run(Map.of(), "--source", src(), "--database", "data", "--output", dir.resolve("d.db").toString(),
        "--keyset-file", other.toString(), "--json");
    assertEquals(ExitCode.BAD_OBJECT.code(), wrong.code(), wrong.toString());
    String id = Integer.toUnsignedString(keyset.getPrimary().getId());
    assertTrue(wrong.out().contains("key id " + id) || wrong.err().contains("key id " + id), wrong.toString());
    assertTrue((wrong.out() + wrong.err()).contains("data/lineages/"), wrong.toString());
    assertFalse(Files.exists(dir.resolve("d.db")));
  }
}
