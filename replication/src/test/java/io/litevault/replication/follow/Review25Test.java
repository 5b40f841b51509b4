package io.litevault.replication.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of 4f082c2 (followers after the review-24 fixes): each test reproduces one bug found in review. */
class Review25Test {
  static EmbeddedS3 s3;
  @TempDir Path dir;

  @BeforeAll
  static void start() {
    s3 = EmbeddedS3.start();
  }

  @AfterAll
  static void stop() {
    s3.close();
  }

  static S3Options s3Options() {
    return S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString()).region(s3.region())
        .credentials(s3.accessKey(), s3.secretKey()).build();
  }

  static void waitUntilGone(ObjectStore bucket, String key) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (bucket.stat(key).isPresent()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(key + " was never removed");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Scenario: a live primary (keep-alive on, TTL 1 s) renews its lease between the standby's LIST of the lease
   * generations and its GET of the newest one (a renewal creates generation g+1 and deletes g). LeaseView.read
   * (Lease.newest) finds the listed generation gone and no older one, and answers "nobody ever held it"; the
   * standby takes Optional.empty() for a free lease.
   * Expected: the lease is held (the newest generation is live): awaitPromotion keeps waiting and returns empty
   * after its timeout, the standby still serving reads.
   * Actual: the standby starts a takeover of a live primary: it catches up, detaches its file, opens a store and
   * its Replicator fails on the held lease; awaitPromotion throws FollowerException and the standby is dead
   * (its follower closed), all from one lost race with an ordinary renewal.
   */
  @Test
  void aRenewalBetweenTheLeaseListAndGetIsNotAFreeLease() throws Exception {
    String prefix = "renewrace";
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        Review24Test.GetHookStore standbyBucket = new Review24Test.GetHookStore(S3ObjectStore.create(s3Options()));
        SqliteStore store = SqliteStore.builder(dir.resolve("p")).database("data", FailoverTest.databaseOptions()).open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix)
            .leaseTtl(Duration.ofSeconds(1)).leaseKeepAlive(true).build())) {
      FollowerTest.writeReplicated(store.database("data"), r, c -> {
        c.createStatement().executeUpdate("INSERT INTO kv VALUES (1, 1)");
        return null;
      });
      FollowerOptions follower = FollowerOptions.builder(standbyBucket, prefix, dir.resolve("s/data.db")).name("data")
          .pollInterval(Duration.ofMillis(50)).build();
      StandbyOptions options = StandbyOptions.builder(follower, FailoverTest.databaseOptions(),
          ReplicatorOptions.builder(standbyBucket, prefix).leaseKeepAlive(true).build())
          .leaseCheckInterval(Duration.ofMillis(100)).build();
      try (Standby standby = Standby.start(options)) {
        // the first lease GET waits until the primary's next renewal has deleted the generation it lists
        standbyBucket.beforeGet("/leases/", key -> waitUntilGone(bucket, key));
        String outcome;
        try {
          Optional<Standby.Promotion> p = standby.awaitPromotion(Duration.ofSeconds(3));
          outcome = p.isEmpty() ? "empty" : "promoted while the primary holds its lease";
          if (p.isPresent()) {
            p.get().replicator().close();
            p.get().store().close();
          }
        } catch (RuntimeException e) {
          outcome = e.toString();
        }
        assertEquals("empty", outcome, "a live primary's lease, read during a renewal: " + standby.lease());
      }
    }
  }
  /** A decorator whose hooks run before a put (any kind) and after a listing is taken, for keys containing a string. */
  static class HookStore implements ObjectStore {
    final ObjectStore delegate;
    volatile String putFor;
    volatile java.util.function.Consumer<String> beforePut;
    volatile String listFor;
    volatile Runnable afterList;

    volatile java.util.function.BiPredicate<String, String> failList;

    HookStore(ObjectStore delegate) {
      this.delegate = delegate;
    }

    /** Runs {@code hook} once, before the first put of a key containing {@code contains}. */
    synchronized void beforePut(String contains, java.util.function.Consumer<String> hook) {
      beforePut = hook;
      putFor = contains;
    }

    /** Runs {@code hook} once, after the next listing under a prefix containing {@code contains} was taken. */
    synchronized void afterList(String contains, Runnable hook) {
      afterList = hook;
      listFor = contains;
    }

    private void put(String key) {
      java.util.function.Consumer<String> h = null;
      synchronized (this) {
        if (putFor != null && key.contains(putFor)) {
          h = beforePut;
          putFor = null;
        }
      }
      if (h != null) {
        h.accept(key);
      }
    }

    @Override public io.litevault.bucket.PutResult put(String key, java.io.InputStream body, long length) {
      put(key);
      return delegate.put(key, body, length);
    }
    @Override public io.litevault.bucket.PutResult put(String key, byte[] body) {
      put(key);
      return delegate.put(key, body);
    }
    @Override public boolean putIfAbsent(String key, byte[] body) {
      put(key);
      return delegate.putIfAbsent(key, body);
    }
    @Override public java.io.InputStream get(String key) { return delegate.get(key); }
    @Override public java.io.InputStream get(String key, long offset, long length) { return delegate.get(key, offset, length); }
    @Override public Optional<ObjectInfo> stat(String key) { return delegate.stat(key); }
    @Override public Stream<ObjectInfo> list(String prefix) { return delegate.list(prefix); }
    @Override public Stream<ObjectInfo> listAfter(String prefix, String startAfter) {
      java.util.function.BiPredicate<String, String> f = failList;
      if (f != null && f.test(prefix, startAfter)) {
        failList = null;
        throw new io.litevault.bucket.ObjectStoreException(io.litevault.bucket.ErrorKind.SERVER_ERROR, "LIST", prefix,
            "503 Slow Down (injected)", null);
      }
      Runnable h = null;
      synchronized (this) {
        if (listFor != null && prefix.contains(listFor)) {
          h = afterList;
          listFor = null;
        }
      }
      if (h == null) {
        return delegate.listAfter(prefix, startAfter);
      }
      java.util.List<ObjectInfo> taken;
      try (Stream<ObjectInfo> s = delegate.listAfter(prefix, startAfter)) {
        taken = s.toList();
      }
      h.run();
      return taken.stream();
    }
    @Override public Stream<io.litevault.bucket.ListEntry> list(String prefix, String delimiter) { return delegate.list(prefix, delimiter); }
    @Override public void delete(String key) { delegate.delete(key); }
    @Override public void deleteAll(java.util.Collection<String> keys) { delegate.deleteAll(keys); }
    @Override public void copy(String sourceKey, String targetKey) { delegate.copy(sourceKey, targetKey); }
    @Override public void verify() { delegate.verify(); }
    @Override public io.litevault.bucket.ObjectStoreMetrics metrics() { return delegate.metrics(); }
    @Override public String describe() { return "hooked " + delegate.describe(); }
    @Override public void close() { delegate.close(); }
  }

  static void waitFor(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /**
   * Scenario: the primary starts a new lineage (here a fork; a takeover or a forced checkpoint do the same) and
   * uploads its first snapshot. While that PUT is in progress the follower's lineage check lists the new
   * lineage's snapshots/ and finds an object there: S3Proxy (the project's S3 server) lists an upload in
   * progress as {@code <key>-<uuid>} (see Review24Test.aStrayKeyInSegmentsDoesNotHideTheNextSegment); the hook
   * below puts exactly that object and removes it when the real PUT goes ahead. Tailer.newerLineage takes any
   * object under snapshots/ for a snapshot, rebuilds, and the restore (which needs a real .lvsn) keeps the old
   * lineage; the rebuild then records the new lineage as passedOverLineage, for good.
   * Expected: once the snapshot has landed and the primary writes in the new lineage, the follower follows it
   * (a new lineage is followed, not fatal).
   * Actual: the follower never looks at that lineage again: it stays on the abandoned lineage forever, reporting
   * no error, while every write of the primary goes to the new one.
   */
  @Test
  void aNewLineageSeenWhileItsSnapshotUploadsIsStillFollowed() throws Exception {
    String prefix = "inprogress";
    Random rnd = new Random(61);
    try (ObjectStore plain = MinioObjectStore.create(s3Options());
        HookStore bucket = new HookStore(MinioObjectStore.create(s3Options()));
        ObjectStore followerBucket = S3ObjectStore.create(s3Options())) {
      ReplicaPosition middle;
      try (SqliteStore store = FollowerTest.primaryStore(dir.resolve("a"));
          Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(plain, prefix).build())) {
        middle = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
        FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
      }
      try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
          .pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(50)).build())) {
        // the new lineage's first snapshot is listed (as S3Proxy lists an upload in progress) until the
        // follower has looked at it, then the PUT goes ahead
        bucket.beforePut("/snapshots/", key -> {
          String inProgress = key + "-0b5c6a3e-4f1d-4c57-9a3e-1d2f3a4b5c6d";
          plain.put(inProgress, new byte[] {1, 2, 3});
          try {
            // (After the fix the follower no longer rebuilds for it: wait for a few of its lineage checks.)
            long polls = f.health().polls();
            waitFor(() -> f.health().polls() > polls + 6, "the follower to look at the new lineage");
          } finally {
            plain.delete(inProgress);
          }
        });
        Path b = dir.resolve("b");
        Restore.run(RestoreOptions.builder(plain, prefix, b.resolve("data.db")).txid(middle.txid()).build());
        try (SqliteStore store = FollowerTest.primaryStore(b); Replicator r = Replicator.start(store.database("data"),
            ReplicatorOptions.builder(bucket, prefix).allowFork(true).build())) {
          ReplicaPosition forked = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
          assertTrue(!forked.lineage().equals(middle.lineage()), "precondition: a new lineage");
          ReplicaPosition later = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
          boolean reached;
          try {
            reached = f.await(later, Duration.ofSeconds(6));
          } catch (FollowerException e) {
            reached = false;
          }
          assertTrue(reached, "the follower follows the new lineage " + later.lineage() + ": " + f.health());
        }
      }
    }
  }
  /**
   * Scenario: the primary hands over (releases its lease); the standby catches up, opens the store and starts
   * its Replicator, which takes the lease. The last step of the promotion, Standby.nothingNewerThan, LISTs the
   * bucket once more, and that one LIST fails (a 503, a timeout: any bucket hiccup).
   * Expected: the promotion either retries that check or fails cleanly: whatever it throws, it closes the store
   * and the replicator it opened, so the lease is released and another standby (or a retry) can take over.
   * Actual: the exception escapes awaitPromotion outside its try: the store and the replicator it started are
   * neither returned nor closed. The replicator goes on holding (and, with keep-alive, renewing) the lease for a
   * writer nobody can reach: no process can write the database until this JVM exits.
   */
  @Test
  void aFailedLastCheckOfAPromotionDoesNotLeakTheLease() throws Exception {
    String prefix = "leak";
    BucketLayout layout = new BucketLayout(prefix);
    try (ObjectStore plain = MinioObjectStore.create(s3Options());
        HookStore bucket = new HookStore(S3ObjectStore.create(s3Options()))) {
      ReplicaPosition last = null;
      try (SqliteStore store = SqliteStore.builder(dir.resolve("p")).database("data", FailoverTest.databaseOptions()).open();
          Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(plain, prefix)
              .leaseKeepAlive(true).build())) {
        for (int i = 0; i < 3; i++) {
          int k = i;
          last = FollowerTest.writeReplicated(store.database("data"), r, c -> {
            c.createStatement().executeUpdate("INSERT INTO kv VALUES (" + k + ", " + k + ")");
            return null;
          });
        }
      } // a clean close: the lease is released
      FollowerOptions follower = FollowerOptions.builder(bucket, prefix, dir.resolve("s/data.db")).name("data")
          .pollInterval(Duration.ofMillis(50)).build();
      StandbyOptions options = StandbyOptions.builder(follower, FailoverTest.databaseOptions(),
          ReplicatorOptions.builder(bucket, prefix).leaseKeepAlive(true).build())
          .leaseCheckInterval(Duration.ofMillis(100)).build();
      String lastCheck = layout.segmentsAfter(last.lineage(), last.txid());
      bucket.failList = (listed, startAfter) -> lastCheck.equals(startAfter);
      Optional<Standby.Promotion> promotion = Optional.empty();
      String outcome;
      try (Standby standby = Standby.start(options)) {
        try {
          promotion = standby.awaitPromotion(Duration.ofSeconds(10));
          outcome = promotion.isPresent() ? "promoted" : "not promoted";
        } catch (RuntimeException e) {
          outcome = e.toString();
        }
      }
      try {
        if (promotion.isPresent()) {
          assertEquals(last, promotion.get().takenOverAt(), "promoted after retrying the check");
          return;
        }
        Optional<io.litevault.replication.LeaseView.State> lease = io.litevault.replication.LeaseView.read(plain, prefix);
        assertTrue(lease.isEmpty() || lease.get().free(java.time.Instant.now()), "the promotion failed (" + outcome
            + "), yet the lease is held by " + lease + ": the store and replicator it started were leaked");
      } finally {
        if (promotion.isPresent()) {
          promotion.get().replicator().close();
          promotion.get().store().close();
        }
      }
    }
  }
  /**
   * Scenario: the follower's wall clock steps forward by an hour (a bad NTP answer) for a few polls, then back
   * (corrected); right after, the bucket becomes unreachable for the follower.
   * Expected: staleness ("how long ago the follower was last caught up"; the lag gauge FollowerMetricsBinder
   * says to alert on) grows while no poll succeeds: after 1.5 s without a successful poll it is at least ~1 s.
   * The Tailer measures its intervals on the monotonic clock for exactly this reason.
   * Actual: caughtUpAt is the stepped reading, an hour in the future; staleness = now - caughtUpAt is negative and
   * clamped to zero, and stays zero for the next hour however long the follower is cut off.
   */
  @Test
  void stalenessGrowsAfterTheClockSteppedBack() throws Exception {
    String prefix = "stale";
    Random rnd = new Random(67);
    Review24Test.StepClock clock = new Review24Test.StepClock();
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        io.litevault.bucket.FaultyObjectStore followerBucket =
            new io.litevault.bucket.FaultyObjectStore(S3ObjectStore.create(s3Options()));
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"));
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix).build())) {
      FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(rnd));
      try (Follower f = Follower.open(FollowerOptions.builder(followerBucket, prefix, dir.resolve("f/data.db"))
          .clock(clock).pollInterval(Duration.ofMillis(20)).lineageCheckInterval(Duration.ofMillis(50)).build())) {
        clock.offsetMillis = Duration.ofHours(1).toMillis();
        java.time.Instant stepped = java.time.Instant.now().plus(Duration.ofMinutes(30));
        waitFor(() -> f.health().caughtUpAt() != null && f.health().caughtUpAt().isAfter(stepped),
            "a poll on the stepped clock");
        clock.offsetMillis = 0; // corrected
        followerBucket.down(true);
        Thread.sleep(1500);
        FollowerHealth h = f.health();
        assertTrue(h.lastError() != null, "precondition: the follower cannot reach the bucket: " + h);
        assertTrue(h.staleness() != null && h.staleness().compareTo(Duration.ofSeconds(1)) >= 0,
            "1.5 s without a successful poll, staleness " + h.staleness() + ": " + h);
      }
    }
  }
  /** A primary of database {@code name} writes three rows and closes (releasing its lease). */
  private ReplicaPosition primaryThatHandsOver(ObjectStore bucket, String name, String prefix) throws Exception {
    ReplicaPosition last = null;
    try (SqliteStore store = SqliteStore.builder(dir.resolve("primary-" + name)).database(name,
        FailoverTest.databaseOptions()).open();
        Replicator r = Replicator.start(store.database(name), ReplicatorOptions.builder(bucket, prefix)
            .leaseKeepAlive(true).build())) {
      for (int i = 0; i < 3; i++) {
        int k = i;
        last = FollowerTest.writeReplicated(store.database(name), r, c -> {
          c.createStatement().executeUpdate("INSERT INTO kv VALUES (" + k + ", " + k + ")");
          return null;
        });
      }
    }
    return last;
  }

  private StandbyOptions standbyOf(ObjectStore bucket, Path storeDir, String name, String prefix) {
    FollowerOptions follower = FollowerOptions.builder(bucket, prefix, storeDir.resolve(name + ".db")).name(name)
        .pollInterval(Duration.ofMillis(50)).build();
    return StandbyOptions.builder(follower, FailoverTest.databaseOptions(),
        ReplicatorOptions.builder(bucket, prefix).leaseKeepAlive(true).build())
        .leaseCheckInterval(Duration.ofMillis(100)).build();
  }

  /**
   * Scenario: a service with two databases (a store directory holds every database of a store, and
   * StandbyOptions requires the follower file to be {@code <store directory>/<name>.db}) runs one Standby per
   * database on the standby machine, both files in the one directory its store will use. The primary hands
   * over (both leases released); the standbys promote one after the other.
   * Expected: both databases get a writer (the service's store on the standby machine serves both).
   * Actual: the first promotion opens a SqliteStore on the directory and holds its lock; the second one's
   * SqliteStore.open on the same directory is refused (the directory is locked by the first store), so the
   * second database has no writer and its standby is dead; meanwhile its follower could not have rebuilt
   * either (a restore into a directory a running store holds is refused).
   */
  @Test
  void twoDatabasesOfOneStoreCanBothBePromoted() throws Exception {
    try (ObjectStore bucket = MinioObjectStore.create(s3Options())) {
      ReplicaPosition users = primaryThatHandsOver(bucket, "users", "two/users");
      ReplicaPosition posts = primaryThatHandsOver(bucket, "posts", "two/posts");
      Path storeDir = dir.resolve("standby");
      // (After the fix: the databases of one store are one standby; a second standby on the directory is
      // refused at once, naming the way.)
      try (Standby a = Standby.start(standbyOf(bucket, storeDir, "users", "two/users"))) {
        IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> Standby.start(standbyOf(bucket, storeDir, "posts", "two/posts")));
        assertTrue(refused.getMessage().contains("one standby"), refused.getMessage());
      }
      try (Standby both = Standby.start(java.util.List.of(standbyOf(bucket, storeDir, "users", "two/users"),
          standbyOf(bucket, storeDir, "posts", "two/posts")))) {
        java.util.List<Standby.Promotion> p = both.awaitPromotions(Duration.ofSeconds(10)).orElseThrow();
        try (SqliteStore store = p.get(0).store(); Replicator ru = p.get(0).replicator();
            Replicator rp = p.get(1).replicator()) {
          assertEquals(users, p.get(0).takenOverAt());
          assertEquals(posts, p.get(1).takenOverAt());
          assertTrue(p.get(1).store() == store, "one store for both");
          ru.write(c -> c.createStatement().executeUpdate("INSERT INTO kv VALUES (10, 10)"),
              io.litevault.replication.Durability.REPLICATED).get(30, java.util.concurrent.TimeUnit.SECONDS);
          rp.write(c -> c.createStatement().executeUpdate("INSERT INTO kv VALUES (10, 10)"),
              io.litevault.replication.Durability.REPLICATED).get(30, java.util.concurrent.TimeUnit.SECONDS);
          assertEquals(Integer.valueOf(4), store.database("posts").read(c -> FailoverTest.keys(c).size()));
        }
      }
    }
  }

  /**
   * Scenario: a rolling deploy from a Litevault version before lease generations: the running primary holds the
   * legacy single lease object {@code <prefix>/lease} (which Lease.refuseLegacyHolder honours, "never written")
   * and the new version starts as its standby. LeaseView.read lists only {@code leases/}, finds no generation,
   * answers "nobody ever held it", and the standby takes that for a free lease.
   * Expected: the lease is held (the legacy object has not expired): awaitPromotion waits, and returns empty
   * after its timeout with the standby still following.
   * Actual: the standby starts a takeover at once (catches up, detaches, opens the store); its Replicator
   * refuses the legacy holder, and awaitPromotion throws FollowerException: the standby is dead.
   */
  @Test
  void aLegacyLeaseHolderIsNotAFreeLease() throws Exception {
    String prefix = "legacy";
    BucketLayout layout = new BucketLayout(prefix);
    try (ObjectStore bucket = MinioObjectStore.create(s3Options())) {
      primaryThatHandsOver(bucket, "data", prefix);
      // what the bucket of an older primary looks like: no generations, the single lease object, live
      try (Stream<ObjectInfo> gens = bucket.list(layout.leases())) {
        gens.map(ObjectInfo::key).toList().forEach(bucket::delete);
      }
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
        assertEquals("empty", outcome, "the lease is held by an older version until " + java.time.Instant.ofEpochMilli(until)
            + "; the standby read " + standby.lease());
      }
    }
  }

  /**
   * From the review's unreproduced suspicions: a caller blocked in await(position) while the follower is
   * closed stayed blocked until its timeout. Expected: it is woken and told the follower was closed.
   */
  @Test
  void closeWakesAWaitingAwait() throws Exception {
    String prefix = "close-await";
    try (ObjectStore bucket = MinioObjectStore.create(s3Options());
        SqliteStore store = FollowerTest.primaryStore(dir.resolve("p"));
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix).build())) {
      ReplicaPosition at = FollowerTest.writeReplicated(store.database("data"), r, FollowerTest.randomWrite(new Random(3)));
      Follower f = Follower.open(FollowerOptions.builder(bucket, prefix, dir.resolve("f/data.db")).build());
      java.util.concurrent.CompletableFuture<String> waiter = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return "returned " + f.await(new ReplicaPosition(at.lineage(), at.txid() + 1000), Duration.ofMinutes(5));
        } catch (FollowerException e) {
          return "closed";
        } catch (InterruptedException e) {
          return "interrupted";
        }
      });
      Thread.sleep(300);
      f.close();
      assertEquals("closed", waiter.get(10, java.util.concurrent.TimeUnit.SECONDS));
    }
  }
}
