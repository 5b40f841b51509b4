package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot of several chunks (a 13 MiB database: 4 chunks of 4 MiB) restores through ranged GETs decoded
 * on several threads, equal to the source, through the file bucket, the MinIO client and the AWS SDK
 * (EmbeddedS3); a damaged byte in one chunk, in the bucket, is a CORRUPT_OBJECT failure, and the same
 * snapshot restores through one thread (parallelism 1).
 */
class ChunkedSnapshotRestoreTest {
  @TempDir Path dir;
  private String prefix = "c/data";

  private String replicate(ObjectStore bucket, String name) throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir.resolve(name)).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).migration(2, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)")
        .build()).open()) {
      Database db = store.database("data");
      db.writeAndWait(c -> {
        try (var s = c.createStatement()) {
          return s.executeUpdate("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3200) "
              + "INSERT INTO t(b) SELECT CASE WHEN i % 2 = 0 THEN randomblob(4000) ELSE zeroblob(4000) END FROM n");
        }
      });
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        r.write(ReplicationTest.insert("x", "after the snapshot"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
      }
      return db.read(Dumps::dump);
    }
  }

  private void roundTrip(ObjectStore bucket, String name) throws Exception {
    String source = replicate(bucket, name);
    var plan = Restore.plan(RestoreOptions.builder(bucket, prefix, dir.resolve("p.db")).build());
    long snapshotBytes = bucket.stat(plan.snapshot()).orElseThrow().size();
    assertTrue(snapshotBytes > 3 * (4 << 20) / 2, "a snapshot of several chunks: " + snapshotBytes + " bytes");
    for (int parallelism : new int[] {4, 1}) {
      Path out = dir.resolve(name + "-" + parallelism + ".db");
      Restore.run(RestoreOptions.builder(bucket, prefix, out).parallelism(parallelism).build());
      assertEquals(source, Dumps.dump(out), "parallelism " + parallelism);
      assertEquals("ok", Dumps.integrity(out));
    }
  }

  @Test
  void aSnapshotOfSeveralChunksRestoresThroughEachClient() throws Exception {
    roundTrip(FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket"))), "file");
    try (EmbeddedS3 s3 = EmbeddedS3.start()) {
      S3Options o = S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString()).region(s3.region())
          .credentials(s3.accessKey(), s3.secretKey()).build();
      try (ObjectStore minio = MinioObjectStore.create(o)) {
        roundTrip(minio, "minio");
      }
      try (ObjectStore aws = S3ObjectStore.create(o)) {
        prefix = "aws/data"; // the same S3 bucket: its own replica
        roundTrip(aws, "aws");
      }
    }
  }

  @Test
  void aDamagedChunkIsACorruptObject() throws Exception {
    Path root = Files.createDirectories(dir.resolve("bucket"));
    ObjectStore bucket = FileSystemObjectStore.create(root);
    replicate(bucket, "live");
    var plan = Restore.plan(RestoreOptions.builder(bucket, prefix, dir.resolve("p.db")).build());
    Path file;
    try (var files = Files.walk(root)) {
      file = files.filter(p -> p.toString().endsWith(".lvsn")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length * 3 / 4] ^= 0x40; // inside a later chunk
    Files.write(file, bytes);
    RestoreException e = assertThrows(RestoreException.class,
        () -> Restore.run(RestoreOptions.builder(bucket, prefix, dir.resolve("bad.db")).build()));
    assertEquals(RestoreException.Kind.CORRUPT_OBJECT, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains(plan.snapshot()), e.getMessage());
    assertFalse(Files.exists(dir.resolve("bad.db")), "no output from a failed restore");
  }
}
