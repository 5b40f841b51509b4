package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OpenAndMigrateTest {
  @TempDir Path dir;

  private static int userVersion(Path db) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + db); var rs = c.createStatement().executeQuery("PRAGMA user_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void migrationsRunOnceInOrderAndAreTrackedInUserVersion() throws Exception {
    DatabaseOptions v2 = DatabaseOptions.builder()
        .migration(1, "create", "CREATE TABLE a(x INTEGER); INSERT INTO a VALUES (1)")
        .migration(2, "add column", "ALTER TABLE a ADD COLUMN y TEXT DEFAULT 'y'")
        .build();
    try (SqliteStore store = SqliteStore.builder(dir).database("data", v2).open()) {
      assertEquals("y", store.database("data").read(c -> {
        try (var rs = c.createStatement().executeQuery("SELECT y FROM a")) {
          rs.next();
          return rs.getString(1);
        }
      }));
    }
    assertEquals(2, userVersion(dir.resolve("data.db")));
    try (SqliteStore store = SqliteStore.builder(dir).database("data", v2).open()) {
      assertEquals(1L, (long) store.database("data").read(c -> {
        try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM a")) {
          rs.next();
          return rs.getLong(1);
        }
      }), "step 1 did not run twice");
    }
  }

  @Test
  void aFailingMigrationLeavesTheDatabaseAsItWasAndFailsTheOpen() throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", DatabaseOptions.builder()
        .migration(1, "create", "CREATE TABLE a(x)").build()).open()) {
      store.database("data").writeAndWait(c -> c.createStatement().executeUpdate("INSERT INTO a VALUES (1)"));
    }
    DatabaseOptions broken = DatabaseOptions.builder()
        .migration(1, "create", "CREATE TABLE a(x)")
        .migration(2, "good", "CREATE TABLE b(x)")
        .migration(3, "typo", "CREAT TABLE c(x)")
        .build();
    MigrationException e = assertThrows(MigrationException.class,
        () -> SqliteStore.builder(dir).database("data", broken).open());
    assertTrue(e.getMessage().contains("migration 3 (typo) failed"), e.getMessage());
    assertTrue(e.getMessage().contains("left at schema version 1"), e.getMessage());
    assertEquals(1, userVersion(dir.resolve("data.db")));
    try (SqliteStore store = SqliteStore.builder(dir).database("data", DatabaseOptions.builder()
        .migration(1, "create", "CREATE TABLE a(x)").build()).open()) {
      Database db = store.database("data");
      assertEquals(0L, (long) db.read(c -> {
        try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM sqlite_schema WHERE name = 'b'")) {
          rs.next();
          return rs.getLong(1);
        }
      }), "step 2 was rolled back with step 3");
    }
  }

  @Test
  void aDatabaseWrittenByNewerCodeIsRefused() {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", DatabaseOptions.builder()
        .migration(1, "a", "CREATE TABLE a(x)").migration(2, "b", "CREATE TABLE b(x)").build()).open()) {
      assertNotNull(store);
    }
    MigrationException e = assertThrows(MigrationException.class, () -> SqliteStore.builder(dir)
        .database("data", DatabaseOptions.builder().migration(1, "a", "CREATE TABLE a(x)").build()).open());
    assertTrue(e.getMessage().contains("schema version 2") && e.getMessage().contains("newer code"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x", "a/b", "a\\b", "", ".hidden", "1abc", "a b", "data.db", "x\u0000y",
      "averyveryveryveryveryveryveryveryveryveryveryveryveryverylongname1"})
  void oddDatabaseNamesAreRefusedBeforeAnyFileIsTouched(String name) throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SqliteStore.builder(dir.resolve("s")).database(name));
    assertTrue(e.getMessage().startsWith("invalid database name"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("s")));
  }

  @Test
  void namesThatDifferOnlyInCaseAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SqliteStore.builder(dir).database("Data").database("data"));
    assertTrue(e.getMessage().contains("ignoring case"), e.getMessage());
  }

  @Test
  void optionsRejectBadValuesNamingThem() {
    assertMessage(() -> DatabaseOptions.builder().pageSize(1000), "pageSize", "1000");
    assertMessage(() -> DatabaseOptions.builder().readers(0), "readers", "0");
    assertMessage(() -> DatabaseOptions.builder().queueCapacity(-1), "queueCapacity", "-1");
    assertMessage(() -> DatabaseOptions.builder().maxBatchSize(0), "maxBatchSize", "0");
    assertMessage(() -> DatabaseOptions.builder().busyTimeout(Duration.ofSeconds(-1)), "busyTimeout", "PT-1S");
    assertMessage(() -> DatabaseOptions.builder().cacheTtl(Duration.ZERO), "cacheTtl", "PT0S");
    assertMessage(() -> DatabaseOptions.builder().migration(2, "skip", "SELECT 1"), "expected 1", "got 2");
    assertMessage(() -> DatabaseOptions.builder().restartWalBytes(1 << 20).hardWalLimitBytes(1 << 17).build(),
        "hardWalLimitBytes", "131072");
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable e, String... parts) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    for (String p : parts) {
      assertTrue(ex.getMessage().contains(p), ex.getMessage() + " should mention " + p);
    }
  }

  @Test
  void aSecondStoreOnTheSameDirectoryIsRefused() {
    try (SqliteStore first = SqliteStore.builder(dir).database("data").open()) {
      StoreException e = assertThrows(StoreException.class, () -> SqliteStore.builder(dir).database("data").open());
      assertTrue(e.getMessage().contains("already used by another open SqliteStore"), e.getMessage());
      assertTrue(first.health().healthy());
    }
    try (SqliteStore again = SqliteStore.builder(dir).database("data").open()) {
      assertTrue(again.health().healthy(), "the lock was released on close");
    }
  }

  @Test
  void aFileThatIsNotADatabaseIsATypedError() throws Exception {
    Files.writeString(dir.resolve("data.db"), "this is not a SQLite file, it is a text file of some length.....");
    StoreException e = assertThrows(StoreException.class, () -> SqliteStore.builder(dir).database("data").open());
    assertEquals("data", e.database());
    assertTrue(e.getMessage().contains("cannot open database 'data'"), e.getMessage());
    // the lock must be released so that the user can retry after fixing the file
    Files.delete(dir.resolve("data.db"));
    try (SqliteStore s = SqliteStore.builder(dir).database("data").open()) {
      assertTrue(s.health().healthy());
    }
  }

  @Test
  void unknownDatabaseNamesListTheKnownOnes() {
    try (SqliteStore store = SqliteStore.builder(dir).database("data").database("ttl").open()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.database("nope"));
      assertTrue(e.getMessage().contains("[data, ttl]"), e.getMessage());
      DatabaseHealth h = store.database("data").health();
      assertTrue(h.writerAlive() && h.acceptingWrites() && h.txid() == 0 && h.lastCommit() == null, h.toString());
    }
  }
}
