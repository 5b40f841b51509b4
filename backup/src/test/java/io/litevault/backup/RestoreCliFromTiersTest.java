package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.cli.RestoreCommand;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restore command restores a real replicated database from each tier
 * ({@code --source s3://<bucket>/<tier prefix>/litevault --database data}), through the AWS client.
 */
class RestoreCliFromTiersTest {
  @TempDir Path dir;

  @Test
  void theRestoreCommandRestoresFromDailyOneWeekAndTwoWeekTiers() throws Exception {
    try (TwoBuckets b = new TwoBuckets()) {
      try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
          .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build()).open()) {
        Database db = store.database("data");
        try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(b.source, "litevault/data").build())) {
          for (int i = 0; i < 30; i++) {
            int n = i;
            r.write(c -> {
              try (var ps = c.prepareStatement("INSERT INTO t(v) VALUES (?)")) {
                ps.setString(1, "row " + n);
                return ps.executeUpdate();
              }
            }, Durability.REPLICATED).get();
          }
        }
      }
      try (TieredBackup backup = TieredBackup.create(BackupOptions.builder(b.source, b.target).targetPrefix("tiers/")
          .clock(new MutableClock(Instant.parse("2026-11-23T12:00:00Z"))).build())) {
        for (String tier : new String[] {"daily", "1-week", "2-week"}) {
          assertEquals(RunStatus.SUCCEEDED, backup.runNow(tier).status(), tier);
        }
      }
      // In-process, the AWS default credentials chain reads these system properties (the jar: AWS_* env).
      System.setProperty("aws.accessKeyId", b.s3.accessKey());
      System.setProperty("aws.secretAccessKey", b.s3.secretKey());
      try {
        restoreEachTier(b);
      } finally {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
      }
    }
  }

  private void restoreEachTier(TwoBuckets b) throws Exception {
    for (String tier : new String[] {"daily", "1-week", "2-week"}) {
      Path out = dir.resolve(tier + ".db");
      ByteArrayOutputStream stdout = new ByteArrayOutputStream();
      ByteArrayOutputStream stderr = new ByteArrayOutputStream();
      int exit = RestoreCommand.execute(new String[] {
          "--source", "s3://" + TwoBuckets.TARGET_BUCKET + "/tiers/" + tier + "/litevault", "--database", "data",
          "--endpoint", b.s3.endpoint().toString(), "--client", "aws", "--output", out.toString(), "--json"},
          new PrintStream(stdout, true, StandardCharsets.UTF_8), new PrintStream(stderr, true, StandardCharsets.UTF_8));
      assertEquals(0, exit, tier + ": " + stderr.toString(StandardCharsets.UTF_8));
      try (var c = DriverManager.getConnection("jdbc:sqlite:" + out);
          var rs = c.createStatement().executeQuery("SELECT count(*) FROM t")) {
        rs.next();
        assertEquals(30, rs.getLong(1), tier);
      }
    }
  }
}
