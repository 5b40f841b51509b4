package io.litevault.bucket.crypt;

import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review 30a: key scopes (failing tests). */
class Review30aCryptTest {
  @TempDir Path dir;
  FileSystemObjectStore raw;
  EncryptedObjectStore unscoped;

  @BeforeEach
  void open() throws Exception {
    raw = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    unscoped = EncryptedObjectStore.wrap(raw, TestKeys.provider(TestKeys.fresh()));
  }

  private void replicate(String database, ObjectStore through, String body) throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live-" + database)).database(database,
            DatabaseOptions.builder().migration(1, "post",
                "CREATE TABLE post(id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL)").build()).open();
        Replicator r = Replicator.start(store.database(database),
            ReplicatorOptions.builder(through, "prod/" + database).build())) {
      r.write(c -> {
        try (var ps = c.prepareStatement("INSERT INTO post(author, body) VALUES ('a', ?)")) {
          ps.setString(1, body);
          return ps.executeUpdate();
        }
      }, Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
  }

  /** Every non-lease object under {@code from}, raw (stored bytes, no key), to {@code to}. */
  private void rawCopy(String from, String to) {
    List<ObjectInfo> all = raw.list(from).toList();
    for (ObjectInfo o : all) {
      if (!o.key().contains("/leases/")) {
        raw.copy(o.key(), to + o.key().substring(from.length()));
      }
    }
  }

  private static String rows(Path file) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
        var rs = c.createStatement().executeQuery("SELECT group_concat(body, ',') FROM post")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /**
   * Scenario: one keyset, two databases. "app-a" has been scoped from its very first object (it has no
   * unscoped history at all). "app-b" holds unscoped (version 1) objects: written before the operator
   * turned scopes on for it (the migration README describes), or a database not yet moved to scopes.
   * Someone with write access to the bucket and no key copies app-b's lineage (stored bytes) under app-a's
   * prefix; it started later, so "restore latest" of app-a picks it.
   *
   * <p>Expected: README "Client-side encryption": give each database a key scope, and "Another database's
   * object then fails to read (AUTHENTICATION_FAILED, "another key scope"), wherever a backup tier puts it";
   * the unscoped objects a scoped store still reads are "the unscoped objects written before; those stay bound
   * only to their layout tail until retention drops them" — i.e. app-a's own history, which app-a does not
   * have. The restore of app-a fails as a corrupt object.
   *
   * <p>Actual: a scoped reader accepts every version 1 object, whoever wrote it and for as long as it runs
   * (there is no way to say "this database has no unscoped history"): app-b's lineage decrypts in scope
   * "app-a" and the restore returns app-b's rows as app-a's database. The envelope version, not the reader,
   * decides whether the scope is checked, so the attacker chooses.
   */
  @Test
  void aDatabaseScopedFromDayOneStillReadsAnotherDatabasesUnscopedObjects() throws Exception {
    replicate("app-a", unscoped.scoped("app-a"), "a's row");
    replicate("app-b", unscoped, "b's row"); // version 1: app-b's history from before scopes
    rawCopy("prod/app-b/", "prod/app-a/");
    Path confused = dir.resolve("confused.db");
    String restored = null;
    try {
      Restore.run(RestoreOptions.builder(unscoped.scoped("app-a"), "prod/app-a", confused).build());
      restored = rows(confused);
    } catch (RestoreException detected) {
      // what the README promises
    }
    assertNotEquals("b's row", restored, "app-b's unscoped lineage, copied under app-a's prefix, restored as "
        + "app-a's database through a store scoped 'app-a'");
  }
}
