package io.litevault.bucket.crypt;

import static org.junit.jupiter.api.Assertions.*;

import com.google.crypto.tink.KeysetHandle;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.crypt.ObjectDecryptionException.Reason;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key scopes ({@link EncryptedObjectStore#scoped}, envelope version 2): one keyset for several databases, each
 * database's objects bound to its name, so that another database's object copied under its prefix does not
 * read, while a backup tier of the database (wherever it puts it) still does.
 */
class CryptScopeTest {
  @TempDir Path dir;
  FileSystemObjectStore raw;
  KeysetHandle keyset;
  EncryptedObjectStore unscoped;

  @BeforeEach
  void open() throws IOException {
    raw = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    keyset = TestKeys.fresh();
    unscoped = EncryptedObjectStore.wrap(raw, TestKeys.provider(keyset));
  }

  private static byte[] read(ObjectStore from, String key) throws IOException {
    try (InputStream in = from.get(key)) {
      return in.readAllBytes();
    }
  }

  private static ObjectDecryptionException failsToRead(ObjectStore from, String key) {
    try (InputStream in = from.get(key)) {
      IOException io = assertThrows(IOException.class, in::readAllBytes, "reading " + key);
      return assertInstanceOf(ObjectDecryptionException.class, io.getCause());
    } catch (ObjectDecryptionException direct) {
      return direct;
    } catch (IOException other) {
      throw new AssertionError(other);
    }
  }

  @Test
  void aScopedObjectIsVersionTwoWithTheSameHeaderSizeAndReadsOnlyInItsScope() throws IOException {
    String key = "prod/orders/lineages/20261203T010203004Z-0a1b2c3d/segments/0000000000000001-0000000000000001.lvsg";
    byte[] body = "orders' rows".getBytes(StandardCharsets.UTF_8);
    unscoped.scoped("orders").put(key, body);
    byte[] stored = read(raw, key);
    assertEquals(2, stored[4], "envelope version");
    assertEquals(Framing.storedSize(body.length), stored.length, "a scope adds no stored byte");
    assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains("orders"), "the scope is not stored");
    assertArrayEquals(body, read(unscoped.scoped("orders"), key));
    assertEquals(body.length, unscoped.scoped("orders").stat(key).orElseThrow().size());

    ObjectDecryptionException other = failsToRead(unscoped.scoped("users"), key);
    assertEquals(Reason.AUTHENTICATION_FAILED, other.reason());
    assertEquals(key, other.key());
    assertTrue(other.getMessage().contains("another key scope"), other.getMessage());

    ObjectDecryptionException none = failsToRead(unscoped, key);
    assertEquals(Reason.SCOPE_REQUIRED, none.reason());
    assertTrue(none.getMessage().contains(key) && none.getMessage().contains("scope"), none.getMessage());
  }

  @Test
  void aScopedStoreReadsUnscopedHistoryOnlyWhenAllowed() throws IOException {
    String old = "db/lineages/L/segments/0000000000000001-0000000000000001.lvsg";
    String fresh = "db/lineages/L/segments/0000000000000002-0000000000000002.lvsg";
    unscoped.put(old, "before".getBytes(StandardCharsets.UTF_8));
    EncryptedObjectStore scoped = unscoped.scoped("db");
    scoped.put(fresh, "after".getBytes(StandardCharsets.UTF_8));
    ObjectDecryptionException refused = failsToRead(scoped, old);
    assertEquals(Reason.UNSCOPED_OBJECT, refused.reason());
    assertTrue(refused.getMessage().contains(old) && refused.getMessage().contains("'db'"), refused.getMessage());
    EncryptedObjectStore migrating = scoped.withUnscopedHistory();
    assertEquals("before", new String(read(migrating, old), StandardCharsets.UTF_8));
    assertEquals("after", new String(read(migrating, fresh), StandardCharsets.UTF_8));
    assertEquals(1, read(raw, old)[4]);
    migrating.put(old + "2", "still scoped".getBytes(StandardCharsets.UTF_8));
    assertEquals(2, read(raw, old + "2")[4], "it writes scoped objects");
    assertThrows(IllegalStateException.class, unscoped::withUnscopedHistory);
    assertTrue(migrating.readsUnscopedHistory() && !scoped.readsUnscopedHistory());
  }

  @Test
  void rangedReadsOfALargeScopedObjectDecryptEverySegment() throws IOException {
    EncryptedObjectStore scoped = unscoped.scoped("big");
    String key = "big/lineages/L/snapshots/0000000000000009.lvsn";
    byte[] body = new byte[Framing.FIRST_PLAIN + 2 * Framing.PLAIN + 777];
    new Random(16).nextBytes(body);
    scoped.put(key, new java.io.ByteArrayInputStream(body), body.length);
    long[][] ranges = {{0, 10}, {Framing.FIRST_PLAIN - 5, 10}, {Framing.FIRST_PLAIN + Framing.PLAIN + 3, 900},
        {body.length - 100, 100}};
    for (long[] r : ranges) {
      try (InputStream in = scoped.get(key, r[0], r[1])) {
        assertArrayEquals(Arrays.copyOfRange(body, (int) r[0], (int) (r[0] + r[1])), in.readAllBytes(),
            "range " + r[0] + "+" + r[1]);
      }
    }
    try (InputStream in = unscoped.scoped("small").get(key, Framing.FIRST_PLAIN + 10, 10)) {
      fail("a range of another scope's object read: " + in.readAllBytes().length + " bytes");
    } catch (ObjectDecryptionException expected) {
      assertEquals(Reason.AUTHENTICATION_FAILED, expected.reason());
    }
  }

  @Test
  void aCopyInsideTheScopeIsServerSideAndStillReads() throws IOException {
    EncryptedObjectStore scoped = unscoped.scoped("db");
    String a = "db/lineages/L/segments/0000000000000001-0000000000000001.lvsg";
    String b = "db/elsewhere/" + a.substring(3); // another key, another identity: re-encrypted
    scoped.put(a, "one".getBytes(StandardCharsets.UTF_8));
    scoped.copy(a, "tier/" + a); // same identity: the stored bytes as they are
    assertArrayEquals(read(raw, a), read(raw, "tier/" + a));
    scoped.copy(a, b);
    assertEquals("one", new String(read(scoped, b), StandardCharsets.UTF_8));
    assertEquals("one", new String(read(scoped, "tier/" + a), StandardCharsets.UTF_8));
  }

  @Test
  void badScopesAreRefusedNamingWhatIsWrong() {
    String empty = assertThrows(IllegalArgumentException.class, () -> unscoped.scoped("")).getMessage();
    assertTrue(empty.contains("empty"), empty);
    assertThrows(IllegalArgumentException.class, () -> unscoped.scoped(null));
    String space = assertThrows(IllegalArgumentException.class, () -> unscoped.scoped("orders ")).getMessage();
    assertTrue(space.contains("'orders '") && space.contains("trailing space"), space);
    String control = assertThrows(IllegalArgumentException.class, () -> unscoped.scoped("ord\ners")).getMessage();
    assertTrue(control.contains("control"), control);
    String longOne = assertThrows(IllegalArgumentException.class, () -> unscoped.scoped("é".repeat(128))).getMessage();
    assertTrue(longOne.contains("256") && longOne.contains("255"), longOne);
    assertEquals("é".repeat(127) + "x", unscoped.scoped("é".repeat(127) + "x").scope().orElseThrow(), "255 bytes");
    assertTrue(unscoped.scope().isEmpty());
    assertTrue(unscoped.scoped("orders").describe().endsWith("scope 'orders'"), unscoped.scoped("orders").describe());
  }

  private static String rows(Path file) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
        var rs = c.createStatement().executeQuery("SELECT group_concat(body, ',') FROM post")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** What a tier run does (CopyPlan): every non-lease object under the source prefix, raw, to the tier. */
  private void tierCopy(String sourcePrefix, String tierPrefix) {
    List<ObjectInfo> all = raw.list(sourcePrefix).toList();
    for (ObjectInfo o : all) {
      if (!o.key().contains("/leases/")) {
        raw.copy(o.key(), tierPrefix + o.key().substring(sourcePrefix.length()));
      }
    }
  }

  private void replicate(String database, String body) throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live-" + database)).database(database,
            DatabaseOptions.builder().migration(1, "post",
                "CREATE TABLE post(id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL)").build()).open();
        Replicator r = Replicator.start(store.database(database),
            ReplicatorOptions.builder(unscoped.scoped(database), "prod/" + database).build())) {
      r.write(c -> {
        try (var ps = c.prepareStatement("INSERT INTO post(author, body) VALUES ('a', ?)")) {
          ps.setString(1, body);
          return ps.executeUpdate();
        }
      }, Durability.REPLICATED).get(20, TimeUnit.SECONDS);
    }
  }

  /**
   * Two databases replicated with one keyset, each scoped to its name. A tier of one database's own prefix
   * restores with its scope; app-b's whole lineage copied under app-a's prefix (newer, so "restore latest"
   * would pick it) fails the restore as a corrupt object instead of returning app-b's rows as app-a's.
   */
  @Test
  void aTierRestoresWithItsScopeAndAnotherDatabasesLineageFailsTheRestore() throws Exception {
    replicate("app-a", "a's row");
    replicate("app-b", "b's row");
    tierCopy("prod/app-a/", "backups/daily/");
    Path fromTier = dir.resolve("tier.db");
    Restore.run(RestoreOptions.builder(unscoped.scoped("app-a"), "backups/daily", fromTier).build());
    assertEquals("a's row", rows(fromTier));

    tierCopy("prod/app-b/", "prod/app-a/"); // app-b's lineage, started later, becomes app-a's newest
    Path confused = dir.resolve("confused.db");
    RestoreException e = assertThrows(RestoreException.class,
        () -> Restore.run(RestoreOptions.builder(unscoped.scoped("app-a"), "prod/app-a", confused).build()));
    assertTrue(e.getMessage().contains("prod/app-a/lineages/"), e.getMessage());
    assertFalse(Files.exists(confused) && "b's row".equals(rows(confused)), "app-b's rows restored as app-a's");
  }
}
