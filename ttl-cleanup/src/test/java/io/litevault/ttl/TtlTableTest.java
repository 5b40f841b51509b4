package io.litevault.ttl;

import io.litevault.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TtlTableTest {
  static final TtlTableSpec SESSIONS = TtlTableSpec.builder("session").build();
  @TempDir Path dir;
  MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
  SqliteStore store;
  Database db;
  TtlCleaner cleaner;
  TtlTable<String> sessions;

  @BeforeEach
  void open() {
    store = Stores.open(dir, SESSIONS.createTableSql());
    db = store.database("ttl");
    cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).build());
    sessions = cleaner.table(db, SESSIONS);
  }

  @AfterEach
  void close() {
    cleaner.close();
    store.close();
  }

  @Test
  void expiredRowIsNeverReturnedEvenBeforePurge() {
    sessions.put("s1", "alice", Duration.ofMinutes(30));
    assertEquals(Optional.of("alice"), sessions.get("s1"));
    assertEquals(Optional.of(clock.instant().plus(Duration.ofMinutes(30))), sessions.expiresAt("s1"));
    clock.advance(Duration.ofMinutes(30).minusMillis(1));
    assertEquals(Optional.of("alice"), sessions.get("s1"));
    clock.advance(Duration.ofMillis(1)); // expiry == now: expired
    assertEquals(Optional.empty(), sessions.get("s1"));
    assertEquals(1, Stores.count(db, "SELECT count(*) FROM session"), "still there physically, not yet purged");
    assertEquals(0, sessions.countLive());
  }

  @Test
  void touchSlidesOnlyLiveRows() {
    sessions.put("s1", "alice", Duration.ofMinutes(10));
    clock.advance(Duration.ofMinutes(9));
    assertTrue(sessions.touch("s1", Duration.ofMinutes(10)));
    clock.advance(Duration.ofMinutes(9));
    assertEquals(Optional.of("alice"), sessions.get("s1"), "touched 9 minutes ago for 10");
    clock.advance(Duration.ofMinutes(2));
    assertFalse(sessions.touch("s1", Duration.ofMinutes(10)), "an expired session must not come back");
    assertEquals(Optional.empty(), sessions.get("s1"));
    assertFalse(sessions.touch("nope", Duration.ofMinutes(1)));
  }

  @Test
  void putReplacesAndDeleteTellsWhetherLive() {
    sessions.put("s1", "alice", Duration.ofMinutes(1));
    sessions.put("s1", "bob", Duration.ofMinutes(5));
    clock.advance(Duration.ofMinutes(2));
    assertEquals(Optional.of("bob"), sessions.get("s1"));
    assertTrue(sessions.delete("s1"));
    assertFalse(sessions.delete("s1"));
    sessions.put("s2", "carol", Duration.ofSeconds(1));
    clock.advance(Duration.ofSeconds(1));
    assertFalse(sessions.delete("s2"), "expired rows are deleted but do not count as live");
    assertEquals(0, Stores.count(db, "SELECT count(*) FROM session"));
  }

  @Test
  void takeReturnsOnceAndNeverAnExpiredCode() {
    sessions.put("123456", "user-1", Duration.ofMinutes(10));
    assertEquals(Optional.of("user-1"), sessions.take("123456"));
    assertEquals(Optional.empty(), sessions.take("123456"));
    sessions.put("654321", "user-2", Duration.ofMinutes(10));
    clock.advance(Duration.ofMinutes(10));
    assertEquals(Optional.empty(), sessions.take("654321"));
    assertEquals(0, Stores.count(db, "SELECT count(*) FROM session"), "the expired code was removed too");
  }

  @Test
  void badInputGetsTypedExceptionsNamingTheValue() {
    var neg = assertThrows(InvalidTtlArgumentException.class, () -> sessions.put("k", "v", Duration.ofSeconds(-5)));
    assertTrue(neg.getMessage().contains("PT-5S"), neg.getMessage());
    assertThrows(InvalidTtlArgumentException.class, () -> sessions.put("k", "v", Duration.ZERO));
    assertThrows(InvalidTtlArgumentException.class, () -> sessions.touch("k", null));
    var big = assertThrows(InvalidTtlArgumentException.class, () -> sessions.put("x".repeat(513), "v", Duration.ofSeconds(1)));
    assertTrue(big.getMessage().contains("513 UTF-8 bytes") && big.getMessage().contains("512"), big.getMessage());
    // 171 three-byte characters = 513 bytes although only 171 chars
    assertThrows(InvalidTtlArgumentException.class, () -> sessions.get("€".repeat(171)));
    sessions.put("€".repeat(170), "v", Duration.ofSeconds(1)); // 510 bytes: fine
    assertThrows(InvalidTtlArgumentException.class, () -> sessions.take(""));
    assertThrows(InvalidTtlArgumentException.class, () -> sessions.get(null));
    assertThrows(InvalidTtlArgumentException.class, () -> sessions.put("k", "v", Duration.ofSeconds(Long.MAX_VALUE)));
    assertEquals(1, Stores.count(db, "SELECT count(*) FROM session"), "nothing of the bad calls was written");
    assertThrows(InvalidTtlArgumentException.class, () -> TtlTableSpec.builder("bad name"));
    assertThrows(InvalidTtlArgumentException.class, () -> TtlTableSpec.builder("t").expiry("x;DROP", ExpiryUnit.EPOCH_MILLIS));
    assertThrows(InvalidTtlArgumentException.class, () -> TtlTableSpec.builder("t").expiry("a".repeat(129), ExpiryUnit.EPOCH_MILLIS));
    assertThrows(InvalidTtlArgumentException.class, () -> TtlTableSpec.builder("t").maxKeyBytes(0));
    assertThrows(InvalidTtlArgumentException.class, () -> TtlOptions.builder().batchSize(0));
    var cron = assertThrows(InvalidTtlArgumentException.class, () -> TtlOptions.builder().cron("61 * * * *"));
    assertTrue(cron.getMessage().contains("61 * * * *"), cron.getMessage());
    assertThrows(InvalidTtlArgumentException.class, () -> TtlOptions.builder().interval(Duration.ofSeconds(-1)));
    var share = assertThrows(InvalidTtlArgumentException.class, () -> TtlOptions.builder().writerShare(0));
    assertTrue(share.getMessage().contains("writerShare") && share.getMessage().contains("0.0"), share.getMessage());
    assertThrows(InvalidTtlArgumentException.class, () -> TtlOptions.builder().writerShare(1.5));
    assertThrows(InvalidTtlArgumentException.class, () -> TtlOptions.builder().targetBatchTime(Duration.ofMillis(-1)));
  }

  @Test
  void unknownTableIsATypedError() {
    var e = assertThrows(UnknownTtlTableException.class, () -> cleaner.purgeNow(db, "codes"));
    assertEquals("codes", e.table());
    assertTrue(e.getMessage().contains("ttl.session"), e.getMessage());
    var missing = assertThrows(TtlSchemaException.class, () -> cleaner.register(db, TtlTableSpec.builder("codes").build()));
    assertTrue(missing.getMessage().contains("no table 'codes'"), missing.getMessage());
  }

  @Test
  void purgeRemovesExpiredRowsOnlyAndReportsThem() {
    for (int i = 0; i < 25; i++) {
      sessions.put("old" + i, "v", Duration.ofMinutes(1));
      sessions.put("new" + i, "v", Duration.ofMinutes(10));
    }
    clock.advance(Duration.ofMinutes(5));
    TtlCleaner small = TtlCleaner.create(TtlOptions.builder().clock(clock).batchSize(10).build());
    small.register(db, SESSIONS);
    PurgeReport r = small.purgeNow();
    assertEquals(25, r.rowsPurged());
    assertEquals(3, r.tables().get(0).batches(), "10 + 10 + 5");
    assertTrue(r.complete());
    assertEquals(clock.instant(), r.cutoff());
    assertEquals(25, Stores.count(db, "SELECT count(*) FROM session"));
    assertEquals(25, small.metrics().rowsPurged("ttl", "session"));
    assertEquals(1, small.metrics().runs());
    assertEquals(Optional.of("v"), sessions.get("new3"));
  }

  @Test
  void aPurgeOnAClosedStoreReportsTheFailureAndDoesNotThrow() {
    sessions.put("s1", "alice", Duration.ofMinutes(1));
    clock.advance(Duration.ofMinutes(2));
    store.close();
    PurgeReport r = cleaner.purgeNow();
    assertFalse(r.complete());
    assertEquals(0, r.rowsPurged());
    assertTrue(r.tables().get(0).failure().contains("closed"), r.tables().get(0).failure());
    assertEquals(1, cleaner.metrics().incompleteRuns());
  }

  @Test
  void purgeInvalidatesCachedReadsOfThePurgedTable() {
    sessions.put("s1", "alice", Duration.ofMinutes(1));
    var loader = (io.litevault.store.ReadTask<Long>) c -> {
      try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM session")) {
        rs.next();
        return rs.getLong(1);
      }
    };
    assertEquals(1L, db.cached("session", "count", loader));
    clock.advance(Duration.ofMinutes(2));
    assertEquals(1, cleaner.purgeNow().rowsPurged());
    assertEquals(0L, db.cached("session", "count", loader));
  }
}
