package io.litevault.bench;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import io.litevault.bucket.OperationStats;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.follow.Follower;
import io.litevault.replication.follow.FollowerOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 15's follower figures, in one JVM against one embedded S3 server: a primary writing LOCAL single-row
 * transactions at a fixed rate (each row holds its commit's {@code System.nanoTime}), a follower of it, and a
 * watcher on the follower that, every millisecond, reads the rows it has not seen yet: a row's lag is the time
 * from its commit at the primary to the first follower read that sees it (upload interval + poll interval +
 * the GET and apply). Then point selects on the follower and on the primary, the same threads and keys, one
 * after the other (a ratio); then the follower's requests over an idle minute window scaled from
 * {@code --idle-seconds}. A main class, not part of the test run.
 */
@Command(name = "follower-lag", mixinStandardHelpOptions = true)
public final class FollowerLagHarness implements Callable<Integer> {
  @Option(names = "--rates", split = ",", defaultValue = "500,5000") int[] rates;
  @Option(names = "--seconds", defaultValue = "20") int seconds;
  @Option(names = "--min-upload-ms", defaultValue = "1000", description = "the primary's minUploadInterval")
  long minUploadMs;
  @Option(names = "--poll-ms", defaultValue = "1000", description = "the follower's pollInterval") long pollMs;
  @Option(names = "--read-threads", defaultValue = "2") int readThreads;
  @Option(names = "--read-seconds", defaultValue = "5") int readSeconds;
  @Option(names = "--idle-seconds", defaultValue = "20") int idleSeconds;
  @Option(names = "--dir", required = true) Path dir;

  public static void main(String[] args) {
    System.exit(new CommandLine(new FollowerLagHarness()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(dir);
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(dir.resolve("bucket")).start()) {
      S3Options o = S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString()).region(s3.region())
          .credentials(s3.accessKey(), s3.secretKey()).build();
      System.out.printf(Locale.ROOT, "minUploadInterval %d ms, follower pollInterval %d ms, %d s per rate%n",
          minUploadMs, pollMs, seconds);
      for (int rate : rates) {
        run(o, rate);
      }
    }
    return 0;
  }

  private void run(S3Options o, int rate) throws Exception {
    Path run = dir.resolve("rate-" + rate);
    String prefix = "lag/" + rate + "-" + System.nanoTime();
    try (ObjectStore primaryBucket = MinioObjectStore.create(o); ObjectStore followerBucket = S3ObjectStore.create(o);
        SqliteStore store = SqliteStore.builder(run.resolve("primary")).database("data", DatabaseOptions.builder()
            .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, v TEXT)").build()).open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(primaryBucket, prefix)
            .minUploadInterval(Duration.ofMillis(minUploadMs)).build())) {
      Database db = store.database("data");
      db.writeAndWait(c -> c.createStatement().executeUpdate("INSERT INTO t(ts, v) VALUES(0, 'seed')"));
      r.awaitReplicated(db.lastTxid(), Duration.ofSeconds(30));
      try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, run.resolve("follower/data.db"))
          .pollInterval(Duration.ofMillis(pollMs)).build())) {
        Histogram lag = new Histogram(3);
        AtomicBoolean stop = new AtomicBoolean();
        Thread watcher = new Thread(() -> watch(f, lag, stop), "lag-watcher");
        watcher.start();
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        long n = (long) rate * seconds;
        for (long i = 0; i < n; i++) {
          long due = start + i * interval;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
          db.write(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO t(ts, v) VALUES(?, ?)")) {
              p.setLong(1, System.nanoTime());
              p.setString(2, "x".repeat(100));
              return p.executeUpdate();
            }
          });
        }
        r.awaitReplicated(db.lastTxid(), Duration.ofSeconds(60));
        long last = db.read(c -> count(c));
        while (f.read(FollowerLagHarness::count) < last) {
          Thread.sleep(5);
        }
        Thread.sleep(50);
        stop.set(true);
        watcher.join();
        System.out.printf(Locale.ROOT, "rate %5d/s: follower lag p50 %.0f ms, p99 %.0f ms, max %.0f ms over %d rows; %s%n",
            rate, lag.getValueAtPercentile(50) / 1000.0, lag.getValueAtPercentile(99) / 1000.0, lag.getMaxValue() / 1000.0,
            lag.getTotalCount(), f.health());
        if (rate == rates[0]) {
          reads(db, f, last);
          idle(f, followerBucket);
        }
      }
    }
  }

  private static long count(java.sql.Connection c) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery("SELECT max(id) FROM t")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Every millisecond: the rows the follower shows that were not seen before, each one's lag recorded (µs). */
  private static void watch(Follower f, Histogram lag, AtomicBoolean stop) {
    long seen = 1; // the seed row
    boolean last = false;
    while (!last) {
      last = stop.get(); // one more pass after stop: rows applied since the previous one are counted too
      final long after = seen;
      long[] newest = {after};
      f.read(c -> {
        long now = System.nanoTime();
        try (PreparedStatement p = c.prepareStatement("SELECT id, ts FROM t WHERE id > ?")) {
          p.setLong(1, after);
          try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
              newest[0] = Math.max(newest[0], rs.getLong(1));
              lag.recordValue(Math.max(0, (now - rs.getLong(2)) / 1000));
            }
          }
        }
        return null;
      });
      seen = newest[0];
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  /** Point selects, the same threads and keys, on the primary and then on the follower. */
  private void reads(Database db, Follower f, long rows) throws Exception {
    long primary = pointSelects(rows, key -> db.read(c -> select(c, key)));
    long follower = pointSelects(rows, key -> f.read(c -> select(c, key)));
    System.out.printf(Locale.ROOT, "point selects, %d threads, %d s each: primary %,d/s, follower %,d/s (follower/primary %.2f)%n",
        readThreads, readSeconds, primary / readSeconds, follower / readSeconds, (double) follower / primary);
  }

  private static long select(java.sql.Connection c, long key) throws Exception {
    try (PreparedStatement p = c.prepareStatement("SELECT ts FROM t WHERE id = ?")) {
      p.setLong(1, key);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }

  @FunctionalInterface
  interface PointRead {
    long read(long key) throws Exception;
  }

  private long pointSelects(long rows, PointRead read) throws Exception {
    java.util.concurrent.atomic.LongAdder done = new java.util.concurrent.atomic.LongAdder();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(readSeconds);
    Thread[] threads = new Thread[readThreads];
    for (int t = 0; t < readThreads; t++) {
      threads[t] = new Thread(() -> {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom();
        try {
          while (System.nanoTime() < end) {
            read.read(1 + rnd.nextLong(rows));
            done.increment();
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    return done.sum();
  }

  /** The follower's requests while the primary is idle, scaled to a minute. */
  private void idle(Follower f, ObjectStore followerBucket) throws Exception {
    Map<Operation, OperationStats> before = followerBucket.metrics().snapshot();
    Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
    Map<Operation, OperationStats> after = followerBucket.metrics().snapshot();
    long total = 0;
    StringBuilder by = new StringBuilder();
    for (Operation op : Operation.values()) {
      long n = after.get(op).requests() - before.get(op).requests();
      total += n;
      if (n > 0) {
        by.append(' ').append(op).append(' ').append(n);
      }
    }
    System.out.printf(Locale.ROOT, "idle follower: %d requests in %d s (%.1f a minute):%s%n", total, idleSeconds,
        total * 60.0 / idleSeconds, by);
  }
}
