package io.litevault.ttl;

import io.litevault.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.SqliteStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One-time codes: of 16 threads taking the same code at once, exactly one gets it. */
class TakeConcurrencyTest {
  @TempDir Path dir;

  @Test
  void exactlyOneOfSixteenConcurrentTakesSucceeds() throws Exception {
    TtlTableSpec spec = TtlTableSpec.builder("one_time_code").build();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    int threads = 16;
    int rounds = 50;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (SqliteStore store = Stores.open(dir, spec.createTableSql());
         TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).build())) {
      TtlTable<String> codes = cleaner.table(store.database("ttl"), spec);
      CyclicBarrier barrier = new CyclicBarrier(threads);
      for (int round = 0; round < rounds; round++) {
        String code = String.format("%06d", round * 7919 % 1_000_000);
        codes.put(code, "user-" + round, Duration.ofMinutes(10));
        List<Future<Optional<String>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          results.add(pool.submit(() -> {
            barrier.await();
            return codes.take(code);
          }));
        }
        int winners = 0;
        for (Future<Optional<String>> f : results) {
          Optional<String> got = f.get();
          if (got.isPresent()) {
            winners++;
            assertEquals("user-" + round, got.get());
          }
        }
        assertEquals(1, winners, "round " + round + ": exactly one take must succeed");
        assertEquals(Optional.empty(), codes.get(code));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
