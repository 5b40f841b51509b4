package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.HandedOverException;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handover loop: a steady load of REPLICATED writes while the owner of one directory hands it over,
 * round after round, to a successor that is already waiting for the store's lock. Each round the old
 * owner refuses new writes (the load's "front end" retries them on the successor), commits and ships the
 * accepted ones, releases the lease and the lock; the successor opens, continues the same lineage with no
 * new snapshot, and takes the writes. At the end every acknowledged write is there exactly once, no write
 * failed other than by a refusal it could retry, the bucket has one lineage and the snapshot it started
 * with, and a restore equals the local database. The write pause (handover start to the first write
 * acknowledged by the successor) is printed as p50/p99.
 */
class HandoverLoopTest {
  static final String SCHEMA = "CREATE TABLE item(k INTEGER PRIMARY KEY, writer INTEGER NOT NULL, body TEXT NOT NULL)";
  static final String PREFIX = "handover/data";

  @TempDir Path dir;

  /** One owner of the directory: a store and the replicator of its database. */
  record Owner(int round, SqliteStore store, Replicator replicator) {}

  @Test
  void fiftyHandoversUnderReplicatedWriteLoadLoseNothingAndFailNothing() throws Exception {
    loop(Integer.getInteger("litevault.handover.rounds", 50), 150);
  }

  @Test
  @Tag("torture")
  void handoverTorture() throws Exception {
    loop(Integer.getInteger("litevault.torture.handovers", 500), 100);
  }

  private static SqliteStore open(Path live, Duration lockWait) {
    return SqliteStore.builder(live)
        .database("data", DatabaseOptions.builder().holdWalUntilGate(true).migration(1, "item", SCHEMA).build())
        .lockWait(lockWait).open();
  }

  private static io.litevault.store.WriteTask<Long> insert(long k, int writer) {
    return c -> {
      try (var ps = c.prepareStatement("INSERT INTO item(k, writer, body) VALUES (?, ?, ?)")) {
        ps.setLong(1, k);
        ps.setInt(2, writer);
        ps.setString(3, "item " + k + " " + "x".repeat((int) Math.floorMod(k, 40L)));
        ps.executeUpdate();
      }
      return k;
    };
  }

  private void loop(int rounds, long loadMillisPerRound) throws Exception {
    Path live = dir.resolve("live");
    try (EmbeddedS3 s3 = EmbeddedS3.start();
        ObjectStore bucket = MinioObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
            .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build())) {
      ReplicatorOptions options = ReplicatorOptions.builder(bucket, PREFIX).minUploadInterval(Duration.ofMillis(10)).build();
      BucketLayout layout = new BucketLayout(PREFIX);
      SqliteStore first = open(live, Duration.ZERO);
      Replicator firstReplicator = Replicator.start(first.database("data"), options);
      AtomicReference<Owner> owner = new AtomicReference<>(new Owner(0, first, firstReplicator));
      firstReplicator.write(insert(-1, -1), Durability.REPLICATED).get(60, TimeUnit.SECONDS); // the lineage exists
      Set<String> snapshotsBefore = keys(bucket, layout.lineages()).stream().filter(k -> k.contains("/snapshots/"))
          .collect(Collectors.toCollection(TreeSet::new));
      assertEquals(1, snapshotsBefore.size(), snapshotsBefore.toString());

      // The load: 4 writers, REPLICATED writes of unique keys; a HandedOverException is retried on the next owner.
      Set<Long> acked = ConcurrentHashMap.newKeySet();
      List<String> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
      AtomicLong refusals = new AtomicLong();
      AtomicLong nextKey = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      /** Per round: when the first write acknowledged by that round's owner completed (nanoTime), 0 until then. */
      long[] firstAckNanos = new long[rounds + 1];
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        Thread t = new Thread(() -> {
          while (!stop.get()) {
            long k = nextKey.getAndIncrement();
            while (true) { // the front end: a refused write is sent again, to whoever owns the directory now
              Owner o = owner.get();
              try {
                o.replicator().write(insert(k, writer), Durability.REPLICATED).get(60, TimeUnit.SECONDS);
                synchronized (firstAckNanos) {
                  if (firstAckNanos[o.round()] == 0) {
                    firstAckNanos[o.round()] = System.nanoTime();
                  }
                }
                acked.add(k);
                break;
              } catch (HandedOverException e) {
                refusals.incrementAndGet();
                waitForSuccessor(owner, o);
              } catch (ExecutionException | CompletionException e) {
                if (e.getCause() instanceof HandedOverException) {
                  refusals.incrementAndGet();
                  waitForSuccessor(owner, o);
                } else {
                  unexpected.add("key " + k + " on round " + o.round() + ": " + e.getCause());
                  break;
                }
              } catch (Exception e) {
                unexpected.add("key " + k + " on round " + o.round() + ": " + e);
                break;
              }
            }
          }
        }, "load-" + w);
        t.start();
        writers.add(t);
      }

      long[] pauses = new long[rounds];
      long[] handoverTotals = new long[rounds];
      for (int round = 1; round <= rounds; round++) {
        Thread.sleep(loadMillisPerRound);
        Owner old = owner.get();
        int r = round;
        // The successor is already started and waiting for the lock, as a new process of a deploy would be.
        CompletableFuture<Owner> successor = CompletableFuture.supplyAsync(() -> {
          SqliteStore s = open(live, Duration.ofSeconds(60));
          return new Owner(r, s, Replicator.start(s.database("data"), options));
        });
        long start = System.nanoTime();
        HandoverReport report = Handover.run(old.store(), List.of(old.replicator()), HandoverOptions.defaults());
        handoverTotals[round - 1] = report.total().toNanos();
        Owner next = successor.get(60, TimeUnit.SECONDS);
        owner.set(next);
        synchronized (owner) {
          owner.notifyAll();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
          synchronized (firstAckNanos) {
            if (firstAckNanos[round] != 0) {
              pauses[round - 1] = firstAckNanos[round] - start;
              break;
            }
          }
          assertTrue(System.nanoTime() < deadline, "no write acknowledged by the successor of round " + round
              + "; unexpected: " + unexpected);
          Thread.sleep(1);
        }
        assertEquals(0, next.replicator().metrics().snapshotsUploaded(), "round " + round + ": no new snapshot");
        assertEquals(0, next.replicator().metrics().lineagesStarted(), "round " + round + ": no new lineage");
      }
      stop.set(true);
      for (Thread t : writers) {
        t.join(60_000);
      }
      Owner last = owner.get();
      assertEquals(List.of(), unexpected, "no write failed except by a retryable refusal");
      assertTrue(last.replicator().awaitReplicated(last.store().database("data").lastTxid(), Duration.ofSeconds(60)));

      // Every acknowledged write is there, exactly once (a refused write that ran anyway would fail its retry
      // on the primary key: an unexpected failure above).
      Set<Long> present = last.store().database("data").read(c -> {
        Set<Long> out = new TreeSet<>();
        try (var s = c.createStatement(); var rs = s.executeQuery("SELECT k FROM item WHERE k >= 0")) {
          while (rs.next()) {
            out.add(rs.getLong(1));
          }
        }
        return out;
      });
      assertTrue(present.containsAll(acked), "acknowledged writes missing: " + acked.stream().filter(k -> !present.contains(k)).limit(10).toList());
      String local = last.store().database("data").read(Dumps::dump);

      // The bucket: one lineage, and the snapshot it started with, no other.
      Set<String> all = keys(bucket, layout.lineages());
      Set<String> lineages = all.stream().map(k -> k.substring(layout.lineages().length()).split("/")[0])
          .collect(Collectors.toCollection(TreeSet::new));
      assertEquals(1, lineages.size(), "lineages: " + lineages);
      Set<String> snapshots = all.stream().filter(k -> k.contains("/snapshots/")).collect(Collectors.toCollection(TreeSet::new));
      assertEquals(snapshotsBefore, snapshots, "no snapshot created by a handover");

      Handover.run(last.store(), List.of(last.replicator()), HandoverOptions.defaults());
      Path restored = dir.resolve("restored.db");
      Restore.run(RestoreOptions.builder(bucket, PREFIX, restored).build());
      assertEquals(local, Dumps.dump(restored), "restore equals the local database");
      assertEquals("ok", Dumps.integrity(restored));

      long[] sorted = pauses.clone();
      Arrays.sort(sorted);
      long[] totals = handoverTotals.clone();
      Arrays.sort(totals);
      System.out.printf("handover loop: %d rounds, %d writes acknowledged, %d refusals retried on the successor, "
              + "0 failed%n  write pause (handover start -> first write acknowledged by the successor): p50 %.1f ms, "
              + "p99 %.1f ms, max %.1f ms%n  handover itself (refuse -> lock released): p50 %.1f ms, p99 %.1f ms%n",
          rounds, acked.size(), refusals.get(), ms(percentile(sorted, 50)), ms(percentile(sorted, 99)),
          ms(sorted[sorted.length - 1]), ms(percentile(totals, 50)), ms(percentile(totals, 99)));
      assertTrue(acked.size() > rounds, "the load kept writing: " + acked.size());
    }
  }

  private static void waitForSuccessor(AtomicReference<Owner> owner, Owner refusedBy) {
    synchronized (owner) {
      while (owner.get() == refusedBy) {
        try {
          owner.wait(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  static Set<String> keys(ObjectStore bucket, String prefix) {
    try (var s = bucket.list(prefix)) {
      return s.map(ObjectInfo::key).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static long percentile(long[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
