package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.testing.ChildJvm;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash harness of {@link ReplicationCrashTest} with two destinations: a child JVM writes with
 * {@link Durability#REPLICATED} through a {@link MultiReplicator} to two buckets (MinIO client and AWS
 * SDK) and is killed with kill -9 at random moments. The default quorum is every destination, so after
 * each kill every write the child acknowledged is in a restore of each bucket; the restores pass
 * integrity_check; the next child restarts on the crashed files and each destination continues its own
 * lineage. 2 rounds by default, {@code -Dlitevault.torture.rounds} with -Ptorture.
 */
class MultiDestinationCrashTest {
  private static final String REMOTE_BUCKET = "remote";
  @TempDir Path dir;

  @Test
  void killNineNeverLosesAnAcknowledgedReplicatedWriteFromEitherDestination() throws Exception {
    rounds(2);
  }

  @Test
  @Tag("torture")
  void killNineTortureWithTwoDestinations() throws Exception {
    rounds(Integer.getInteger("litevault.torture.rounds", 20));
  }

  private void rounds(int rounds) throws Exception {
    Random random = new Random();
    Set<Long> acked = ConcurrentHashMap.newKeySet();
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(dir.resolve("s3")).start()) {
      s3.createBucket(REMOTE_BUCKET);
      try (ObjectStore local = MinioObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
              .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build());
          ObjectStore remote = S3ObjectStore.create(S3Options.builder(REMOTE_BUCKET).endpoint(s3.endpoint().toString())
              .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build())) {
        Map<String, ObjectStore> destinations = Map.of("local", local, "remote", remote);
        for (int round = 0; round < rounds; round++) {
          CountDownLatch enough = new CountDownLatch(1);
          AtomicInteger roundAcks = new AtomicInteger();
          int killAfter = 20 + random.nextInt(150);
          long minRunNanos = TimeUnit.MILLISECONDS.toNanos(1_500 + random.nextInt(1_500));
          try (ChildJvm child = ChildJvm.start(MultiCrashReplicatorMain.class, line -> {
            if (line.startsWith("ack ")) {
              acked.add(Long.parseLong(line.substring(4)));
              if (roundAcks.incrementAndGet() >= killAfter) {
                enough.countDown();
              }
            }
          }, dir.resolve("live").toString(), s3.endpoint().toString(), s3.bucket(), REMOTE_BUCKET,
              Long.toString(1_000_000L * round), s3.accessKey(), s3.secretKey())) {
            long started = System.nanoTime();
            assertTrue(enough.await(90, TimeUnit.SECONDS), "round " + round + ": no progress; stderr:\n" + child.stderr());
            long left = minRunNanos - (System.nanoTime() - started);
            TimeUnit.NANOSECONDS.sleep(Math.max(0, left) + TimeUnit.MILLISECONDS.toNanos(random.nextInt(30)));
            child.kill9();
          }
          for (Map.Entry<String, ObjectStore> d : destinations.entrySet()) {
            Path out = dir.resolve("restored-" + d.getKey() + "-" + round + ".db");
            Restore.run(RestoreOptions.builder(d.getValue(), "crash/data", out).build());
            Set<Long> present = new HashSet<>();
            try (var c = DriverManager.getConnection("jdbc:sqlite:" + out);
                var rs = c.createStatement().executeQuery("SELECT k, v FROM kv")) {
              while (rs.next()) {
                assertEquals(rs.getLong(1) * 7, rs.getLong(2));
                present.add(rs.getLong(1));
              }
            }
            for (long k : acked) {
              assertTrue(present.contains(k), "round " + round + ": acknowledged REPLICATED write " + k
                  + " missing from destination " + d.getKey());
            }
            assertEquals("ok", Dumps.integrity(out));
          }
        }
        for (Map.Entry<String, ObjectStore> d : destinations.entrySet()) {
          assertEquals(1, LineageCatalog.list(d.getValue(), new BucketLayout("crash/data")).size(),
              "every restart continued destination " + d.getKey() + "'s lineage on the same files");
        }
      }
    }
    assertFalse(acked.isEmpty());
  }
}
