package io.litevault.ttl;

import io.litevault.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Purges {@code rows} expired rows while 8 threads keep writing live rows into the same table, and
 * checks that every write committed and exactly the expired rows went. Prints the writers' p99 latency
 * idle vs during the purge (recorded, never asserted: timing belongs in benchmarks).
 */
final class PurgeUnderLoad {
  static final int WRITERS = 8;
  private static final int FILL_CHUNK = 50_000;

  private PurgeUnderLoad() {}

  static void run(Path dir, int rows) throws Exception {
    TtlTableSpec spec = TtlTableSpec.builder("session").build();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    try (SqliteStore store = Stores.open(dir, spec.createTableSql());
         TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).build())) {
      Database db = store.database("ttl");
      TtlTable<String> sessions = cleaner.table(db, spec);
      long expired = clock.millis() - 1;
      for (int from = 0; from < rows; from += FILL_CHUNK) {
        int start = from;
        int end = Math.min(rows, from + FILL_CHUNK);
        db.writeAndWait(c -> {
          try (var ps = c.prepareStatement("INSERT INTO session(id, value, expires_at) VALUES (?, ?, ?)")) {
            for (int i = start; i < end; i++) {
              ps.setString(1, "expired-" + i);
              ps.setString(2, "payload-of-an-old-session-" + i);
              ps.setLong(3, expired - (i % 86_400_000));
              ps.executeUpdate();
            }
          }
          return null;
        });
      }

      Phase idle = writeWhile(pool, sessions, "idle", () -> sleep(1_500));
      PurgeReport[] report = new PurgeReport[1];
      Phase purging = writeWhile(pool, sessions, "purge", () -> report[0] = cleaner.purgeNow());

      PurgeReport r = report[0];
      assertTrue(r.complete(), r.toString());
      assertEquals(rows, r.rowsPurged());
      assertEquals(0, Stores.count(db, "SELECT count(*) FROM session WHERE expires_at <= " + clock.millis()));
      assertEquals(idle.writes + purging.writes, Stores.count(db, "SELECT count(*) FROM session"),
          "every write committed, and the purge removed none of them");
      assertTrue(purging.writes > 0, "writes must commit while the purge runs, between its batches");
      System.out.printf("purged %,d rows in %d batches in %d ms (%,.0f rows/s, slowest batch %d ms); writers idle: %,d writes p99 %.2f ms;"
              + " during purge: %,d writes p99 %.2f ms (ratio %.2f)%n",
          r.rowsPurged(), r.tables().get(0).batches(), r.duration().toMillis(),
          r.rowsPurged() / (r.duration().toNanos() / 1e9), r.tables().get(0).slowestBatch().toMillis(), idle.writes, idle.p99Ms(), purging.writes, purging.p99Ms(),
          purging.p99Ms() / idle.p99Ms());
      System.out.println(db.health());
    } finally {
      pool.shutdownNow();
    }
  }

  record Phase(long writes, long[] latenciesNanos) {
    double p99Ms() {
      long[] l = latenciesNanos.clone();
      Arrays.sort(l);
      return l.length == 0 ? Double.NaN : l[(int) Math.min(l.length - 1, Math.ceil(l.length * 0.99) - 1)] / 1e6;
    }
  }

  /** Runs 8 writer threads (each put waits for its commit) until {@code body} returns. */
  private static Phase writeWhile(ExecutorService pool, TtlTable<String> table, String phase, Runnable body) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<Future<long[]>> writers = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      int id = w;
      writers.add(pool.submit(() -> {
        long[] lat = new long[1 << 12];
        int n = 0;
        while (!stop.get()) {
          long t0 = System.nanoTime();
          table.put(phase + "-" + id + "-" + n, "a live session", Duration.ofHours(1)); // throws if it fails
          if (n == lat.length) {
            lat = Arrays.copyOf(lat, n * 2);
          }
          lat[n++] = System.nanoTime() - t0;
        }
        return Arrays.copyOf(lat, n);
      }));
    }
    try {
      CompletableFuture.runAsync(body).join();
    } finally {
      stop.set(true);
    }
    long total = 0;
    List<long[]> all = new ArrayList<>();
    for (Future<long[]> f : writers) {
      long[] l = f.get();
      total += l.length;
      all.add(l);
    }
    return new Phase(total, all.stream().flatMapToLong(Arrays::stream).toArray());
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
