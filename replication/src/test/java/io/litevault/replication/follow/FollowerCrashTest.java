package io.litevault.replication.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.store.SqliteStore;
import io.litevault.testing.ChildJvm;
import io.litevault.testing.EmbeddedS3Extension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower process killed with kill -9 while it applies segments leaves its file torn: the next follower
 * on the same file must serve the primary's database, not the torn one.
 */
class FollowerCrashTest {
  @RegisterExtension static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();
  @TempDir Path dir;

  @Test
  void aFollowerKilledMidApplyIsRebuiltAtTheNextOpen() throws Exception {
    long seed = Long.getLong("follower.seed", System.nanoTime());
    Random rnd = new Random(seed);
    String prefix = "follower-crash";
    Path file = dir.resolve("f/data.db");
    try (ObjectStore bucket = MinioObjectStore.create(FollowerTest.s3Options(S3.server()));
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"));
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix)
            .minUploadInterval(Duration.ofMillis(5)).build())) {
      ReplicaPosition last = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
      for (int round = 0; round < 2; round++) {
        AtomicInteger moves = new AtomicInteger();
        try (ChildJvm child = ChildJvm.start(FollowerChildMain.class, line -> moves.incrementAndGet(),
            file.toString(), S3.server().endpoint().toString(), S3.server().bucket(), S3.server().accessKey(), S3.server().secretKey(), prefix)) {
          int killAfter = 3 + rnd.nextInt(15);
          long until = System.nanoTime() + 60_000_000_000L;
          while (moves.get() < killAfter && System.nanoTime() < until) {
            // big transactions, many pages each: a kill lands inside an apply's writes now and then
            last = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
          }
          assertTrue(moves.get() >= killAfter, "seed " + seed + ": the child followed: " + child.stderr());
          child.kill9();
        }
      }
      try (ObjectStore followerBucket = S3ObjectStore.create(FollowerTest.s3Options(S3.server()));
          Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, file).build())) {
        assertEquals(last, f.position(), "seed " + seed);
        assertEquals(store.database("data").read(FollowerTest::dump), f.read(FollowerTest::dump), "seed " + seed);
        assertEquals("ok", f.read(c -> {
          try (var s = c.createStatement(); var rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            return rs.getString(1);
          }
        }));
      }
    }
  }
}
