package io.litevault.ttl;

import io.litevault.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * For random puts, touches, takes, deletes, clock moves and purges on a real store, {@code get}
 * agrees with a model at every step, and a purge at T removes exactly the rows with expiry <= T.
 */
class TtlModelPropertyTest {
  private static final List<String> KEYS = List.of("a", "b", "c", "d", "e");

  sealed interface Op permits Put, Touch, Take, Delete, Advance, Purge {}
  record Put(String key, String value, long ttlMs) implements Op {}
  record Touch(String key, long ttlMs) implements Op {}
  record Take(String key) implements Op {}
  record Delete(String key) implements Op {}
  record Advance(long ms) implements Op {}
  record Purge() implements Op {}

  /** The physical rows: key -> (value, expiry in ms as stored after rounding up to the unit). */
  record Row(String value, long expMs) {}

  @Property(tries = 100)
  void getAgreesWithModelAndPurgeRemovesExactlyTheExpired(
      @ForAll("ops") List<Op> ops, @ForAll ExpiryUnit unit, @ForAll("startMs") long startMs) throws IOException {
    Path dir = Files.createTempDirectory("ttl-prop");
    TtlTableSpec spec = TtlTableSpec.builder("t").expiry("exp", unit).build();
    MutableClock clock = new MutableClock(Instant.ofEpochMilli(startMs));
    try (SqliteStore store = Stores.open(dir, spec.createTableSql());
         TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).batchSize(3).build())) {
      Database db = store.database("ttl");
      TtlTable<String> table = cleaner.table(db, spec);
      Map<String, Row> model = new HashMap<>();
      int step = 0;
      for (Op op : ops) {
        long now = clock.millis();
        String at = "step " + step++ + " " + op + " at " + now;
        if (op instanceof Put p) {
          table.put(p.key(), p.value(), Duration.ofMillis(p.ttlMs()));
          model.put(p.key(), new Row(p.value(), roundUp(unit, now + p.ttlMs())));
        } else if (op instanceof Touch t) {
          Row r = model.get(t.key());
          boolean live = r != null && r.expMs() > now;
          assertEquals(live, table.touch(t.key(), Duration.ofMillis(t.ttlMs())), at);
          if (live) {
            model.put(t.key(), new Row(r.value(), roundUp(unit, now + t.ttlMs())));
          }
        } else if (op instanceof Take t) {
          Row r = model.remove(t.key());
          assertEquals(r != null && r.expMs() > now ? Optional.of(r.value()) : Optional.empty(), table.take(t.key()), at);
        } else if (op instanceof Delete d) {
          Row r = model.remove(d.key());
          assertEquals(r != null && r.expMs() > now, table.delete(d.key()), at);
        } else if (op instanceof Advance a) {
          clock.advance(Duration.ofMillis(a.ms()));
        } else {
          long expired = model.values().stream().filter(r -> r.expMs() <= now).count();
          PurgeReport report = cleaner.purgeNow();
          assertEquals(expired, report.rowsPurged(), at);
          model.values().removeIf(r -> r.expMs() <= now);
          // No row with expiry <= T remains, and no row with expiry > T was removed.
          assertEquals(model, physicalRows(db, unit), at);
        }
        long t = clock.millis();
        for (String k : KEYS) {
          Row r = model.get(k);
          assertEquals(r != null && r.expMs() > t ? Optional.of(r.value()) : Optional.empty(), table.get(k), at + ": get " + k);
        }
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  static long roundUp(ExpiryUnit unit, long ms) {
    return unit == ExpiryUnit.EPOCH_SECONDS ? Math.floorDiv(ms + 999, 1000) * 1000 : ms;
  }

  static Map<String, Row> physicalRows(Database db, ExpiryUnit unit) {
    return db.read(c -> {
      Map<String, Row> rows = new HashMap<>();
      try (var rs = c.createStatement().executeQuery("SELECT id, value, exp FROM t")) {
        while (rs.next()) {
          rows.put(rs.getString(1), new Row(rs.getString(2), unit.fromSql(rs.getObject(3)).toEpochMilli()));
        }
      }
      return rows;
    });
  }

  @Provide
  Arbitrary<Long> startMs() {
    // Around now, with sub-second offsets so rounding to seconds matters.
    return Arbitraries.longs().between(1_700_000_000_000L, 1_800_000_000_000L);
  }

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<String> key = Arbitraries.of(KEYS);
    Arbitrary<Long> ttl = Arbitraries.longs().between(1, 5_000);
    Arbitrary<Op> op = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, Combinators.combine(key, Arbitraries.strings().alpha().ofMaxLength(6), ttl).as(Put::new)),
        net.jqwik.api.Tuple.of(2, Combinators.combine(key, ttl).as(Touch::new)),
        net.jqwik.api.Tuple.of(2, key.map(Take::new)),
        net.jqwik.api.Tuple.of(1, key.map(Delete::new)),
        net.jqwik.api.Tuple.of(4, Arbitraries.longs().between(0, 3_000).map(Advance::new)),
        net.jqwik.api.Tuple.of(2, Arbitraries.just(new Purge())));
    return op.list().ofMinSize(1).ofMaxSize(40);
  }
}
