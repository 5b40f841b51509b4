package io.litevault.ttl;

import io.litevault.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import io.litevault.testing.Unchecked;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * For random puts, touches, takes, deletes, clock moves and purges on a real store, {@code get}
 * agrees with a model at every step, and a purge at T removes exactly the rows with expiry <= T.
 * A failure shrinks the operations and reports "Seed was N"; {@code -DQT_SEED=N} replays them.
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

  @Test
  void getAgreesWithModelAndPurgeRemovesExactlyTheExpired() {
    // 100 tries; a failing case gets at most 300 shrink attempts (a try takes ~40 ms).
    qt().withExamples(100).withShrinkCycles(300).forAll(ops(), arbitrary().enumValues(ExpiryUnit.class), startMs())
        .checkAssert((ops, unit, startMs) -> Unchecked.run(() -> tryOnce(ops, unit, startMs)));
  }

  private void tryOnce(List<Op> ops, ExpiryUnit unit, long startMs) throws IOException {
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

  static Gen<Long> startMs() {
    // Around now, with sub-second offsets so rounding to seconds matters.
    return longs().between(1_700_000_000_000L, 1_800_000_000_000L);
  }

  /** Letters a-z and A-Z, 0 to 6 of them. */
  static Gen<String> alpha() {
    Gen<Character> letter = integers().between(0, 51).map(i -> (char) (i < 26 ? 'a' + i : 'A' + i - 26));
    return lists().of(letter).ofSizeBetween(0, 6).map(cs -> cs.stream().map(String::valueOf).collect(Collectors.joining()));
  }

  static Gen<List<Op>> ops() {
    Gen<String> key = arbitrary().pick(KEYS);
    Gen<Long> ttl = longs().between(1, 5_000);
    Gen<Op> op = Generate.frequency(List.of(
        Pair.<Integer, Gen<Op>>of(5, key.zip(alpha(), ttl, Put::new)),
        Pair.<Integer, Gen<Op>>of(2, key.zip(ttl, Touch::new)),
        Pair.<Integer, Gen<Op>>of(2, key.map(Take::new)),
        Pair.<Integer, Gen<Op>>of(1, key.map(Delete::new)),
        Pair.<Integer, Gen<Op>>of(4, longs().between(0, 3_000).map(Advance::new)),
        Pair.<Integer, Gen<Op>>of(2, arbitrary().constant(new Purge()))));
    // 1 to 40 operations, mostly short runs as before (four in five have at most 8, about 8 on average;
    // the previous library's sizes averaged 5, a uniform 1-40 would average 20).
    Gen<Integer> size = Generate.frequency(List.of(
        Pair.of(4, integers().between(1, 8)),
        Pair.of(1, integers().between(9, 40))));
    return lists().of(op).ofSizes(size);
  }
}
