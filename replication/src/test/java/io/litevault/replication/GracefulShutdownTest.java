package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.testing.ChildJvm;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes: a service ({@link HandoverChildMain}) writing REPLICATED rows gets SIGTERM, as from
 * {@code docker stop}; its {@link GracefulShutdown} hands over within Docker's 10 s grace period to a
 * successor process already waiting for the store's lock, which continues the same lineage with no new
 * snapshot. And a SIGKILL in the middle of that handover loses no acknowledged write either.
 */
class GracefulShutdownTest {
  static final String PREFIX = "graceful/data";
  @TempDir Path dir;
  EmbeddedS3 s3;
  ObjectStore bucket;
  final Set<Long> acked = ConcurrentHashMap.newKeySet();
  final List<String> unexpected = new CopyOnWriteArrayList<>();
  /** The wall clock (ms) of each child's "opened" and "started" lines, by first key. */
  final java.util.Map<String, Long> milestones = new ConcurrentHashMap<>();

  @BeforeEach
  void start() {
    s3 = EmbeddedS3.start();
    bucket = MinioObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build());
  }

  @AfterEach
  void stop() {
    bucket.close();
    s3.close();
  }

  /** A service process; {@code ready} counts down when it has opened, {@code acks} per acknowledged write. */
  private ChildJvm service(long firstKey, long lockWaitMillis, CountDownLatch waiting, CountDownLatch ready,
      CountDownLatch acks, AtomicLong firstAckNanos) throws Exception {
    return ChildJvm.start(HandoverChildMain.class, line -> {
      if (line.startsWith("ack ")) {
        firstAckNanos.compareAndSet(0, System.nanoTime());
        acked.add(Long.parseLong(line.substring(4)));
        acks.countDown();
      } else if (line.equals("waiting")) {
        waiting.countDown();
      } else if (line.equals("ready")) {
        ready.countDown();
      } else if (line.startsWith("opened ") || line.startsWith("started ")) {
        String[] p = line.split(" ");
        milestones.put(firstKey + " " + p[0], Long.parseLong(p[1]));
      } else if (line.startsWith("unexpected")) {
        unexpected.add(line);
      }
    }, dir.resolve("live").toString(), s3.endpoint().toString(), s3.bucket(), s3.accessKey(), s3.secretKey(),
        Long.toString(firstKey), Long.toString(lockWaitMillis));
  }

  private Set<Long> restoredKeys(String name) throws Exception {
    Path out = dir.resolve(name + ".db");
    Restore.run(RestoreOptions.builder(bucket, PREFIX, out).build());
    Set<Long> keys = new TreeSet<>();
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + out); var s = c.createStatement();
        var rs = s.executeQuery("SELECT k FROM kv")) {
      while (rs.next()) {
        keys.add(rs.getLong(1));
      }
    }
    assertEquals("ok", Dumps.integrity(out));
    return keys;
  }

  @Test
  void sigtermHandsOverWithinDockersGracePeriodToASuccessorProcessWaitingForTheLock() throws Exception {
    CountDownLatch aReady = new CountDownLatch(1);
    CountDownLatch aAcks = new CountDownLatch(100);
    CountDownLatch bWaiting = new CountDownLatch(1);
    CountDownLatch bReady = new CountDownLatch(1);
    CountDownLatch bAcks = new CountDownLatch(100);
    AtomicLong bFirstAck = new AtomicLong();
    try (ChildJvm a = service(0, 0, new CountDownLatch(1), aReady, aAcks, new AtomicLong())) {
      assertTrue(aAcks.await(60, TimeUnit.SECONDS), "the first process writes; stderr:\n" + a.stderr());
      BucketLayout layout = new BucketLayout(PREFIX);
      Set<String> snapshots = HandoverLoopTest.keys(bucket, layout.lineages()).stream()
          .filter(k -> k.contains("/snapshots/")).collect(Collectors.toSet());
      assertEquals(1, snapshots.size(), snapshots.toString());
      try (ChildJvm b = service(1_000_000, 60_000, bWaiting, bReady, bAcks, bFirstAck)) {
        assertTrue(bWaiting.await(60, TimeUnit.SECONDS), b.stderr());
        assertFalse(bReady.await(500, TimeUnit.MILLISECONDS), "the successor waits for the lock; stderr:\n" + b.stderr());
        long sigterm = System.nanoTime();
        long sigtermMillis = System.currentTimeMillis();
        a.terminate();
        int exit = a.waitFor(10); // Docker's default grace: SIGKILL would come now
        long exitedMs = (System.nanoTime() - sigterm) / 1_000_000;
        assertTrue(a.stderr().contains("shutdown: done"), a.stderr());
        assertTrue(bAcks.await(60, TimeUnit.SECONDS), "the successor writes; stderr:\n" + b.stderr());
        double pauseMs = (bFirstAck.get() - sigterm) / 1e6;
        System.out.printf("graceful shutdown: first process exited %d ms after SIGTERM (exit code %d); the successor "
            + "process opened the store %d ms, started its replicator %d ms and acknowledged its first write %.1f ms "
            + "after SIGTERM%n", exitedMs, exit, milestones.get("1000000 opened") - sigtermMillis,
            milestones.get("1000000 started") - sigtermMillis, pauseMs);
        b.terminate();
        b.waitFor(10);
        assertTrue(b.stderr().contains("shutdown: done"), b.stderr());
      }
      assertEquals(List.of(), unexpected);
      Set<String> all = HandoverLoopTest.keys(bucket, layout.lineages());
      assertEquals(1, all.stream().map(k -> k.substring(layout.lineages().length()).split("/")[0]).distinct().count(),
          "one lineage: " + all.stream().limit(5).toList());
      assertEquals(snapshots, all.stream().filter(k -> k.contains("/snapshots/")).collect(Collectors.toSet()),
          "no new snapshot");
      Set<Long> restored = restoredKeys("restored");
      assertTrue(restored.containsAll(acked), "acknowledged writes missing from the bucket");
    }
  }

  /**
   * SIGKILL at a random moment of the shutdown handover (refusing, shipping, releasing the lease,
   * checkpointing, closing): the next process opens the files, starts (same home: the lease is taken at
   * once), and no write acknowledged as REPLICATED is missing from the bucket.
   */
  @Test
  void killNineInTheMiddleOfTheHandoverLosesNoAcknowledgedWrite() throws Exception {
    Random random = new Random();
    List<String> landed = new java.util.ArrayList<>();
    for (int round = 0; round < 4; round++) {
      CountDownLatch ready = new CountDownLatch(1);
      CountDownLatch acks = new CountDownLatch(50 + random.nextInt(200));
      try (ChildJvm c = service(1_000_000L * round, 60_000, new CountDownLatch(1), ready, acks, new AtomicLong())) {
        assertTrue(acks.await(60, TimeUnit.SECONDS), "round " + round + " writes; stderr:\n" + c.stderr());
        c.terminate();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.stderr().contains("refusing new writes") && System.nanoTime() < deadline) {
          Thread.sleep(0, 200_000); // until the hook's handover has begun
        }
        Thread.sleep(random.nextInt(round * 15 + 1)); // round 0: at once; later rounds: further into it
        c.kill9();
        String err = c.stderr();
        landed.add(!err.contains("refusing new writes") ? "before the handover"
            : err.contains("handover of") && err.contains(" done in ") ? "after the handover" : "during the handover");
      }
    }
    System.out.println("kill -9 landed: " + landed);
    CountDownLatch ready = new CountDownLatch(1);
    CountDownLatch acks = new CountDownLatch(20);
    try (ChildJvm last = service(9_000_000L, 60_000, new CountDownLatch(1), ready, acks, new AtomicLong())) {
      assertTrue(acks.await(60, TimeUnit.SECONDS), "the process after the kills writes; stderr:\n" + last.stderr());
      last.terminate();
      last.waitFor(10);
    }
    assertEquals(List.of(), unexpected);
    Set<Long> restored = restoredKeys("after-kills");
    Set<Long> missing = new TreeSet<>(acked);
    missing.removeAll(restored);
    assertEquals(Set.of(), missing, "acknowledged REPLICATED writes missing after kill -9 mid-handover");
  }
}
