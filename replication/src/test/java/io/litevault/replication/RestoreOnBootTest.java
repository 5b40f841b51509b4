package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.RetryPolicy;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.RestoreOnBootResult.Outcome;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.InvalidNameException;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Restore on boot with real parts: a real store and replicator, the file-system bucket and a real S3 client
 * against the embedded S3 server; the volume is "lost" by deleting the store's directory.
 */
class RestoreOnBootTest {
  private static final String PREFIX = "svc/data";
  private static EmbeddedS3 s3;
  private static int buckets;

  @TempDir Path dir;

  @BeforeAll
  static void startS3() {
    s3 = EmbeddedS3.start();
  }

  @AfterAll
  static void stopS3() {
    s3.close();
  }

  private ObjectStore bucket(String kind) throws Exception {
    if (kind.equals("s3")) {
      String bucketName = "boot" + (++buckets);
      s3.createBucket(bucketName);
      return S3ObjectStore.create(S3Options.builder(bucketName).endpoint(s3.endpoint().toString()).region(s3.region())
          .credentials(s3.accessKey(), s3.secretKey()).build());
    }
    return FileSystemObjectStore.create(FileSystemOptions.builder(Files.createTempDirectory(dir, "bucket")).build());
  }

  private static SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open();
  }

  private static ReplicatorOptions replicator(ObjectStore bucket) {
    return ReplicatorOptions.builder(bucket, PREFIX).minUploadInterval(Duration.ofMillis(20)).build();
  }

  private static RestoreOnBootOptions.Builder boot(ObjectStore bucket, Path where) {
    return RestoreOnBootOptions.builder(bucket, where).database("data", PREFIX);
  }

  /** Replicates rows (a snapshot, then segments after it); returns the lineage and the source's dump. */
  private static String[] replicate(ObjectStore bucket, Path where, int rows) throws Exception {
    try (SqliteStore store = openStore(where); Replicator r = Replicator.start(store.database("data"), replicator(bucket))) {
      Database db = store.database("data");
      for (int i = 0; i < rows; i++) {
        r.write(ReplicationTest.insert("ada", "post " + i + " " + "x".repeat(i % 40)), Durability.REPLICATED)
            .get(20, TimeUnit.SECONDS);
      }
      return new String[] {r.health().lineage(), db.read(Dumps::dump)};
    }
  }

  private static void loseVolume(Path where) throws Exception {
    try (Stream<Path> files = Files.walk(where)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertFalse(Files.exists(where));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"fs", "s3"})
  void aLostVolumeIsRestoredAndReplicationContinuesTheSameLineage(String kind) throws Exception {
    try (ObjectStore bucket = bucket(kind)) {
      Path live = dir.resolve("volume");
      String[] before = replicate(bucket, live, 40);
      loseVolume(live);

      List<RestoreOnBootResult> results = RestoreOnBoot.run(boot(bucket, live).build());

      assertEquals(1, results.size());
      RestoreOnBootResult r = results.get(0);
      assertEquals(Outcome.RESTORED, r.outcome(), r.toString());
      assertTrue(r.restored());
      assertEquals(before[0], r.lineage());
      assertEquals(live.resolve("data.db").toAbsolutePath().normalize(), r.file());
      assertTrue(r.txid() > 0 && r.bytes() > 0 && r.objects() >= 1, r.toString());
      try (SqliteStore store = openStore(live)) {
        Database db = store.database("data");
        assertEquals(before[1], db.read(Dumps::dump), "the restored rows");
        assertEquals("ok", db.read(c -> {
          try (var s = c.createStatement(); var rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            return rs.getString(1);
          }
        }));
        try (Replicator rep = Replicator.start(db, replicator(bucket))) {
          rep.write(ReplicationTest.insert("ada", "after the restore"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
          assertEquals(0, rep.metrics().lineagesStarted(), "no fork: " + rep.metrics());
          assertEquals(before[0], rep.positionOf(db.lastTxid()).orElseThrow().lineage());
          assertEquals(1, LineageCatalog.list(bucket, new BucketLayout(PREFIX)).size());
          Path check = dir.resolve("check").resolve("data.db");
          Restore.run(RestoreOptions.builder(bucket, PREFIX, check).build());
          assertEquals(db.read(Dumps::dump), Dumps.dump(check), "the new write replicated on the same lineage");
        }
      }
    }
  }

  @Test
  void anEmptyBucketLeavesTheFileMissingAndTheStoreCreatesAFreshDatabase() throws Exception {
    try (ObjectStore bucket = bucket("fs")) {
      Path live = dir.resolve("new-service");
      RestoreOnBootResult r = RestoreOnBoot.run(boot(bucket, live).build()).get(0);
      assertEquals(Outcome.BUCKET_EMPTY, r.outcome());
      assertNull(r.lineage());
      assertFalse(Files.exists(live.resolve("data.db")));
      try (SqliteStore store = openStore(live); Replicator rep = Replicator.start(store.database("data"), replicator(bucket))) {
        rep.write(ReplicationTest.insert("new", "first"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        assertEquals(1, rep.metrics().lineagesStarted());
      }
    }
  }

  @Test
  void aPresentFileIsLeftAloneWithoutAskingTheBucket() throws Exception {
    try (ObjectStore bucket = bucket("fs")) {
      Path live = dir.resolve("volume");
      replicate(bucket, live, 5);
      Path file = live.resolve("data.db");
      byte[] bytes = Files.readAllBytes(file);
      var modified = Files.getLastModifiedTime(file);
      // An unreachable bucket: the run succeeds only if it never asks it.
      try (ObjectStore unreachable = unreachableS3()) {
        RestoreOnBootResult r = RestoreOnBoot.run(boot(unreachable, live).build()).get(0);
        assertEquals(Outcome.LOCAL_FILE_PRESENT, r.outcome());
      }
      assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(file)), "the file is untouched");
      assertEquals(modified, Files.getLastModifiedTime(file));
    }
  }

  private static ObjectStore unreachableS3() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    return S3ObjectStore.create(S3Options.builder("litevault").endpoint("http://127.0.0.1:" + port)
        .credentials("someone", "a-secret-never-shown").connectTimeout(Duration.ofMillis(500))
        .retryPolicy(new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(10))).build());
  }

  @Test
  void anUnreachableBucketFailsLoudlyUnlessStartingEmptyIsAllowed() throws Exception {
    Path live = dir.resolve("volume");
    try (ObjectStore unreachable = unreachableS3()) {
      RestoreOnBootException e = assertThrows(RestoreOnBootException.class, () -> RestoreOnBoot.run(boot(unreachable, live).build()));
      assertEquals(RestoreOnBootException.Kind.BUCKET_UNREACHABLE, e.kind());
      assertEquals("data", e.database());
      assertTrue(e.getMessage().contains("start the service again once it is reachable"), e.getMessage());
      assertTrue(e.getMessage().contains("'" + PREFIX + "'"), e.getMessage());
      assertFalse(e.getMessage().contains("a-secret-never-shown"), e.getMessage());
      assertFalse(Files.exists(live.resolve("data.db")));

      RestoreOnBootResult r = RestoreOnBoot.run(boot(unreachable, live).startEmptyIfUnreachable(true).build()).get(0);
      assertEquals(Outcome.BUCKET_UNREACHABLE_STARTED_EMPTY, r.outcome());
      assertFalse(Files.exists(live.resolve("data.db")));
    }
  }

  /**
   * What the option's documentation promises: a service started empty while the bucket was down does not
   * fork history once the bucket is back; its replicator refuses the empty file, and "restore latest" still
   * gives the data.
   */
  @Test
  void startingEmptyOnADownBucketDoesNotForkHistoryOnceItIsBack() throws Exception {
    try (ObjectStore files = bucket("fs")) {
      Path live = dir.resolve("volume");
      String[] before = replicate(files, live, 10);
      loseVolume(live);
      io.litevault.bucket.FaultyObjectStore bucket = new io.litevault.bucket.FaultyObjectStore(files).down(true, io.litevault.bucket.ErrorKind.CONNECTION);

      RestoreOnBootResult r = RestoreOnBoot.run(boot(bucket, live).startEmptyIfUnreachable(true).build()).get(0);
      assertEquals(Outcome.BUCKET_UNREACHABLE_STARTED_EMPTY, r.outcome());

      bucket.down(false);
      Throwable failure;
      try (SqliteStore store = openStore(live); Replicator rep = Replicator.start(store.database("data"), replicator(bucket))) {
        try {
          rep.write(ReplicationTest.insert("empty", "x"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
          failure = null;
        } catch (java.util.concurrent.ExecutionException e) {
          failure = e.getCause();
        }
      }
      assertTrue(failure instanceof LocalBehindBucketException, String.valueOf(failure));
      assertEquals(1, LineageCatalog.list(files, new BucketLayout(PREFIX)).size(), "no new lineage");
      Path check = dir.resolve("check").resolve("data.db");
      Restore.run(RestoreOptions.builder(files, PREFIX, check).build());
      assertEquals(before[1], Dumps.dump(check));
    }
  }

  @Test
  void wrongCredentialsAreARefusalNotAnOutageAndStartingEmptyDoesNotApply() throws Exception {
    Path live = dir.resolve("volume");
    try (ObjectStore wrong = S3ObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), "a-wrong-secret-never-shown")
        .retryPolicy(new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(10))).build())) {
      RestoreOnBootException e = assertThrows(RestoreOnBootException.class,
          () -> RestoreOnBoot.run(boot(wrong, live).startEmptyIfUnreachable(true).build()));
      assertEquals(RestoreOnBootException.Kind.BUCKET_REFUSED, e.kind());
      assertTrue(e.getMessage().contains("credentials"), e.getMessage());
      java.io.StringWriter trace = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(trace));
      assertFalse(trace.toString().contains("a-wrong-secret-never-shown"));
      assertFalse(Files.exists(live.resolve("data.db")));
    }
  }

  @Test
  void aCorruptObjectFailsWithATypedErrorAndLeavesNoPartialFile() throws Exception {
    try (ObjectStore bucket = bucket("fs")) {
      Path live = dir.resolve("volume");
      replicate(bucket, live, 30);
      loseVolume(live);
      // The last object the restore reads: a segment, or a compacted range reaching the end (the close
      // flushed the open ranges); a damaged range alone is skipped for the segments, so damage both.
      LineageCatalog.Lineage l = LineageCatalog.list(bucket, new BucketLayout(PREFIX)).values().iterator().next();
      ObjectInfo newest = l.segments().stream().reduce((a, b) -> b).orElseThrow();
      for (ObjectInfo r : l.ranges()) {
        bucket.delete(r.key());
      }
      byte[] body;
      try (InputStream in = bucket.get(newest.key())) {
        body = in.readAllBytes();
      }
      body[body.length / 2] ^= 0x5a;
      bucket.delete(newest.key());
      bucket.put(newest.key(), body);

      RestoreOnBootException e = assertThrows(RestoreOnBootException.class, () -> RestoreOnBoot.run(boot(bucket, live).build()));

      assertEquals(RestoreOnBootException.Kind.RESTORE_FAILED, e.kind());
      assertEquals(RestoreException.Kind.CORRUPT_OBJECT, e.restoreKind(), e.getMessage());
      assertTrue(e.getMessage().contains(newest.key()), e.getMessage());
      assertTrue(e.getMessage().contains("repair the replica"), e.getMessage());
      try (Stream<Path> left = Files.list(live)) {
        assertEquals(List.of(), left.filter(p -> !p.getFileName().toString().equals(".litevault.lock")).toList(),
            "no partial file");
      }
    }
  }

  @Test
  void aLeftoverWalWithoutItsDatabaseIsRefusedUnlessDiscardingIsAllowed() throws Exception {
    try (ObjectStore bucket = bucket("fs")) {
      Path live = dir.resolve("volume");
      String[] before = replicate(bucket, live, 10);
      Files.delete(live.resolve("data.db"));
      Path wal = live.resolve("data.db-wal");
      Files.write(wal, new byte[] {1, 2, 3});

      RestoreOnBootException e = assertThrows(RestoreOnBootException.class, () -> RestoreOnBoot.run(boot(bucket, live).build()));
      assertEquals(RestoreOnBootException.Kind.LEFTOVER_WAL, e.kind());
      assertTrue(e.getMessage().contains(wal.toString()), e.getMessage());
      assertTrue(Files.exists(wal), "kept");

      RestoreOnBootResult r = RestoreOnBoot.run(boot(bucket, live).discardLeftoverWal(true).build()).get(0);
      assertEquals(Outcome.RESTORED, r.outcome());
      assertFalse(Files.exists(wal), "deleted at the rename");
      assertEquals(before[1], Dumps.dump(live.resolve("data.db")));
    }
  }

  @Test
  void aStaleShmAloneIsRemovedAtTheRenameAndAPresentDatabaseBesideAMissingOneIsLeftAlone() throws Exception {
    try (ObjectStore bucket = bucket("fs")) {
      Path live = dir.resolve("volume");
      String[] before = replicate(bucket, live, 10);
      Files.delete(live.resolve("data.db"));
      Files.deleteIfExists(live.resolve("data.db-wal"));
      Path shm = live.resolve("data.db-shm");
      Files.write(shm, new byte[] {9, 9, 9});
      Path other = live.resolve("other.db");
      Files.write(other, new byte[] {7});

      List<RestoreOnBootResult> results = RestoreOnBoot.run(RestoreOnBootOptions.builder(bucket, live)
          .database("other", "svc/other").database("data", PREFIX).build());

      assertEquals(List.of(Outcome.LOCAL_FILE_PRESENT, Outcome.RESTORED), results.stream().map(RestoreOnBootResult::outcome).toList());
      assertEquals(List.of("other", "data"), results.stream().map(RestoreOnBootResult::database).toList());
      assertFalse(Files.exists(shm), "the stale -shm is gone");
      assertEquals(before[1], Dumps.dump(live.resolve("data.db")));
      assertTrue(java.util.Arrays.equals(new byte[] {7}, Files.readAllBytes(other)), "untouched");
    }
  }

  @Test
  void optionsAreCheckedAtOnceAndNameTheValue() throws Exception {
    try (ObjectStore bucket = bucket("fs")) {
      RestoreOnBootOptions.Builder b = RestoreOnBootOptions.builder(bucket, dir);
      assertTrue(assertThrows(IllegalArgumentException.class, b::build).getMessage().contains("database(name, prefix)"));
      assertThrows(InvalidNameException.class, () -> b.database("bad/name", "p"));
      assertThrows(InvalidNameException.class, () -> b.database("data", "/bad//prefix"));
      b.database("data", "svc/data");
      assertTrue(assertThrows(IllegalArgumentException.class, () -> b.database("DATA", "svc/other")).getMessage()
          .contains("'DATA'"));
      assertTrue(assertThrows(IllegalArgumentException.class, () -> b.database("other", "svc/data")).getMessage()
          .contains("'svc/data'"));
      assertTrue(assertThrows(IllegalArgumentException.class, () -> b.parallelism(0)).getMessage().contains("0"));
      RestoreOnBootOptions o = b.build();
      assertThrows(UnsupportedOperationException.class, () -> o.databases().put("x", "y"));
      assertFalse(o.startEmptyIfUnreachable());
      assertFalse(o.discardLeftoverWal());
    }
  }
}
