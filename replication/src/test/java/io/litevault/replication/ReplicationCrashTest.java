package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.ChildJvm;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.HashSet;
import java.util.List;
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
 * A child JVM writing with {@link Durability#REPLICATED} to EmbeddedS3 (MinIO client and AWS SDK in
 * turn) is killed with kill -9 at random moments. After each kill: every write it had acknowledged is in
 * a restore of the bucket, the restore passes integrity_check, and the next child restarts on the
 * crashed local files and goes on. 2 rounds by default, {@code -Dlitevault.torture.rounds} with -Ptorture;
 * the same with client-side encryption (a kill lands inside encrypted uploads: an object cut off or half
 * written must never pass for genuine).
 */
class ReplicationCrashTest {
  @TempDir Path dir;

  @Test
  void killNineNeverLosesAnAcknowledgedReplicatedWrite() throws Exception {
    rounds(2, false);
  }

  @Test
  void killNineNeverLosesAnAcknowledgedEncryptedReplicatedWrite() throws Exception {
    rounds(2, true);
  }

  @Test
  @Tag("torture")
  void killNineTorture() throws Exception {
    rounds(Integer.getInteger("litevault.torture.rounds", 20), false);
  }

  private void rounds(int rounds, boolean encrypted) throws Exception {
    Random random = new Random();
    Set<Long> acked = ConcurrentHashMap.newKeySet();
    Path keyset = dir.resolve("keyset.json");
    java.nio.file.Files.writeString(keyset, io.litevault.bucket.crypt.TestKeys.json(io.litevault.bucket.crypt.TestKeys.fresh()));
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(dir.resolve("s3")).start();
        ObjectStore raw = MinioObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
            .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build());
        ObjectStore bucket = encrypted ? io.litevault.bucket.crypt.EncryptedObjectStore.wrap(raw,
            io.litevault.bucket.crypt.KeyProviders.keysetFile(keyset)) : raw) {
      for (int round = 0; round < rounds; round++) {
        CountDownLatch enough = new CountDownLatch(1);
        AtomicInteger roundAcks = new AtomicInteger();
        int killAfter = 20 + random.nextInt(300);
        // At least 2.5 s of writing a round, whatever killAfter says: the 1 s compaction window must close
        // with several segments in it, or a short round would upload no range (CI on e631bac: two rounds
        // of few acks, no range, rangesAgreeWithSegments failed).
        long minRunNanos = TimeUnit.MILLISECONDS.toNanos(2_500 + random.nextInt(1_500));
        String client = round % 2 == 0 ? "minio" : "aws";
        try (ChildJvm child = ChildJvm.start(CrashReplicatorMain.class, line -> {
          if (line.startsWith("ack ")) {
            acked.add(Long.parseLong(line.substring(4)));
            if (roundAcks.incrementAndGet() >= killAfter) {
              enough.countDown();
            }
          }
        }, childArgs(encrypted, keyset, dir.resolve("live").toString(), s3.endpoint().toString(), s3.bucket(), client,
            Long.toString(1_000_000L * round), s3.accessKey(), s3.secretKey()))) {
          long started = System.nanoTime();
          assertTrue(enough.await(90, TimeUnit.SECONDS), "round " + round + ": no progress; stderr:\n" + child.stderr());
          long left = minRunNanos - (System.nanoTime() - started);
          TimeUnit.NANOSECONDS.sleep(Math.max(0, left) + TimeUnit.MILLISECONDS.toNanos(random.nextInt(30)));
          child.kill9();
        }
        Path out = dir.resolve("restored-" + round + ".db");
        Restore.run(RestoreOptions.builder(bucket, "crash/data", out).build());
        Set<Long> present = new HashSet<>();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + out);
            var rs = c.createStatement().executeQuery("SELECT k, v FROM kv")) {
          while (rs.next()) {
            assertEquals(rs.getLong(1) * 7, rs.getLong(2));
            present.add(rs.getLong(1));
          }
        }
        for (long k : acked) {
          assertTrue(present.contains(k), "round " + round + ": acknowledged REPLICATED write " + k + " missing from the bucket");
        }
        assertEquals("ok", Dumps.integrity(out));
        // No wait: the next child restarts on the same files within the killed one's two-minute lease.
      }
      assertEquals(1, LineageCatalog.list(bucket, new BucketLayout("crash/data")).size(),
          "every restart continued the lineage of the killed process on the same files");
      rangesAgreeWithSegments(bucket, random);
      if (encrypted) {
        assertEveryObjectEncrypted(raw);
      }
    }
    assertFalse(acked.isEmpty());
  }

  /** The killed children wrote through the encrypted store: every stored object starts with its magic. */
  private static void assertEveryObjectEncrypted(ObjectStore raw) throws Exception {
    List<String> keys;
    try (var objects = raw.list("crash/data/")) {
      keys = objects.map(o -> o.key()).toList();
    }
    assertFalse(keys.isEmpty());
    for (String key : keys) {
      try (var in = raw.get(key, 0, 4)) {
        assertEquals("LVEN", new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII), key);
      }
    }
  }

  private static String[] childArgs(boolean encrypted, Path keyset, String... args) {
    if (!encrypted) {
      return args;
    }
    String[] all = java.util.Arrays.copyOf(args, args.length + 1);
    all[args.length] = keyset.toString();
    return all;
  }

  /**
   * The compacted ranges the killed children left are shortcuts only: restores at sampled txids (and the
   * latest) with ranges equal the same restores from the segments alone.
   */
  private void rangesAgreeWithSegments(ObjectStore bucket, Random random) throws Exception {
    LineageCatalog.Lineage l = LineageCatalog.list(bucket, new BucketLayout("crash/data")).values().iterator().next();
    assertFalse(l.ranges().isEmpty(), "the children uploaded compacted ranges");
    var latest = Restore.plan(RestoreOptions.builder(bucket, "crash/data", dir.resolve("p.db")).build());
    assertTrue(latest.segments().stream().anyMatch(k -> k.endsWith(".lvcr")), "the latest plan uses a range: "
        + latest.segments());
    long last = latest.targetTxid();
    List<Long> txids = new java.util.ArrayList<>(List.of(last));
    for (int i = 0; i < 8; i++) {
      txids.add(2 + (long) random.nextInt((int) Math.max(1, last - 1)));
    }
    for (long txid : txids) {
      Path with = dir.resolve("with-" + txid + ".db");
      Path without = dir.resolve("without-" + txid + ".db");
      Restore.run(RestoreOptions.builder(bucket, "crash/data", with).txid(txid).force(true).build());
      Restore.run(RestoreOptions.builder(bucket, "crash/data", without).txid(txid).compactedRanges(false).force(true)
          .build());
      assertEquals(Dumps.dump(without), Dumps.dump(with), "txid " + txid + " with and without compacted ranges");
    }
  }
}
