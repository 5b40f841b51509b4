package io.litevault.demo;

import io.litevault.store.Database;
import io.litevault.ttl.PurgeReport;
import io.litevault.ttl.TtlCleaner;
import io.litevault.ttl.TtlOptions;
import io.litevault.ttl.TtlTable;
import io.litevault.ttl.TtlTableSpec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * The demo's sessions and one-time codes: TTL tables of the unreplicated {@code ttl} database, on the
 * compressed clock, purged every simulated hour while the traffic runs. Writes acknowledged while a purge
 * runs are timed apart, so the report can show the writers' p99 during purges.
 */
final class Sessions implements AutoCloseable {
  static final TtlTableSpec SESSION = TtlTableSpec.builder("session").build();
  static final TtlTableSpec CODE = TtlTableSpec.builder("one_time_code").build();
  /** 10 simulated minutes per real second: a 2-million-write run covers most of a day. */
  static final long SPEED = 600;
  static final Duration SESSION_TTL = Duration.ofMinutes(30);
  static final Duration CODE_TTL = Duration.ofMinutes(10);
  static final Duration PURGE_EVERY = Duration.ofHours(1);

  private final TtlCleaner cleaner;
  private final TtlTable<String> sessions;
  private final TtlTable<String> codes;
  private final Thread purger;
  private final java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
  volatile boolean purging;
  final LongAdder rowsPurged = new LongAdder();
  final LongAdder purges = new LongAdder();
  final LongAdder codesTaken = new LongAdder();
  final org.HdrHistogram.ConcurrentHistogram writeLatencyDuringPurge = Latency.histogram();

  Sessions(Database ttl) {
    DemoClock clock = new DemoClock(SPEED);
    this.cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).build());
    this.sessions = cleaner.table(ttl, SESSION);
    this.codes = cleaner.table(ttl, CODE);
    long realMillis = PURGE_EVERY.toMillis() / SPEED;
    this.purger = new Thread(() -> {
      while (true) {
        try {
          if (stop.await(realMillis, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            return; // never interrupted mid-purge: a purge in progress finishes its batch first
          }
        } catch (InterruptedException e) {
          return;
        }
        purging = true;
        try {
          PurgeReport r = cleaner.purgeNow();
          rowsPurged.add(r.rowsPurged());
          purges.increment();
        } finally {
          purging = false;
        }
      }
    }, "demo-ttl-purge");
    purger.setDaemon(true);
  }

  /** The {@code ttl} database's schema: both tables with their expiry indexes. */
  static io.litevault.store.DatabaseOptions options() {
    return io.litevault.store.DatabaseOptions.builder()
        .migration(1, "sessions", SESSION.createTableSql())
        .migration(2, "one-time codes", CODE.createTableSql())
        .build();
  }

  void start() {
    purger.start();
  }

  /** One session write: a new or refreshed session, sometimes a one-time code issued and used. */
  CompletableFuture<?> write(ThreadLocalRandom rnd) {
    String token = Long.toHexString(rnd.nextLong()) + Long.toHexString(rnd.nextLong());
    if (rnd.nextInt(10) == 0) {
      // take() is a write of its own: never from the writer thread that completes putAsync.
      return codes.putAsync(token, "login:" + rnd.nextInt(1000), CODE_TTL).thenRunAsync(() -> {
        if (codes.take(token).isPresent()) {
          codesTaken.increment();
        }
      });
    }
    return sessions.putAsync(token, "{\"user\":" + rnd.nextInt(1000) + "}", SESSION_TTL);
  }

  @Override
  public void close() throws InterruptedException {
    stop.countDown();
    purger.join(30_000);
    cleaner.close();
  }
}
