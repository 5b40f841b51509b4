package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.crypt.KeyProvider;
import io.litevault.bucket.crypt.TestKeys;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encrypted bucket's daily tier: the backup copies the ciphertext byte for byte without the key (the
 * source and the tier hold the same bytes, and no plaintext), the restore-check decrypts with the key and
 * passes, and fails without it; a restore from the tier with the key gives the database back.
 */
class EncryptedTierTest {
  @TempDir Path dir;

  @Test
  void tiersCopyCiphertextAndTheRestoreCheckDecrypts() throws Exception {
    KeyProvider keys = TestKeys.provider(TestKeys.fresh());
    String marker = "TIER-MARKER-" + System.nanoTime();
    try (TwoBuckets b = new TwoBuckets()) {
      try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
          .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build()).open();
          Replicator r = Replicator.start(store.database("data"),
              ReplicatorOptions.builder(EncryptedObjectStore.wrap(b.source, keys), "litevault/data").build())) {
        for (int i = 0; i < 30; i++) {
          int n = i;
          r.write(c -> {
            try (var ps = c.prepareStatement("INSERT INTO t(v) VALUES (?)")) {
              ps.setString(1, marker + " " + n);
              return ps.executeUpdate();
            }
          }, i % 10 == 9 ? Durability.REPLICATED : Durability.LOCAL).get();
        }
      }
      // the backup itself runs on the raw stores: it never has the key
      try (TieredBackup backup = TieredBackup.create(BackupOptions.builder(b.source, b.target).targetPrefix("backups/")
          .clock(new MutableClock(Instant.parse("2026-11-23T12:00:00Z")))
          .verifier(new RestoreVerifier(dir.resolve("scratch"), keys)).build())) {
        TierRunReport report = backup.runNow("daily");
        assertEquals(RunStatus.SUCCEEDED, report.status(), report.toString());
        assertEquals(VerificationResult.Outcome.PASSED, report.verification().outcome(), report.verification().toString());
        assertEquals(1, report.verification().databasesChecked());
      }
      Map<String, String> source = TwoBuckets.contents(b.source, "litevault/data/lineages/");
      Map<String, String> tier = TwoBuckets.contents(b.target, "backups/daily/litevault/data/lineages/");
      assertFalse(source.isEmpty());
      assertEquals(source, tier, "the tier holds the source's bytes, unchanged");
      try (Stream<ObjectInfo> all = b.target.list("")) {
        for (ObjectInfo o : all.toList()) {
          try (InputStream in = b.target.get(o.key())) {
            assertFalse(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(marker), o.key());
          }
        }
      }
      VerificationResult withoutKeys = new RestoreVerifier(dir.resolve("scratch")).verify(b.target, "backups/daily/");
      assertTrue(withoutKeys.failed(), withoutKeys.toString());
      Path restored = dir.resolve("from-tier.db");
      Restore.run(RestoreOptions.builder(EncryptedObjectStore.wrap(b.target, keys), "backups/daily/litevault/data",
          restored).build());
      try (var c = DriverManager.getConnection("jdbc:sqlite:" + restored);
          var rs = c.createStatement().executeQuery("SELECT count(*), min(v) FROM t")) {
        rs.next();
        assertEquals(30, rs.getLong(1));
        assertEquals(marker + " 0", rs.getString(2));
      }
    }
  }
}
