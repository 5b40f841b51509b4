package io.litevault.cli;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.Dumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.cli.RestoreCli.Replica;
import io.litevault.cli.RestoreCli.Run;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The restore command as a user runs it: {@code java -jar target/litevault-restore.jar} in a child process
 * (run by failsafe after {@code package} built the jar), against a replica in a directory ({@code file://})
 * and in a real S3 server ({@code s3://}, with both the MinIO and the AWS client).
 */
class RestoreCliIT {
  private static final Map<String, String> CREDENTIALS =
      Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY);
  private static final Pattern TXID_HINT = Pattern.compile("--txid (\\d+)");

  @TempDir static Path shared;
  @TempDir Path dir;
  static EmbeddedS3 s3;
  static Path fileRoot;
  static Replica inFiles;
  static Replica inBucket;

  @BeforeAll
  static void writeReplicas() throws Exception {
    s3 = EmbeddedS3.start();
    fileRoot = shared.resolve("bucket-dir");
    Files.createDirectories(fileRoot);
    try (ObjectStore files = FileSystemObjectStore.create(FileSystemOptions.builder(fileRoot).fsync(false).build())) {
      inFiles = RestoreCli.write(files, "litevault/data", shared.resolve("live-files"));
    }
    try (ObjectStore bucket = MinioObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build())) {
      inBucket = RestoreCli.write(bucket, "litevault/data", shared.resolve("live-bucket"));
    }
  }

  @AfterAll
  static void stop() {
    s3.close();
  }

  /** The arguments that name the replica of database {@code data} for a source kind. */
  private static List<String> source(String kind) {
    return switch (kind) {
      case "file" -> List.of("--source", fileRoot.toUri() + "litevault", "--database", "data");
      default -> List.of("--source", "s3://" + s3.bucket() + "/litevault", "--database", "data",
          "--endpoint", s3.endpoint().toString(), "--client", kind);
    };
  }

  private static Replica replica(String kind) {
    return kind.equals("file") ? inFiles : inBucket;
  }

  private static Run cli(String kind, String... more) throws Exception {
    List<String> args = new ArrayList<>(source(kind));
    args.addAll(List.of(more));
    return RestoreCli.run(kind.equals("file") ? Map.of() : CREDENTIALS, args.toArray(String[]::new));
  }

  private static void assertOneCleanLine(Run r) {
    assertFalse(r.err().contains("\tat "), "no stack trace without --verbose:\n" + r);
    assertEquals(1, r.err().strip().lines().count(), "one line:\n" + r);
    assertFalse(r.all().contains(EmbeddedS3.SECRET_KEY), "no secret");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"file", "minio", "aws"})
  void latestTxidAndTimestampRestoreTheStatesThatWereCommitted(String kind) throws Exception {
    Replica replica = replica(kind);
    Path latest = dir.resolve("latest.db");
    Run r = cli(kind, "--output", latest.toString(), "--json");
    assertEquals(0, r.exit(), r.toString());
    assertEquals(replica.stateB(), Dumps.dump(latest));
    assertEquals("ok", Dumps.integrity(latest));
    assertTrue(r.out().strip().startsWith("{") && r.out().contains("\"txid\":" + replica.txidB() + ","), r.toString());
    assertTrue(r.out().contains("\"seconds\":") && r.out().contains("\"objects\":"), r.toString());

    Path byTxid = dir.resolve("by-txid.db");
    r = cli(kind, "--output", byTxid.toString(), "--txid", Long.toString(replica.txidA()));
    assertEquals(0, r.exit(), r.toString());
    assertEquals(replica.stateA(), Dumps.dump(byTxid));
    assertTrue(r.out().contains("at txid " + replica.txidA()), r.toString());

    Path byTime = dir.resolve("by-time.db");
    r = cli(kind, "--output", byTime.toString(), "--timestamp", replica.timeA().toString(), "--integrity-check", "quick");
    assertEquals(0, r.exit(), r.toString());
    assertEquals(replica.stateA(), Dumps.dump(byTime));
    assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().contains(".restoring-")), "no temporary left");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"file", "minio", "aws"})
  void listAndDryRunShowWhatCanBeRestoredWithoutWriting(String kind) throws Exception {
    Replica replica = replica(kind);
    Run list = cli(kind, "--list");
    assertEquals(0, list.exit(), list.toString());
    assertTrue(list.out().contains(".." + replica.txidB() + " "), list.toString());
    Run json = cli(kind, "--list", "--json");
    assertEquals(0, json.exit(), json.toString());
    assertTrue(json.out().contains("\"lastTxid\":" + replica.txidB()) && json.out().contains("\"lineage\":\"2"), json.toString());

    Path out = dir.resolve("never.db");
    Run dry = cli(kind, "--output", out.toString(), "--dry-run");
    assertEquals(0, dry.exit(), dry.toString());
    assertTrue(dry.out().contains("Would restore ") && dry.out().contains("data (lineage ") && dry.out().contains("to txid " + replica.txidB()), dry.toString());
    assertFalse(Files.exists(out), "a dry run writes nothing");
  }

  @Test
  void anExistingOutputIsNeverOverwrittenWithoutForce() throws Exception {
    Path out = dir.resolve("precious.db");
    Files.writeString(out, "precious");
    Run r = cli("file", "--output", out.toString());
    assertEquals(4, r.exit(), r.toString());
    assertTrue(r.err().contains("--force"), r.toString());
    assertOneCleanLine(r);
    assertEquals("precious", Files.readString(out));

    r = cli("file", "--output", out.toString(), "--if-db-not-exists");
    assertEquals(0, r.exit(), r.toString());
    assertEquals("precious", Files.readString(out));

    r = cli("file", "--output", out.toString(), "--force");
    assertEquals(0, r.exit(), r.toString());
    assertEquals(inFiles.stateB(), Dumps.dump(out));
  }

  /**
   * What a crashed process leaves at {@code at}: its {@code -wal} (valid, with committed frames of a table
   * {@code stale}) and {@code -shm}, and the database file itself when {@code withMainFile}.
   */
  private void crashedDatabase(Path at, boolean withMainFile) throws Exception {
    Path live = Files.createDirectories(dir.resolve("crashed-" + System.nanoTime())).resolve("live.db");
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + live); var s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA wal_autocheckpoint=0");
      s.execute("CREATE TABLE stale(x TEXT)");
      for (int i = 0; i < 50; i++) {
        s.execute("INSERT INTO stale VALUES ('old row " + i + "')");
      }
      if (withMainFile) {
        Files.copy(live, at);
      }
      Files.copy(live.resolveSibling("live.db-wal"), at.resolveSibling(at.getFileName() + "-wal"));
      Files.copy(live.resolveSibling("live.db-shm"), at.resolveSibling(at.getFileName() + "-shm"));
    }
  }

  /** The sqlite3 command-line shell's answer, as an outside judge of a restored file. */
  private static String sqlite3(Path db, String sql) throws Exception {
    Process p = new ProcessBuilder("sqlite3", db.toString(), sql).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    p.waitFor();
    return out;
  }

  private static boolean hasSqlite3() {
    try {
      return new ProcessBuilder("sqlite3", "-version").start().waitFor() == 0;
    } catch (java.io.IOException | InterruptedException e) {
      return false;
    }
  }

  @Test
  void forceReplacesACrashedDatabaseWithoutItsStaleWal() throws Exception {
    Path out = dir.resolve("crashed.db");
    crashedDatabase(out, true);
    Run r = cli("file", "--output", out.toString(), "--force");
    assertEquals(0, r.exit(), r.toString());
    assertFalse(Files.exists(dir.resolve("crashed.db-wal")), "the stale WAL is gone");
    assertFalse(Files.exists(dir.resolve("crashed.db-shm")));
    assertEquals(inFiles.stateB(), Dumps.dump(out));
    if (hasSqlite3()) {
      assertEquals("post", sqlite3(out, ".tables"), "sqlite3 sees the restored tables, not the old WAL's");
      assertEquals("ok", sqlite3(out, "PRAGMA integrity_check"));
    }
  }

  @Test
  void ifDbNotExistsCountsAWalWithoutItsDatabaseAsADatabase() throws Exception {
    Path out = dir.resolve("wal-only.db");
    crashedDatabase(out, false);
    Run r = cli("file", "--output", out.toString(), "--if-db-not-exists");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("nothing to do"), r.toString());
    assertFalse(Files.exists(out), "nothing restored beside someone's WAL");
    r = cli("file", "--output", out.toString());
    assertEquals(4, r.exit(), r.toString());
    assertTrue(r.err().contains("wal-only.db-wal") && r.err().contains("--force"), r.toString());
    assertOneCleanLine(r);
    assertFalse(Files.exists(out));
  }

  @Test
  void aDirectoryThatARunningStoreHoldsIsRefusedFromAnotherProcess() throws Exception {
    Path storeDir = dir.resolve("store");
    try (io.litevault.store.SqliteStore store = io.litevault.store.SqliteStore.builder(storeDir).database("data").open()) {
      store.database("data").writeAndWait(c -> c.createStatement().executeUpdate("CREATE TABLE live(x)"));
      Run r = cli("file", "--output", storeDir.resolve("data.db").toString(), "--force");
      assertEquals(10, r.exit(), r.toString());
      assertTrue(r.err().contains(".litevault.lock") && r.err().contains("close the store"), r.toString());
      assertOneCleanLine(r);
      store.database("data").writeAndWait(c -> c.createStatement().executeUpdate("INSERT INTO live VALUES (1)"));
    }
    Run r = cli("file", "--output", storeDir.resolve("data.db").toString(), "--force");
    assertEquals(0, r.exit(), "the store is closed: " + r);
    assertEquals(inFiles.stateB(), Dumps.dump(storeDir.resolve("data.db")));
  }

  @Test
  void aSpecialFileIsNeverReplaced() throws Exception {
    Path fifo = dir.resolve("fifo");
    org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0,
        "mkfifo");
    Run r = cli("file", "--output", fifo.toString(), "--force"); // as root, /dev/null became a regular file this way
    assertEquals(10, r.exit(), r.toString());
    assertTrue(r.err().contains("not a regular file"), r.toString());
    assertOneCleanLine(r);
    assertTrue(Files.readAttributes(fifo, java.nio.file.attribute.BasicFileAttributes.class,
        java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther(), "still a FIFO");
  }

  /**
   * A file bucket written before plain paths ({@code litevault%d/data%d/...}, '%' as %25) still restores
   * from the same --source as always: the store reads a legacy root in its own layout.
   */
  @Test
  void aLegacyLayoutFileBucketStillRestores() throws Exception {
    Path legacy = dir.resolve("legacy-bucket");
    try (java.util.stream.Stream<Path> w = Files.walk(fileRoot)) {
      for (Path f : w.filter(Files::isRegularFile).toList()) {
        Path rel = fileRoot.relativize(f);
        Path to = legacy;
        for (int i = 0; i < rel.getNameCount(); i++) {
          String seg = rel.getName(i).toString().replace("%", "%25");
          to = to.resolve(i < rel.getNameCount() - 1 ? seg + "%d" : seg);
        }
        Files.createDirectories(to.getParent());
        Files.copy(f, to);
      }
    }
    assertTrue(Files.isDirectory(legacy.resolve("litevault%d").resolve("data%d")));
    Path out = dir.resolve("from-legacy.db");
    Run r = RestoreCli.run(Map.of(), "--source", legacy.toUri() + "litevault", "--database", "data",
        "--output", out.toString());
    assertEquals(0, r.exit(), r.toString());
    assertEquals(inFiles.stateB(), Dumps.dump(out));
    assertEquals("ok", Dumps.integrity(out));
  }

  @Test
  void nothingToRestoreHasItsOwnCodeUnlessIfReplicaExists() throws Exception {
    Path out = dir.resolve("none.db");
    Run r = RestoreCli.run(Map.of(), "--source", fileRoot.toUri() + "litevault", "--database", "nothing-here",
        "--output", out.toString());
    assertEquals(3, r.exit(), r.toString());
    assertTrue(r.err().contains("nothing to restore") && r.err().contains("litevault prefix 'nothing-here'"), r.toString());
    assertOneCleanLine(r);
    r = RestoreCli.run(Map.of(), "--source", fileRoot.toUri() + "litevault", "--database", "nothing-here",
        "--output", out.toString(), "--if-replica-exists");
    assertEquals(0, r.exit(), r.toString());
    assertFalse(Files.exists(out));
  }

  @Test
  void aMissingSegmentNamesTheGapAndTheNewestRestorableTxidWhichThenRestores() throws Exception {
    Path root = dir.resolve("gap");
    RestoreCli.copyTree(fileRoot, root);
    List<Path> segments = RestoreCli.segments(root);
    assertTrue(segments.size() >= 4, "enough segments: " + segments);
    Files.delete(segments.get(segments.size() / 2));
    String src = root.toUri() + "litevault";
    Path out = dir.resolve("gap.db");
    // The segment chain itself: a closed replicator's compacted ranges reach past the gap.
    Run r = RestoreCli.run(Map.of(), "--source", src, "--database", "data", "--output", out.toString(),
        "--no-compacted-ranges");
    assertEquals(5, r.exit(), r.toString());
    assertTrue(r.err().contains("missing") && r.err().contains("newest restorable point"), r.toString());
    assertOneCleanLine(r);
    assertFalse(Files.exists(out));
    Matcher m = TXID_HINT.matcher(r.err());
    assertTrue(m.find(), r.toString());
    String newest = m.group(1);

    r = RestoreCli.run(Map.of(), "--source", src, "--database", "data", "--output", out.toString(), "--txid",
        Long.toString(inFiles.txidB()), "--no-compacted-ranges");
    assertEquals(5, r.exit(), "asking past the gap: " + r);
    assertTrue(r.err().contains("--txid " + newest), r.toString());

    r = RestoreCli.run(Map.of(), "--source", src, "--database", "data", "--output", out.toString(), "--txid", newest);
    assertEquals(0, r.exit(), r.toString());
    assertEquals("ok", Dumps.integrity(out));
  }

  @Test
  void aCorruptSegmentIsNamedWithTheNewestRestorableTxid() throws Exception {
    Path root = dir.resolve("corrupt");
    RestoreCli.copyTree(fileRoot, root);
    List<Path> segments = RestoreCli.segments(root);
    Path bad = segments.get(segments.size() / 2);
    byte[] body = Files.readAllBytes(bad);
    body[body.length / 2] ^= 0x5a;
    Files.write(bad, body);
    Path out = dir.resolve("corrupt.db");
    Run r = RestoreCli.run(Map.of(), "--source", root.toUri() + "litevault", "--database", "data", "--output", out.toString(),
        "--json", "--no-compacted-ranges");
    assertEquals(5, r.exit(), r.toString());
    assertTrue(r.err().contains(bad.getFileName().toString()) && r.err().contains("CRC"), r.toString());
    assertTrue(TXID_HINT.matcher(r.err()).find(), r.toString());
    assertTrue(r.out().contains("\"newestRestorableTxid\":"), r.toString());
    assertFalse(Files.exists(out));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"minio", "aws"})
  void wrongCredentialsAndAMissingBucketAreOneLineEach(String client) throws Exception {
    String secret = "wrong-secret-never-printed";
    Path out = dir.resolve("x.db");
    Run r = RestoreCli.run(Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", secret),
        "--source", "s3://" + s3.bucket() + "/litevault", "--database", "data", "--endpoint", s3.endpoint().toString(),
        "--client", client, "--output", out.toString());
    assertEquals(7, r.exit(), r.toString());
    assertOneCleanLine(r);
    assertFalse(r.all().contains(secret), "no secret");

    r = RestoreCli.run(CREDENTIALS, "--source", "s3://no-such-bucket/litevault", "--database", "data", "--endpoint",
        s3.endpoint().toString(), "--client", client, "--output", out.toString());
    assertEquals(7, r.exit(), r.toString());
    assertTrue(r.err().contains("no-such-bucket") && r.err().matches("(?s).*(does not exist|NO_SUCH_BUCKET).*"), r.toString());
    assertOneCleanLine(r);

    r = RestoreCli.run(CREDENTIALS, "--source", "s3://no-such-bucket/litevault", "--database", "data", "--endpoint",
        s3.endpoint().toString(), "--client", client, "--output", out.toString(), "--verbose");
    assertEquals(7, r.exit(), r.toString());
    assertTrue(r.err().contains("\tat "), "--verbose prints the stack trace:\n" + r);
  }

  @Test
  void badUrisAndBadArgumentsAreUsageErrors() throws Exception {
    for (String uri : List.of("ftp://host/dir", "s3:///no-bucket", "s3://Bad_Bucket/x", "file://host/dir")) {
      Run r = RestoreCli.run(Map.of(), "--source", uri, "--database", "data", "--output", dir.resolve("u.db").toString());
      assertEquals(2, r.exit(), uri + ": " + r);
      assertOneCleanLine(r);
    }
    Run both = cli("file", "--output", dir.resolve("b.db").toString(), "--txid", "3", "--timestamp", "2026-01-01T00:00:00Z");
    assertEquals(2, both.exit(), both.toString());
    assertTrue(both.err().contains("not both"), both.toString());
  }

  @Test
  void aTxidBeyondTheReplicaIsNoSuchPoint() throws Exception {
    Run r = cli("file", "--output", dir.resolve("p.db").toString(), "--txid", Long.toString(inFiles.txidB() + 1000));
    assertEquals(8, r.exit(), r.toString());
    assertTrue(r.err().contains("ends at txid " + inFiles.txidB() + ", before the requested txid " + (inFiles.txidB() + 1000)), r.toString());
    assertOneCleanLine(r);
  }

  @Test
  void helpDocumentsEveryExitCode() throws Exception {
    Run r = RestoreCli.run(Map.of(), "--help");
    assertEquals(0, r.exit(), r.toString());
    for (int code = 0; code <= 10; code++) {
      assertTrue(r.out().contains("\n  " + code + "  "), "exit code " + code + " documented:\n" + r);
    }
    assertTrue(r.out().contains("--source s3://bucket/litevault") && r.out().contains("AWS_ACCESS_KEY_ID"), r.toString());
  }
}
