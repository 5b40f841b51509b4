package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.RetryPolicy;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.RestoreOnBootResult.Outcome;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hostile review of RestoreOnBoot: each test states the documented promise it checks. */
class RestoreOnBootReviewTest {
  private static final String PREFIX = "svc/data";

  @TempDir Path dir;

  private ObjectStore fsBucket() throws Exception {
    return FileSystemObjectStore.create(FileSystemOptions.builder(Files.createTempDirectory(dir, "bucket")).build());
  }

  private static SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open();
  }

  private static String[] replicate(ObjectStore bucket, Path where, int rows) throws Exception {
    try (SqliteStore store = openStore(where); Replicator r = Replicator.start(store.database("data"),
        ReplicatorOptions.builder(bucket, PREFIX).minUploadInterval(Duration.ofMillis(20)).build())) {
      Database db = store.database("data");
      for (int i = 0; i < rows; i++) {
        r.write(ReplicationTest.insert("ada", "post " + i), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      return new String[] {r.health().lineage(), db.read(Dumps::dump)};
    }
  }

  private static void loseVolume(Path where) throws Exception {
    try (Stream<Path> files = Files.walk(where)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * README: startEmptyIfUnreachable applies "only for an unreachable bucket at the first request, never once
   * the bucket answered"; "the bucket cannot be reached (ObjectStore.verify() fails with a connection error or
   * timeout)". An endpoint that ANSWERS every request with HTTP 503 or 500 (an overloaded MinIO, a proxy in
   * front of the wrong service) is not a connection error or timeout, yet the service starts EMPTY.
   */
  @ParameterizedTest(name = "HTTP {0}")
  @ValueSource(ints = {503, 500})
  void aBucketThatAnswersWithA5xxIsNotUnreachableAndMustNotStartEmpty(int status) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    AtomicBoolean answered = new AtomicBoolean();
    server.createContext("/", ex -> {
      answered.set(true);
      byte[] body = ("<?xml version=\"1.0\"?><Error><Code>" + (status == 503 ? "SlowDown" : "InternalError")
          + "</Code><Message>busy</Message></Error>").getBytes();
      ex.getResponseHeaders().add("Content-Type", "application/xml");
      ex.sendResponseHeaders(status, ex.getRequestMethod().equals("HEAD") ? -1 : body.length);
      if (!ex.getRequestMethod().equals("HEAD")) {
        ex.getResponseBody().write(body);
      }
      ex.close();
    });
    server.start();
    Path live = dir.resolve("volume");
    try (ObjectStore answering = S3ObjectStore.create(S3Options.builder("bucket")
        .endpoint("http://127.0.0.1:" + server.getAddress().getPort()).region("us-east-1")
        .credentials("AKIDEXAMPLE", "a-secret-never-shown")
        .retryPolicy(new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(10))).build())) {
      RestoreOnBootResult r;
      try {
        r = RestoreOnBoot.run(RestoreOnBootOptions.builder(answering, live).database("data", PREFIX)
            .startEmptyIfUnreachable(true).build()).get(0);
      } catch (RestoreOnBootException e) {
        return; // failing loudly is what the README promises once the bucket answered
      }
      assertTrue(answered.get(), "the bucket answered (HTTP " + status + ")");
      fail("the bucket answered every request with HTTP " + status + ", yet restore on boot started empty: "
          + r.outcome());
    } finally {
      server.stop(0);
    }
  }

  /**
   * README: a -wal without its database is refused; with discardLeftoverWal "it is then deleted just before the
   * rename" of the restored file, and "With an empty bucket it is refused even then" (nothing restored: the WAL
   * may hold the only copy of those commits). With the bucket down and startEmptyIfUnreachable nothing is
   * restored either, yet the WAL is not refused: it is left beside the missing file, and the store's first open
   * (SQLite on a zero-page file) silently deletes it.
   */
  @Test
  void aLeftoverWalIsNotRefusedWhenStartingEmptyOnADownBucketAndTheStoreThenDestroysIt() throws Exception {
    try (ObjectStore files = fsBucket()) {
      Path live = dir.resolve("volume");
      replicate(files, live, 5);
      Files.delete(live.resolve("data.db"));
      Path wal = live.resolve("data.db-wal");
      Files.deleteIfExists(wal);
      Files.deleteIfExists(live.resolve("data.db-shm"));
      // a real WAL of the lost file: commits not yet checkpointed
      Path side = dir.resolve("side").resolve("data.db");
      Restore.run(RestoreOptions.builder(files, PREFIX, side).build());
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + side); Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA wal_autocheckpoint=0");
        s.execute("INSERT INTO post(author, body) VALUES ('lost', 'only in the leftover WAL')");
        Files.copy(side.resolveSibling("data.db-wal"), wal);
      }
      io.litevault.bucket.FaultyObjectStore down = new io.litevault.bucket.FaultyObjectStore(files).down(true, io.litevault.bucket.ErrorKind.CONNECTION);

      RestoreOnBootResult r;
      try {
        r = RestoreOnBoot.run(RestoreOnBootOptions.builder(down, live).database("data", PREFIX)
            .startEmptyIfUnreachable(true).discardLeftoverWal(true).build()).get(0);
      } catch (RestoreOnBootException e) {
        assertEquals(RestoreOnBootException.Kind.LEFTOVER_WAL, e.kind(), e.getMessage());
        return;
      }
      assertEquals(Outcome.BUCKET_UNREACHABLE_STARTED_EMPTY, r.outcome());
      assertTrue(Files.exists(wal), "left beside the missing database file");
      String seen;
      try (SqliteStore store = openStore(live)) {
        seen = store.database("data").read(Dumps::dump);
      } catch (RuntimeException e) {
        seen = "store open failed: " + e;
      }
      fail("the leftover WAL (nothing restored, as with an empty bucket) was not refused; the store then saw: " + seen);
    }
  }

  /**
   * README: "`<name>.db` exists: left alone". discardLeftoverWal is documented to allow deleting the -wal/-journal;
   * but it is passed on as the restore's force, which also replaces a database FILE. A data.db that appears while
   * this run downloads (another process's restore on boot finished first, its service wrote a row and stopped)
   * is silently replaced by this run's older copy: the row is gone and the result says RESTORED.
   */
  @Test
  void discardLeftoverWalAlsoLetsTheRestoreReplaceADatabaseFileThatAppearedMeanwhile() throws Exception {
    try (ObjectStore files = fsBucket()) {
      Path live = dir.resolve("volume");
      replicate(files, live, 5);
      Files.delete(live.resolve("data.db"));
      Files.write(live.resolve("data.db-wal"), new byte[4096]);
      Path theirs = dir.resolve("other").resolve("data.db");
      Restore.run(RestoreOptions.builder(files, PREFIX, theirs).build());
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + theirs); Statement s = c.createStatement()) {
        s.execute("INSERT INTO post(author, body) VALUES ('bob', 'written by the other process')");
      }
      AtomicBoolean placed = new AtomicBoolean();
      InvocationHandler h = (proxy, m, args) -> {
        if (m.getName().equals("get") && placed.compareAndSet(false, true)) {
          // the other process: its restore's install removed the WAL and renamed its file into place
          Files.deleteIfExists(live.resolve("data.db-wal"));
          Files.move(theirs, live.resolve("data.db"));
        }
        try {
          return m.invoke(files, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      };
      ObjectStore racing = (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(),
          new Class<?>[] {ObjectStore.class}, h);

      RestoreOnBootResult r = null;
      try {
        r = RestoreOnBoot.run(RestoreOnBootOptions.builder(racing, live).database("data", PREFIX)
            .discardLeftoverWal(true).build()).get(0);
      } catch (RestoreOnBootException e) {
        // refusing (OUTPUT_EXISTS) is fine
      }
      assertTrue(placed.get());
      long bobs;
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + live.resolve("data.db"));
          Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM post WHERE author = 'bob'")) {
        rs.next();
        bobs = rs.getLong(1);
      }
      assertEquals(1, bobs, "the database file that appeared meanwhile was replaced (result: " + r + ")");
    }
  }
}
