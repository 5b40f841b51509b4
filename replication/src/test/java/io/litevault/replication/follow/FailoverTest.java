package io.litevault.replication.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.testing.ChildJvm;
import io.litevault.testing.EmbeddedS3Extension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover with real processes: a primary child JVM ({@link FailoverPrimaryMain}) writes REPLICATED rows to
 * several databases, each watched by a {@link Standby} in this JVM; the primary is killed with kill -9 at a
 * random moment, and every standby takes over. Every row the primary acknowledged must be in the new writer.
 * One kill fails over every database at once: {@code kills × DATABASES} failovers (20 in the default build,
 * {@code -Dlitevault.torture.failovers=K} kills for more; {@code -Ptorture} runs 20 kills, 100 failovers).
 */
class FailoverTest {
  static final int DATABASES = 5;
  static final Duration LEASE_TTL = Duration.ofSeconds(1);
  @RegisterExtension static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();
  @TempDir Path dir;

  static DatabaseOptions databaseOptions() {
    return DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "kv", "CREATE TABLE kv(k INTEGER PRIMARY KEY, v INTEGER NOT NULL)").build();
  }

  private static ObjectStore bucket() {
    return S3ObjectStore.create(FollowerTest.s3Options(S3.server()));
  }

  private ChildJvm primary(Path primaryDir, String prefix, int databases, Map<String, Set<Long>> acked,
      List<String> failures, CountDownLatch ready) throws Exception {
    return ChildJvm.start(FailoverPrimaryMain.class, line -> {
      String[] f = line.split(" ", 4);
      if (f[0].equals("ready")) {
        ready.countDown();
      } else if (f[0].equals("ack")) {
        acked.computeIfAbsent(f[1], k -> ConcurrentHashMap.newKeySet()).add(Long.parseLong(f[2]));
      } else if (f[0].equals("failed")) {
        failures.add(line);
      }
    }, primaryDir.toString(), S3.server().endpoint().toString(), S3.server().bucket(), S3.server().accessKey(), S3.server().secretKey(), prefix,
        Long.toString(LEASE_TTL.toMillis()), Integer.toString(databases));
  }

  private Standby standby(ObjectStore bucket, String prefix, Path standbyDir, String name) {
    FollowerOptions follower = FollowerOptions.builder(bucket, prefix, standbyDir.resolve(name + ".db")).name(name)
        .pollInterval(Duration.ofMillis(50)).lineageCheckInterval(Duration.ofMillis(200)).build();
    return Standby.start(StandbyOptions.builder(follower, databaseOptions(), ReplicatorOptions.builder(bucket, prefix)
        .leaseTtl(LEASE_TTL).leaseKeepAlive(true).minUploadInterval(Duration.ofMillis(5)).build())
        .leaseCheckInterval(Duration.ofMillis(100)).build());
  }

  static Set<Long> keys(Connection c) throws Exception {
    Set<Long> out = new java.util.HashSet<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT k FROM kv")) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  @Test
  void killNineFailsOverWithoutLosingAReplicatedWrite() throws Exception {
    int kills = Integer.getInteger("litevault.torture.failovers",
        "long".equals(System.getProperty("litevault.torture.profile")) ? 20 : 4); // -Ptorture: 100 failovers
    long seed = Long.getLong("failover.seed", System.nanoTime());
    Random random = new Random(seed);
    Histogram failover = new Histogram(3);
    AtomicInteger failovers = new AtomicInteger();
    AtomicInteger lineagesKept = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(DATABASES);
    try (ObjectStore bucket = bucket()) {
      for (int round = 0; round < kills; round++) {
        String prefix = "failover/" + seed + "/" + round;
        Path roundDir = dir.resolve("round-" + round);
        Map<String, Set<Long>> acked = new ConcurrentHashMap<>();
        List<String> childFailures = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch ready = new CountDownLatch(1);
        List<Standby> standbys = new ArrayList<>();
        try (ChildJvm child = primary(roundDir.resolve("primary"), prefix, DATABASES, acked, childFailures, ready)) {
          assertTrue(ready.await(60, TimeUnit.SECONDS), "the primary started: " + child.stderr());
          for (int i = 0; i < DATABASES; i++) {
            standbys.add(standby(bucket, prefix + "/db" + i, roundDir.resolve("standby-" + i), "db" + i));
          }
          int killAfter = 20 + random.nextInt(400);
          long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while (acked.values().stream().mapToInt(Set::size).sum() < killAfter && System.nanoTime() < until) {
            Thread.sleep(5);
          }
          child.kill9();
          long killed = System.nanoTime();
          assertTrue(childFailures.isEmpty(), "seed " + seed + ": the primary failed writes: " + childFailures);
          List<Future<String>> results = new ArrayList<>();
          for (int i = 0; i < DATABASES; i++) {
            Standby s = standbys.get(i);
            String name = "db" + i;
            results.add(pool.submit(() -> {
              Optional<Standby.Promotion> p = s.awaitPromotion(Duration.ofSeconds(60));
              assertTrue(p.isPresent(), "seed " + seed + ": " + name + " promoted");
              // The child writes one REPLICATED row at a time per database: at most one commit was never
              // uploaded, so a lower bound above 1 would count writes that were not lost.
              assertTrue(p.get().lostLocalTransactions() <= 1, "seed " + seed + ": " + name + " reports "
                  + p.get().lostLocalTransactions() + " lost LOCAL transactions, at most 1 was in flight");
              try (var store = p.get().store(); var r = p.get().replicator()) {
                var db = store.database(name);
                r.write(c -> c.createStatement().executeUpdate("INSERT INTO kv(k, v) VALUES (-1, -1)"),
                    Durability.REPLICATED).get(60, TimeUnit.SECONDS);
                failover.recordValue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
                Set<Long> have = db.read(FailoverTest::keys);
                Set<Long> want = acked.getOrDefault(name, Set.of());
                for (long k : want) {
                  assertTrue(have.contains(k), "seed " + seed + ": " + name + " lost acknowledged row " + k + " of "
                      + want.size() + " (taken over at " + p.get().takenOverAt() + ")");
                }
                if (r.positionOf(db.lastTxid()).orElseThrow().lineage().equals(p.get().takenOverAt().lineage())) {
                  lineagesKept.incrementAndGet();
                }
                return name;
              }
            }));
          }
          for (Future<String> f : results) {
            f.get(3, TimeUnit.MINUTES);
            failovers.incrementAndGet();
          }
        } finally {
          standbys.forEach(Standby::close);
        }
        // An outside judge: the bucket restores to the new writer's rows, the first one's at least.
        Path out = roundDir.resolve("check.db");
        Restore.run(RestoreOptions.builder(bucket, prefix + "/db0", out).build());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out)) {
          Set<Long> restored = keys(c);
          assertTrue(restored.contains(-1L) && restored.containsAll(acked.getOrDefault("db0", Set.of())),
              "seed " + seed + ": the restore holds the new writer's row and every acknowledged one");
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(kills * DATABASES, failovers.get());
    System.out.printf(Locale.ROOT, "failover (kill -9 to the first REPLICATED write acknowledged by the standby, "
        + "lease TTL %d ms, lease check 100 ms), %d failovers: p50 %d ms, p99 %d ms, max %d ms; %d continued the "
        + "lineage%n", LEASE_TTL.toMillis(), failovers.get(), failover.getValueAtPercentile(50),
        failover.getValueAtPercentile(99), failover.getMaxValue(), lineagesKept.get());
  }

  private static void signal(ChildJvm child, String sig) throws Exception {
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(child.pid())).inheritIO().start();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "kill -" + sig);
  }

  /**
   * A primary frozen (SIGSTOP, a paused VM) past its lease: the standby takes over; thawed, the old primary
   * finds itself fenced: its writes fail naming the lost lease, it acknowledges nothing more, and the bucket
   * restores the new writer's database.
   */
  @Test
  void aFrozenPrimaryFindsItselfFencedWhenItWakes() throws Exception {
    Map<String, Set<Long>> acked = new ConcurrentHashMap<>();
    List<String> childFailures = java.util.Collections.synchronizedList(new ArrayList<>());
    CountDownLatch ready = new CountDownLatch(1);
    String prefix = "frozen";
    try (ObjectStore bucket = bucket();
        ChildJvm child = primary(dir.resolve("primary"), prefix, 1, acked, childFailures, ready)) {
      assertTrue(ready.await(60, TimeUnit.SECONDS), "the primary started: " + child.stderr());
      try (Standby standby = standby(bucket, prefix + "/db0", dir.resolve("standby"), "db0")) {
        while (acked.getOrDefault("db0", Set.of()).size() < 50) {
          Thread.sleep(5);
        }
        signal(child, "STOP");
        Standby.Promotion p = standby.awaitPromotion(Duration.ofSeconds(60)).orElseThrow();
        try (var store = p.store(); var r = p.replicator()) {
          assertEquals(false, p.previous().released(), "taken over from an expired lease");
          r.write(c -> c.createStatement().executeUpdate("INSERT INTO kv(k, v) VALUES (-1, -1)"), Durability.REPLICATED)
              .get(60, TimeUnit.SECONDS);
          signal(child, "CONT");
          long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          while (childFailures.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(10);
          }
          assertTrue(!childFailures.isEmpty(), "the thawed primary's writes fail: " + child.stderr());
          assertTrue(childFailures.get(0).contains("lease"), "and say why: " + childFailures.get(0));
          Thread.sleep(500); // its writer keeps trying: nothing it acknowledges now may be missing below
          r.write(c -> c.createStatement().executeUpdate("INSERT INTO kv(k, v) VALUES (-2, -2)"), Durability.REPLICATED)
              .get(60, TimeUnit.SECONDS);
          Set<Long> have = store.database("db0").read(FailoverTest::keys);
          assertTrue(have.containsAll(acked.get("db0")), "every row the old primary acknowledged is in the new writer");
          Path out = dir.resolve("check.db");
          Restore.run(RestoreOptions.builder(bucket, prefix + "/db0", out).build());
          try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out)) {
            assertEquals(have, keys(c), "the bucket restores the new writer's database, not the zombie's");
          }
        }
      }
    }
  }
}
