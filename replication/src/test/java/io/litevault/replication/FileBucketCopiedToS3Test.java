package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Our rule that any S3 tool's copy of a bucket restores, for a file:// bucket: its directory is walked and
 * every file put under its relative path by a plain AWS client (no Litevault code, as {@code aws s3 sync} or
 * {@code rclone copy} would), and the restore from that S3 bucket equals the live database and passes
 * {@code PRAGMA integrity_check}.
 */
class FileBucketCopiedToS3Test {
  @TempDir Path dir;

  @Test
  void aFileBucketCopiedFileByFileToS3Restores() throws Exception {
    Path bucketDir = Files.createDirectories(dir.resolve("bucket"));
    FileSystemObjectStore files = FileSystemObjectStore.create(bucketDir);
    String live;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(files, "app/litevault/data").build())) {
        for (int i = 0; i < 50; i++) {
          r.write(ReplicationTest.insert("c", "row " + i), i % 10 == 9 ? Durability.REPLICATED : Durability.LOCAL)
              .get(10, TimeUnit.SECONDS);
        }
        r.maintenanceStep().run("data", null); // a second snapshot in the lineage
        r.write(ReplicationTest.insert("c", "last"), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
      }
      live = db.read(Dumps::dump);
    }
    try (EmbeddedS3 s3 = EmbeddedS3.builder().bucket("copy").start();
        S3Client aws = S3Client.builder().endpointOverride(s3.endpoint()).region(Region.of(s3.region()))
            .forcePathStyle(true).credentialsProvider(StaticCredentialsProvider.create(
                AwsBasicCredentials.create(s3.accessKey(), s3.secretKey()))).build()) {
      List<Path> all;
      try (Stream<Path> walk = Files.walk(bucketDir)) {
        all = walk.filter(Files::isRegularFile).toList();
      }
      assertTrue(all.size() >= 3, "a lease, snapshots and segments: " + all);
      assertTrue(all.stream().noneMatch(f -> bucketDir.relativize(f).toString().contains("%")), "plain names only: " + all);
      for (Path f : all) {
        String key = bucketDir.relativize(f).toString().replace(java.io.File.separatorChar, '/');
        aws.putObject(b -> b.bucket("copy").key(key), RequestBody.fromFile(f));
      }
      try (S3ObjectStore copy = S3ObjectStore.create(S3Options.builder("copy").endpoint(s3.endpoint().toString())
          .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build())) {
        Path out = dir.resolve("restored.db");
        Restore.run(RestoreOptions.builder(copy, "app/litevault/data", out).build());
        assertEquals(live, Dumps.dump(out), "the S3 copy of the file bucket restores the live database");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + out);
            java.sql.ResultSet rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
          assertTrue(rs.next());
          assertEquals("ok", rs.getString(1));
        }
      }
    }
  }
}
