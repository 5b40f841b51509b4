package io.litevault.replication.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.LeaseView;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.store.SqliteStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3Extension;
import io.litevault.testing.Fault;
import io.litevault.testing.FaultProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@link Standby} in one JVM: the lease it waits for, the lineage it continues, the options it refuses. */
class StandbyTest {
  @RegisterExtension static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();
  @TempDir Path dir;

  private StandbyOptions options(ObjectStore bucket, String prefix, Path standbyDir) {
    FollowerOptions follower = FollowerOptions.builder(bucket, prefix, standbyDir.resolve("data.db")).name("data")
        .pollInterval(Duration.ofMillis(50)).build();
    return StandbyOptions.builder(follower, FailoverTest.databaseOptions(),
        ReplicatorOptions.builder(bucket, prefix).leaseKeepAlive(true).build())
        .leaseCheckInterval(Duration.ofMillis(100)).build();
  }

  private static long snapshots(ObjectStore bucket, String prefix) {
    try (var s = bucket.list(prefix + "/")) {
      return s.filter(o -> o.key().endsWith(".lvsn")).count();
    }
  }

  /** An idle primary that renews its lease while idle is never taken for a dead one. */
  @Test
  void anIdlePrimaryWithKeepAliveKeepsItsLease() throws Exception {
    String prefix = "idle-keepalive";
    try (ObjectStore bucket = MinioObjectStore.create(FollowerTest.s3Options(S3.server()));
        SqliteStore store = SqliteStore.builder(dir.resolve("p")).database("data", FailoverTest.databaseOptions()).open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix)
            .leaseTtl(Duration.ofMillis(600)).leaseKeepAlive(true).build())) {
      FollowerTest.writeReplicated(store.database("data"), r, c -> {
        c.createStatement().executeUpdate("INSERT INTO kv VALUES (1, 1)");
        return null;
      });
      try (Standby standby = Standby.start(options(bucket, prefix, dir.resolve("s")))) {
        // 2.5 s idle: four TTLs; without the keep-alive the lease would expire after the first
        assertTrue(standby.awaitPromotion(Duration.ofMillis(2500)).isEmpty(), "no takeover: " + standby.lease());
        LeaseView.State lease = standby.lease().orElseThrow();
        assertFalse(lease.free(Instant.now()), lease.toString());
        assertEquals(Integer.valueOf(1), standby.follower().read(c -> FailoverTest.keys(c).size()));
      }
      // the primary still writes and replicates
      r.write(c -> c.createStatement().executeUpdate("INSERT INTO kv VALUES (2, 2)"), Durability.REPLICATED)
          .get(30, TimeUnit.SECONDS);
    }
  }

  /** A released lease (a clean close, a handover) is continued in the same lineage, with no new snapshot. */
  @Test
  void aReleasedLeaseIsContinuedInTheSameLineage() throws Exception {
    String prefix = "released";
    ReplicaPosition last;
    try (ObjectStore bucket = S3ObjectStore.create(FollowerTest.s3Options(S3.server()))) {
      try (Standby standby = Standby.start(optionsAfterPrimary(bucket, prefix))) {
        last = lastPrimaryPosition;
        long snapshotsBefore = snapshots(bucket, prefix);
        Standby.Promotion p = standby.awaitPromotion(Duration.ofSeconds(30)).orElseThrow();
        try (SqliteStore store = p.store(); Replicator r = p.replicator()) {
          assertTrue(p.previous().released(), p.previous().toString());
          assertEquals(last, p.takenOverAt(), "caught up with everything the primary uploaded");
          ReplicaPosition next = FollowerTest.writeReplicated(store.database("data"), r, c -> {
            c.createStatement().executeUpdate("INSERT INTO kv VALUES (1000, 1000)");
            return null;
          });
          assertEquals(last.lineage(), next.lineage(), "the same lineage");
          assertEquals(last.txid() + 1, next.txid(), "the next txid");
          assertEquals(snapshotsBefore, snapshots(bucket, prefix), "no new snapshot");
          assertEquals(Integer.valueOf(31), store.database("data").read(c -> FailoverTest.keys(c).size()));
        }
        assertThrows(IllegalStateException.class, standby::follower, "promoted: reads go to the store");
      }
    }
  }

  private ReplicaPosition lastPrimaryPosition;

  /** A primary writes 30 rows and closes (releasing its lease) after the standby has started. */
  private StandbyOptions optionsAfterPrimary(ObjectStore bucket, String prefix) throws Exception {
    SqliteStore store = SqliteStore.builder(dir.resolve("p")).database("data", FailoverTest.databaseOptions()).open();
    Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix)
        .leaseKeepAlive(true).build());
    Random rnd = new Random(5);
    for (int i = 0; i < 30; i++) {
      long k = i;
      long v = rnd.nextLong();
      lastPrimaryPosition = FollowerTest.writeReplicated(store.database("data"), r, c -> {
        c.createStatement().executeUpdate("INSERT INTO kv VALUES (" + k + ", " + v + ")");
        return null;
      });
    }
    StandbyOptions o = options(bucket, prefix, dir.resolve("s"));
    Thread closer = new Thread(() -> {
      try {
        Thread.sleep(300); // the standby starts meanwhile, and follows a live primary first
        r.close();
        store.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    closer.start();
    return o;
  }

  /**
   * A primary that dies with LOCAL writes not yet uploaded: the standby reports how many (from the lease
   * renewal after them), and the promotion itself says 0 for a primary that shipped everything (the released
   * lease above). The primary is cut off from the bucket by a proxy answering 500 to everything (its process
   * goes on, as a dead machine's never would, but nothing of it reaches the bucket any more).
   */
  @Test
  void aDeadPrimarysUnshippedLocalWritesAreCounted() throws Exception {
    String prefix = "lost-local";
    try (FaultProxy proxy = FaultProxy.start(S3.server().endpoint());
        ObjectStore primaryBucket = MinioObjectStore.create(S3Options.builder(S3.server().bucket())
            .endpoint(proxy.endpoint().toString()).region(S3.server().region())
            .credentials(S3.server().accessKey(), S3.server().secretKey()).build());
        ObjectStore bucket = S3ObjectStore.create(FollowerTest.s3Options(S3.server()));
        SqliteStore store = SqliteStore.builder(dir.resolve("p")).database("data", FailoverTest.databaseOptions()).open()) {
      Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(primaryBucket, prefix)
          .leaseTtl(Duration.ofSeconds(1)).leaseKeepAlive(true).minUploadInterval(Duration.ofHours(1)).build());
      ReplicaPosition shipped = null;
      for (int i = 0; i < 5; i++) {
        long k = i;
        shipped = FollowerTest.writeReplicated(store.database("data"), r, c -> {
          c.createStatement().executeUpdate("INSERT INTO kv VALUES (" + k + ", 0)");
          return null;
        });
      }
      int local = 7;
      for (int i = 0; i < local; i++) {
        long k = 100 + i;
        r.write(c -> c.createStatement().executeUpdate("INSERT INTO kv VALUES (" + k + ", 0)"), Durability.LOCAL)
            .get(30, TimeUnit.SECONDS);
      }
      Thread.sleep(1200); // the keep-alive renews after half the TTL: its body counts the 7
      assertEquals(local, store.database("data").lastTxid() - r.replicatedTxid(), "nothing LOCAL was uploaded");
      proxy.inject(Fault.internalError(), Integer.MAX_VALUE, req -> true); // the primary is gone
      try (Standby standby = Standby.start(options(bucket, prefix, dir.resolve("s")))) {
        Standby.Promotion p = standby.awaitPromotion(Duration.ofSeconds(30)).orElseThrow();
        try (SqliteStore promoted = p.store(); Replicator next = p.replicator()) {
          assertEquals(shipped, p.takenOverAt(), "everything the primary uploaded");
          assertEquals(local, p.lostLocalTransactions(), "the LOCAL writes never uploaded: " + p.previous());
          assertEquals(Integer.valueOf(5), promoted.database("data").read(c -> FailoverTest.keys(c).size()));
        }
      }
      proxy.clear();
      r.close(); // fenced: ships nothing into the new lineage
    }
  }

  @Test
  void badOptionsAreNamed() throws Exception {
    try (ObjectStore bucket = S3ObjectStore.create(FollowerTest.s3Options(S3.server()))) {
      FollowerOptions wrongFile = FollowerOptions.builder(bucket, "a", dir.resolve("copy.db")).name("data").build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StandbyOptions.builder(wrongFile,
          FailoverTest.databaseOptions(), ReplicatorOptions.builder(bucket, "a").build()));
      assertTrue(e.getMessage().contains("data.db") && e.getMessage().contains("copy.db"), e.getMessage());
      FollowerOptions follower = FollowerOptions.builder(bucket, "a", dir.resolve("data.db")).build();
      e = assertThrows(IllegalArgumentException.class, () -> StandbyOptions.builder(follower,
          FailoverTest.databaseOptions(), ReplicatorOptions.builder(bucket, "b").build()));
      assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("'a'"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> StandbyOptions.builder(follower, FailoverTest.databaseOptions(),
          ReplicatorOptions.builder(bucket, "a").build()).leaseCheckInterval(Duration.ofMillis(1)));
      assertEquals(Optional.empty(), LeaseView.read(bucket, "never/leased"));
    }
  }
}
