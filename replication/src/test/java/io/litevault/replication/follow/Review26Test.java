package io.litevault.replication.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.replication.LeaseView;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3Extension;
import io.litevault.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Review of b0d7e7f (standby of several databases, lease local ends, stamped replica readers). */
class Review26Test {
  @RegisterExtension static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();
  @TempDir Path dir;

  static ObjectStore bucket() {
    return MinioObjectStore.create(FollowerTest.s3Options(S3.server()));
  }

  /**
   * Scenario: a primary ships store txid s as lineage txid t, then commits 4 LOCAL transactions (not yet
   * uploaded: minUploadInterval is long). The snapshot interval comes up (wall clock moved on) and the shipper
   * takes a snapshot of the same lineage, which covers all 4 pending commits with ONE txid (t + 1). Before its
   * PUT, landSnapshot renews the lease (due by the wall clock): the body's local end is computed as
   * positionOf(s) + (lastTxid - s) = t + 4, i.e. as if each store txid became one lineage txid. The snapshot
   * lands at t + 1; the renewal after it is not due. If the primary dies now, the successor reads
   * LeaseView.State.unshippedAtLeast(bucket end) (what Standby reports as Promotion.lostLocalTransactions).
   * Expected: 0 (every local commit is in the bucket, in the snapshot) -- a lower bound must never exceed the
   * true number of unshipped transactions.
   * Actual: 3 (local end t + 4 against a bucket ending at t + 1) -- the standby would warn that 3 committed
   * transactions were lost when none were.
   */
  @Test
  void aSameLineageSnapshotCoveringSeveralCommitsDoesNotOverReportLostLocalTransactions() throws Exception {
    String prefix = "snapcount";
    MutableClock clock = new MutableClock(Instant.now());
    try (ObjectStore bucket = bucket();
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"));
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix)
            .clock(clock).leaseTtl(Duration.ofMinutes(10)).leaseKeepAlive(false)
            .minUploadInterval(Duration.ofHours(1)).snapshotInterval(Duration.ofHours(1)).build())) {
      Database db = store.database("data");
      FollowerTest.writeReplicated(db, r, c -> {
        c.createStatement().executeUpdate("INSERT INTO kv VALUES (1, x'01')");
        return null;
      });
      for (int i = 2; i <= 4; i++) {
        int k = i;
        db.writeCommitted(c -> {
          c.createStatement().executeUpdate("INSERT INTO kv VALUES (" + k + ", x'01')");
          return null;
        }).get(10, TimeUnit.SECONDS);
      }
      clock.advance(Duration.ofHours(2)); // the snapshot interval is up, and the lease renewal is due
      long last = db.writeCommitted(c -> {
        c.createStatement().executeUpdate("INSERT INTO kv VALUES (5, x'01')");
        return null;
      }).get(10, TimeUnit.SECONDS).txid();
      assertTrue(r.awaitReplicated(last, Duration.ofSeconds(20)), "the snapshot covering the LOCAL commits landed");
      ReplicaPosition bucketEnd = r.positionOf(last).orElseThrow();
      LeaseView.State lease = LeaseView.read(bucket, prefix).orElseThrow();
      // (After the fix the body says what was shipped and how many commits came after; the standby's count
      // is unknown (-1) when a snapshot lies after what was shipped. What matters: never above 0 here.)
      long lost = Standby.lostAtLeast(bucket, prefix, lease, bucketEnd);
      assertTrue(lost <= 0, "every local commit is in the bucket (" + bucketEnd + "), yet the standby would report "
          + lost + " lost from " + lease.backlog());
    }
  }
  private void primaryThatHandsOver(ObjectStore bucket, Path storeDir, String name, String prefix) throws Exception {
    try (SqliteStore store = SqliteStore.builder(storeDir).database(name, FailoverTest.databaseOptions()).open();
        Replicator r = Replicator.start(store.database(name), ReplicatorOptions.builder(bucket, prefix)
            .leaseKeepAlive(true).build())) {
      for (int i = 0; i < 3; i++) {
        int k = i;
        FollowerTest.writeReplicated(store.database(name), r, c -> {
          c.createStatement().executeUpdate("INSERT INTO kv VALUES (" + k + ", " + k + ")");
          return null;
        });
      }
    }
  }

  private static StandbyOptions standbyOf(ObjectStore bucket, Path storeDir, String name, String prefix) {
    FollowerOptions follower = FollowerOptions.builder(bucket, prefix, storeDir.resolve(name + ".db")).name(name)
        .pollInterval(Duration.ofMillis(50)).build();
    return StandbyOptions.builder(follower, FailoverTest.databaseOptions(),
        ReplicatorOptions.builder(bucket, prefix).leaseKeepAlive(true).build())
        .leaseCheckInterval(Duration.ofMillis(100)).build();
  }

  /**
   * Scenario: a rollback of a rolling deploy. A primary of this version replicated the prefix and handed over
   * (its newest lease generation is "released"); the service was rolled back to a Litevault version before
   * lease generations, whose primary now holds the legacy single lease object {@code <prefix>/lease} (live for
   * 2 minutes). A standby of this version watches the prefix. LeaseView (Lease.holder) falls back to the legacy
   * object only when there is NO generation; here the released generation answers, and the standby reads a
   * free lease. Replicator.start (Lease.acquire -> refuseLegacyHolder) honours the legacy object regardless.
   * Expected: the prefix is held by the older version: awaitPromotion keeps waiting and returns empty after its
   * timeout, the standby still following.
   * Actual: the standby takes over at once: catches up, detaches its file, opens a store, its Replicator refuses
   * the legacy holder, and awaitPromotion throws FollowerException; the standby is dead.
   */
  @Test
  void aLegacyLeaseHolderBesideAReleasedGenerationIsNotAFreeLease() throws Exception {
    String prefix = "legacy-after-generations";
    BucketLayout layout = new BucketLayout(prefix);
    try (ObjectStore bucket = bucket()) {
      primaryThatHandsOver(bucket, dir.resolve("p"), "data", prefix);
      long until = System.currentTimeMillis() + Duration.ofMinutes(2).toMillis();
      bucket.put(layout.legacyLease(), ("{\"owner\":\"old-version-primary\",\"nonce\":\"" + java.util.UUID.randomUUID()
          + "\",\"expiresAtMillis\":" + until + ",\"released\":false}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      try (Standby standby = Standby.start(standbyOf(bucket, dir.resolve("s"), "data", prefix))) {
        String outcome;
        try {
          Optional<Standby.Promotion> p = standby.awaitPromotion(Duration.ofSeconds(2));
          outcome = p.isEmpty() ? "empty" : "promoted while an older version holds the lease";
          if (p.isPresent()) {
            p.get().replicator().close();
            p.get().store().close();
          }
        } catch (RuntimeException e) {
          outcome = e.toString();
        }
        assertEquals("empty", outcome, "the lease is held by an older version until " + Instant.ofEpochMilli(until)
            + "; the standby read " + standby.lease());
      }
    }
  }
  /**
   * Scenario: a live primary holds its lease (keep-alive on). A standby with the default lease check interval
   * (StandbyOptions.DEFAULT_LEASE_CHECK_INTERVAL, 5 s) is asked to awaitPromotion(500 ms): a caller that
   * polls for a promotion with a short timeout (or wants to shut down promptly). awaitFreeLeases reads the
   * lease, sees the deadline not yet passed, and sleeps the whole interval before looking at the deadline
   * again (holding the standby's monitor, so close() waits too).
   * Expected: empty after about the 500 ms asked for (well under 2 s).
   * Actual: empty only after the full 5 s interval (plus a second lease read): ten times the timeout.
   */
  @Test
  void awaitPromotionHonoursATimeoutShorterThanTheLeaseCheckInterval() throws Exception {
    String prefix = "short-timeout";
    try (ObjectStore bucket = bucket();
        SqliteStore store = SqliteStore.builder(dir.resolve("p")).database("data", FailoverTest.databaseOptions()).open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix)
            .leaseTtl(Duration.ofSeconds(30)).leaseKeepAlive(true).build())) {
      FollowerTest.writeReplicated(store.database("data"), r, c -> {
        c.createStatement().executeUpdate("INSERT INTO kv VALUES (1, 1)");
        return null;
      });
      FollowerOptions follower = FollowerOptions.builder(bucket, prefix, dir.resolve("s/data.db")).name("data")
          .pollInterval(Duration.ofMillis(50)).build();
      StandbyOptions options = StandbyOptions.builder(follower, FailoverTest.databaseOptions(),
          ReplicatorOptions.builder(bucket, prefix).leaseKeepAlive(true).build()).build(); // default check interval
      try (Standby standby = Standby.start(options)) {
        long started = System.nanoTime();
        Optional<Standby.Promotion> p = standby.awaitPromotion(Duration.ofMillis(500));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(p.isEmpty(), "the primary holds its lease");
        assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "awaitPromotion(500 ms) returned after " + took);
      }
    }
  }
  /**
   * Scenario: the primary's wall clock is a minute behind the standby's (it stepped back: an NTP correction, a VM
   * restored from a snapshot). The primary is alive and renews its lease every TTL/4 (keep-alive on, TTL 5 s):
   * a new generation appears in the bucket every ~1.25 s. Each body's expiry is the primary's clock + TTL, which
   * the standby's clock (Standby.awaitFreeLeases: LeaseView.State.free(Instant.now())) already finds passed.
   * The standby never looks at what it can see for itself on its own monotonic clock (the generations
   * keep changing, so the holder is alive).
   * Expected: a primary that renews its lease is never taken for a dead one: awaitPromotion(3 s) returns empty.
   * Actual: the standby promotes at once and fences a live, healthy primary (its LOCAL writes not yet uploaded
   * are lost, and a new lineage is forced).
   */
  @Test
  void aRenewingPrimaryWhoseClockIsBehindIsNotTakenForDead() throws Exception {
    String prefix = "clock-behind";
    MutableClock behind = new MutableClock(Instant.now().minus(Duration.ofMinutes(1)));
    java.util.concurrent.ScheduledExecutorService ticker = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    ticker.scheduleAtFixedRate(() -> behind.advance(Duration.ofMillis(50)), 50, 50, TimeUnit.MILLISECONDS);
    try (ObjectStore bucket = bucket();
        SqliteStore store = SqliteStore.builder(dir.resolve("p")).database("data", FailoverTest.databaseOptions()).open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix)
            .clock(behind).leaseTtl(Duration.ofSeconds(5)).leaseKeepAlive(true).build())) {
      FollowerTest.writeReplicated(store.database("data"), r, c -> {
        c.createStatement().executeUpdate("INSERT INTO kv VALUES (1, 1)");
        return null;
      });
      FollowerOptions follower = FollowerOptions.builder(bucket, prefix, dir.resolve("s/data.db")).name("data")
          .pollInterval(Duration.ofMillis(50)).build();
      StandbyOptions options = StandbyOptions.builder(follower, FailoverTest.databaseOptions(),
          ReplicatorOptions.builder(bucket, prefix).leaseTtl(Duration.ofSeconds(5)).leaseKeepAlive(true).build())
          .leaseCheckInterval(Duration.ofMillis(100)).build();
      try (Standby standby = Standby.start(options)) {
        String outcome;
        try {
          Optional<Standby.Promotion> p = standby.awaitPromotion(Duration.ofSeconds(3));
          outcome = p.isEmpty() ? "empty" : "promoted over a live primary renewing its lease";
          if (p.isPresent()) {
            p.get().replicator().close();
            p.get().store().close();
          }
        } catch (RuntimeException e) {
          outcome = e.toString();
        }
        assertEquals("empty", outcome, "the standby read " + standby.lease());
      }
    } finally {
      ticker.shutdownNow();
    }
  }
  /**
   * Scenario: a standby A of database "users" is promoted into store directory D (a handover); its promotion
   * removes D from the JVM's registry of standby directories, as it should. Later the service starts a new
   * standby B on D (the writer moved on; D follows again), while the old Standby object A is closed only
   * afterwards (its try-with-resources ends, or the service closes it at shutdown). A.close() runs
   * closeFollowers(), which removes D from the registry unconditionally, although D is now B's.
   * Expected: a third standby C on D (database "posts" of the same store) is refused, as while B alone held
   * D: "the store directory of several databases is one standby".
   * Actual: C starts beside B on the same directory: the two promote into one directory, and the second
   * promotion can open no store (what the registry was added for in review 25).
   */
  @Test
  void closingAPromotedStandbyDoesNotUnregisterTheDirectoryOfANewOne() throws Exception {
    try (ObjectStore bucket = bucket()) {
      primaryThatHandsOver(bucket, dir.resolve("pu"), "users", "reg/users");
      primaryThatHandsOver(bucket, dir.resolve("pp"), "posts", "reg/posts");
      Path d = dir.resolve("standby");
      Standby a = Standby.start(standbyOf(bucket, d, "users", "reg/users"));
      try {
        Standby.Promotion p = a.awaitPromotion(Duration.ofSeconds(10)).orElseThrow();
        p.replicator().close();
        p.store().close();
        try (Standby b = Standby.start(standbyOf(bucket, d, "users", "reg/users"))) {
          a.close(); // the promoted standby object, closed late
          String outcome;
          try (Standby c = Standby.start(standbyOf(bucket, d, "posts", "reg/posts"))) {
            outcome = "a second standby started on " + d;
          } catch (IllegalArgumentException e) {
            outcome = "refused";
          }
          assertEquals("refused", outcome, "standby B follows " + b.follower().options().file());
        }
      } finally {
        a.close();
      }
    }
  }
}
