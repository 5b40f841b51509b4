package io.litevault.bucket.crypt;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review 28: reproduced bugs of the client-side encryption half of the change 8522f4a..139881f. */
class Review28CryptTest {
  @TempDir Path dir;

  private static String rows(Path file) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
        var rs = c.createStatement().executeQuery("SELECT group_concat(body, ',') FROM post")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** What a tier run does (CopyPlan): every non-lease object under the source prefix, raw, to the tier + its relative key. */
  private static void tierCopy(ObjectStore raw, String sourcePrefix, String tierPrefix) {
    List<ObjectInfo> all = raw.list(sourcePrefix).toList();
    for (ObjectInfo o : all) {
      if (!o.key().contains("/leases/")) {
        raw.copy(o.key(), tierPrefix + o.key().substring(sourcePrefix.length()));
      }
    }
  }

  /**
   * Scenario: a database replicated through the encrypted store to prefix "litevault/data"; a tiered backup
   * of that one database (BackupCli: --source file-or-s3://bucket/litevault/data, i.e.
   * sourcePrefix("litevault/data/"), targetPrefix("backups/"), tier "daily") copies the ciphertext as it is,
   * each object to "backups/daily/" + its key relative to the source prefix (CopyPlan; a database at the root
   * of the source prefix is supported: CopyPlan.databases "" for the root). The tier is restored through the
   * encrypted store from prefix "backups/daily" (README: "A tier restores like the replica itself";
   * "Backups copy the ciphertext as it is and never need the key"; RestoreVerifier restore-checks a tier so).
   * For comparison a tier of the whole bucket (sourcePrefix "") is restored too.
   * Expected (EncryptedObjectStore / FORMAT.md: the identity "is what a backup tier keeps ... so a tier
   * restores with the same keys"; envelope version 1 restored such a tier): both tiers restore the row.
   * Actual: the whole-bucket tier restores, but the single-database tier fails with AUTHENTICATION_FAILED
   * (restore CORRUPT_OBJECT): version 2 binds the database's name as the last segment before "lineages",
   * which is "data" in the replica and "daily" (the tier's name) in the tier copy.
   */
  @Test
  void aTierOfOneDatabasesPrefixNoLongerDecrypts() throws Exception {
    FileSystemObjectStore raw = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    EncryptedObjectStore bucket = EncryptedObjectStore.wrap(raw, TestKeys.provider(TestKeys.fresh()));
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
            .migration(1, "post", "CREATE TABLE post(id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL)")
            .build()).open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, "litevault/data").build())) {
      r.write(c -> {
        try (var ps = c.prepareStatement("INSERT INTO post(author, body) VALUES ('a', 'acknowledged')")) {
          return ps.executeUpdate();
        }
      }, Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
    tierCopy(raw, "", "whole/daily/");
    tierCopy(raw, "litevault/data/", "one/daily/");

    Path whole = dir.resolve("whole.db");
    Restore.run(RestoreOptions.builder(bucket, "whole/daily/litevault/data", whole).build());
    assertEquals("acknowledged", rows(whole), "the tier of the whole bucket restores");

    Path one = dir.resolve("one.db");
    String failure = null;
    try {
      Restore.run(RestoreOptions.builder(bucket, "one/daily", one).build());
    } catch (RuntimeException e) {
      failure = e.toString();
    }
    assertNull(failure, "the tier of the database's own prefix does not restore with the keys it was written with");
    assertEquals("acknowledged", rows(one));
  }
}
