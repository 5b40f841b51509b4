package io.litevault.ttl;

import io.litevault.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registration checks against real schemas, and the units other than epoch millis. */
class SchemaChecksTest {
  @TempDir Path dir;
  MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00.500Z"));

  @Test
  void missingIndexFailsWithTheStatementToAddOrIsCreatedWhenAsked() {
    try (SqliteStore store = Stores.open(dir, "CREATE TABLE code(id TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL)")) {
      Database db = store.database("ttl");
      TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).build());
      var e = assertThrows(TtlSchemaException.class, () -> cleaner.register(db, TtlTableSpec.builder("code").build()));
      assertTrue(e.getMessage().contains("CREATE INDEX IF NOT EXISTS \"code_expires_at_ttl\" ON \"code\"(\"expires_at\")"), e.getMessage());
      assertTrue(e.getMessage().contains("createIndexIfMissing"), e.getMessage());
      assertTrue(cleaner.registeredTables().isEmpty());
      cleaner.register(db, TtlTableSpec.builder("code").createIndexIfMissing(true).build());
      assertEquals(1, Stores.count(db, "SELECT count(*) FROM pragma_index_list('code') WHERE name = 'code_expires_at_ttl'"));
      assertEquals(java.util.List.of("ttl.code"), cleaner.registeredTables());
    }
  }

  @Test
  void wrongColumnTypesAndNonUniqueKeysAreRejected() {
    try (SqliteStore store = Stores.open(dir,
        "CREATE TABLE a(id TEXT PRIMARY KEY, value TEXT, expires_at TEXT); CREATE INDEX a_e ON a(expires_at);"
            + "CREATE TABLE b(id TEXT, value TEXT, expires_at INTEGER); CREATE INDEX b_e ON b(expires_at);"
            + "CREATE TABLE c(id INTEGER PRIMARY KEY, value TEXT, expires_at INTEGER); CREATE INDEX c_e ON c(expires_at);"
            + "CREATE VIEW v AS SELECT * FROM a")) {
      Database db = store.database("ttl");
      TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).build());
      var type = assertThrows(TtlSchemaException.class, () -> cleaner.register(db, TtlTableSpec.builder("a").build()));
      assertTrue(type.getMessage().contains("declared 'TEXT'") && type.getMessage().contains("INTEGER"), type.getMessage());
      cleaner.register(db, TtlTableSpec.builder("a").expiry("expires_at", ExpiryUnit.ISO_8601).build()); // right unit: fine
      var col = assertThrows(TtlSchemaException.class,
          () -> cleaner.register(db, TtlTableSpec.builder("b").expiry("valid_until", ExpiryUnit.EPOCH_MILLIS).build()));
      assertTrue(col.getMessage().contains("no column 'valid_until'"), col.getMessage());
      var unique = assertThrows(TtlSchemaException.class, () -> cleaner.table(db, TtlTableSpec.builder("b").build()));
      assertTrue(unique.getMessage().contains("not unique") && unique.getMessage().contains("CREATE UNIQUE INDEX"), unique.getMessage());
      cleaner.register(db, TtlTableSpec.builder("b").build()); // purging needs no unique key
      var keyType = assertThrows(TtlSchemaException.class, () -> cleaner.table(db, TtlTableSpec.builder("c").build()));
      assertTrue(keyType.getMessage().contains("TEXT"), keyType.getMessage());
      assertThrows(TtlSchemaException.class, () -> cleaner.register(db, TtlTableSpec.builder("v").build()));
      var twice = assertThrows(InvalidTtlArgumentException.class,
          () -> cleaner.register(db, TtlTableSpec.builder("A").expiry("expires_at", ExpiryUnit.ISO_8601).maxKeyBytes(9).build()));
      assertTrue(twice.getMessage().contains("already registered"), twice.getMessage());
    }
  }

  @Test
  void isoTextExpiryIsCanonicalAndPurgedByTextOrder() {
    TtlTableSpec spec = TtlTableSpec.builder("iso").expiry("valid_until", ExpiryUnit.ISO_8601).build();
    try (SqliteStore store = Stores.open(dir, spec.createTableSql())) {
      Database db = store.database("ttl");
      TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).batchSize(2).build());
      TtlTable<String> t = cleaner.table(db, spec);
      t.put("a", "1", Duration.ofNanos(1)); // rounds up to the next millisecond
      t.put("b", "2", Duration.ofDays(400));
      t.put("c", "3", Duration.ofHours(1));
      String stored = db.read(c -> {
        try (var rs = c.createStatement().executeQuery("SELECT valid_until FROM iso WHERE id = 'a'")) {
          rs.next();
          return rs.getString(1);
        }
      });
      assertEquals("2026-11-23T10:00:00.501Z", stored);
      assertEquals(Optional.of("1"), t.get("a"));
      clock.advance(Duration.ofHours(2));
      assertEquals(2, cleaner.purgeNow().rowsPurged());
      assertEquals(Optional.of("2"), t.get("b"));
      assertEquals(Optional.of(clock.instant().minus(Duration.ofHours(2)).plus(Duration.ofDays(400))), t.expiresAt("b"));
      assertThrows(InvalidTtlArgumentException.class, () -> t.put("far", "x", Duration.ofDays(366L * 8000)));
    }
  }

  @Test
  void epochSecondsRoundUpSoARowNeverExpiresEarly() {
    TtlTableSpec spec = TtlTableSpec.builder("sec").expiry("exp", ExpiryUnit.EPOCH_SECONDS).build();
    try (SqliteStore store = Stores.open(dir, spec.createTableSql())) {
      TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).build());
      TtlTable<Long> t = cleaner.table(store.database("ttl"), spec, TtlCodec.of(String::valueOf, Long::valueOf));
      t.put("k", 42L, Duration.ofMillis(600)); // now is .500: expires at :01.100, stored as second :02
      clock.advance(Duration.ofMillis(1400)); // :01.900
      assertEquals(Optional.of(42L), t.get("k"));
      assertEquals(0, cleaner.purgeNow().rowsPurged());
      clock.advance(Duration.ofMillis(100)); // :02.000
      assertEquals(Optional.empty(), t.get("k"));
      assertEquals(1, cleaner.purgeNow().rowsPurged());
    }
  }

  @Test
  void withoutRowidTablesArePurgedByPrimaryKey() {
    try (SqliteStore store = Stores.open(dir,
        "CREATE TABLE rl(bucket TEXT, window INTEGER, hits INTEGER, reset_at INTEGER NOT NULL, PRIMARY KEY(bucket, window)) WITHOUT ROWID;"
            + "CREATE INDEX rl_reset ON rl(reset_at)")) {
      Database db = store.database("ttl");
      db.writeAndWait(c -> {
        try (var ps = c.prepareStatement("INSERT INTO rl VALUES (?, ?, 1, ?)")) {
          for (int i = 0; i < 50; i++) {
            ps.setString(1, "ip" + (i % 7));
            ps.setInt(2, i);
            ps.setLong(3, clock.millis() + (i < 30 ? -1 : 1));
            ps.executeUpdate();
          }
        }
        return null;
      });
      TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).batchSize(7).build());
      cleaner.register(db, TtlTableSpec.builder("rl").expiry("reset_at", ExpiryUnit.EPOCH_MILLIS).build());
      PurgeReport r = cleaner.purgeNow(db, "rl");
      assertEquals(30, r.rowsPurged());
      assertEquals(20, Stores.count(db, "SELECT count(*) FROM rl"));
      assertEquals(0, Stores.count(db, "SELECT count(*) FROM rl WHERE reset_at <= " + clock.millis()));
    }
  }
}
