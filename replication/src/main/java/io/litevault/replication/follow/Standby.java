package io.litevault.replication.follow;

import io.litevault.bucket.ObjectInfo;
import io.litevault.replication.LeaseView;
import io.litevault.replication.Replicator;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.store.SqliteStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower that takes over as the writer when the primary is gone: a hot standby on another machine (or
 * the successor of a handover), of one database or of every database of a store ({@link #start(List)}).
 * Meanwhile it serves reads ({@link #follower()}). {@link #awaitPromotion} watches the primary's leases; once
 * all are released (a clean close or a handover) or expired (the primary died), the standby catches up with
 * the last object in the bucket, stops following, and opens the files as one store with a {@link Replicator}
 * per database, each of which takes its lease with the fenced create-only put.
 *
 * <p>What is kept: every write the old primary acknowledged as REPLICATED (it acknowledges only after
 * renewing its lease after the upload, so an acknowledged upload came before the takeover, and the catch-up
 * after the takeover sees it). What is lost: its LOCAL writes not yet uploaded. They never left the dead
 * machine, so the standby counts them from the primary's last lease renewal, which says where its local
 * database ended then ({@link Promotion#lostLocalTransactions}): a lower bound, since commits after that
 * renewal are not known.
 *
 * <p>Which lineage the new writer continues: a released lease, the same lineage (no snapshot, no fork). An
 * expired lease of another machine, a new lineage starting with a snapshot of the same state: the old
 * primary may be paused rather than dead (a frozen VM), and would otherwise upload into the lineage beside
 * the new writer. It finds itself fenced instead: its next renewal fails, it refuses writes and says why.
 *
 * <p>The primary must renew its lease while idle ({@code ReplicatorOptions.leaseKeepAlive(true)}), or the
 * standby takes an idle primary's expired lease for a dead one's.
 *
 * <p>A store directory belongs to one standby: the store it opens holds the directory's lock, so a second
 * standby promoted into it could open no store. Several databases of one store are one standby.
 */
public final class Standby implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Standby.class);
  /** Attempts when objects keep appearing between the catch-up and the takeover (a paused primary's uploads). */
  private static final int MAX_ATTEMPTS = 3;
  /** Store directories a standby of this JVM will open a store in. */
  private static final Set<Path> DIRECTORIES = ConcurrentHashMap.newKeySet();

  private final List<StandbyOptions> databases;
  private final Path directory;
  private final String what;
  /** Written only under this object's lock; read by readers without it (a promotion may wait for days). */
  private volatile Map<String, Follower> followers;
  private volatile Optional<LeaseView.State> lastLease = Optional.empty();
  /** Set by {@link #close}: a waiting {@link #awaitPromotion} returns empty at its next lease check. */
  private volatile boolean closed;
  /** Whether {@link #directory} in {@link #DIRECTORIES} is still this standby's (until promoted or closed). */
  private boolean registered = true;

  private Standby(List<StandbyOptions> databases, Path directory, Map<String, Follower> followers) {
    this.databases = databases;
    this.directory = directory;
    this.followers = followers;
    this.what = databases.size() == 1 ? "'" + databases.get(0).follower().prefix() + "'"
        : databases.size() + " databases of " + directory;
  }

  /** Restores and starts following one database ({@link Follower#open}); does not touch the lease. */
  public static Standby start(StandbyOptions options) {
    Objects.requireNonNull(options, "options");
    return start(List.of(options));
  }

  /**
   * Restores and starts following every database of one store: their follower files in one directory
   * (the store's), their names distinct. Promoted together, into one store.
   *
   * @throws IllegalArgumentException no database, files in several directories, a name twice, or a directory
   *     another standby of this JVM uses
   */
  public static Standby start(List<StandbyOptions> databases) {
    List<StandbyOptions> list = List.copyOf(databases);
    if (list.isEmpty()) {
      throw new IllegalArgumentException("a standby needs at least one database");
    }
    Path directory = directoryOf(list);
    if (!DIRECTORIES.add(directory)) {
      throw new IllegalArgumentException("another standby of this process uses " + directory + ": the store "
          + "directory of several databases is one standby (Standby.start with all of them)");
    }
    try {
      return new Standby(list, directory, openFollowers(list));
    } catch (RuntimeException | Error e) {
      DIRECTORIES.remove(directory);
      throw e;
    }
  }

  /** Opens a follower per database, in order; closes those it opened when one fails. */
  private static Map<String, Follower> openFollowers(List<StandbyOptions> list) {
    Map<String, Follower> followers = new LinkedHashMap<>();
    try {
      for (StandbyOptions o : list) {
        followers.put(o.follower().name(), Follower.open(o.follower()));
      }
      return followers;
    } catch (RuntimeException | Error e) {
      followers.values().forEach(Follower::close);
      throw e;
    }
  }

  private static Path directoryOf(List<StandbyOptions> list) {
    Path directory = list.get(0).follower().file().toAbsolutePath().normalize().getParent();
    Set<String> names = new HashSet<>();
    Set<String> prefixes = new HashSet<>();
    for (StandbyOptions o : list) {
      Path d = o.follower().file().toAbsolutePath().normalize().getParent();
      if (!d.equals(directory)) {
        throw new IllegalArgumentException("the databases of one standby are one store's, in one directory: "
            + o.follower().file() + " is not in " + directory);
      }
      if (!names.add(o.follower().name())) {
        throw new IllegalArgumentException("database '" + o.follower().name() + "' is named twice");
      }
      if (!prefixes.add(o.follower().store().describe() + " " + o.follower().prefix())) {
        throw new IllegalArgumentException("prefix '" + o.follower().prefix() + "' is followed twice: each database "
            + "of a store replicates to a prefix of its own");
      }
    }
    return directory;
  }

  /** The follower reads go to until the promotion: of the one database. */
  public Follower follower() {
    if (databases.size() != 1) {
      throw new IllegalStateException("this standby follows " + what + ": name one (follower(name))");
    }
    return follower(databases.get(0).follower().name());
  }

  /** The follower of database {@code name}, which reads go to until the promotion. */
  public Follower follower(String name) {
    Map<String, Follower> f = followers;
    if (f == null) {
      throw new IllegalStateException("the standby of " + what + " was promoted or closed: read from the "
          + "promoted store");
    }
    Follower one = f.get(name);
    if (one == null) {
      throw new IllegalArgumentException("this standby follows no database '" + name + "': it follows " + f.keySet());
    }
    return one;
  }

  /** The last lease read by {@link #awaitPromotion} that was not free (or the last one, once all were). */
  public Optional<LeaseView.State> lease() {
    return lastLease;
  }

  /**
   * What a promotion did, for one database.
   *
   * @param store the store now writing the database (the caller closes it, after the replicators; one store
   *     for all databases of the standby)
   * @param replicator the database's replicator, holding its lease
   * @param takenOverAt where the follower stood when it stopped following: everything the old primary
   *     uploaded
   * @param previous the old primary's lease as the standby found it free
   * @param waitedForLease from the call until the leases were free
   * @param took from the leases found free until the replicators started
   * @param lostLocalTransactions at least how many transactions the old primary committed locally that are
   *     not in the bucket (as of its last lease renewal, in the lineage taken over; 0 after a handover); -1
   *     when unknown (an older primary, or its lease spoke of another lineage)
   */
  public record Promotion(SqliteStore store, Replicator replicator, ReplicaPosition takenOverAt,
      LeaseView.State previous, Duration waitedForLease, Duration took, long lostLocalTransactions) {}

  /**
   * For a standby of one database: waits until the primary's lease is free, then becomes the writer (see
   * the class comment); empty when the lease stayed held for {@code timeout}, or the standby was closed
   * meanwhile. The standby cannot be used after a promotion.
   *
   * @throws FollowerException the catch-up, the store or the replicator failed: the lease is left as it is, and
   *     this standby serves nothing more (start a new one)
   * @throws IllegalStateException a standby of several databases ({@link #awaitPromotions})
   */
  public Optional<Promotion> awaitPromotion(Duration timeout) throws InterruptedException {
    if (databases.size() != 1) {
      throw new IllegalStateException("this standby follows " + what + ": awaitPromotions");
    }
    return awaitPromotions(timeout).map(p -> p.get(0));
  }

  /**
   * Waits until every database's lease is free, then becomes their writer: one store, one replicator each
   * (in the order the databases were given). As {@link #awaitPromotion} otherwise.
   */
  public synchronized Optional<List<Promotion>> awaitPromotions(Duration timeout) throws InterruptedException {
    follower(databases.get(0).follower().name()); // not promoted or closed
    long start = System.nanoTime();
    Optional<List<LeaseView.State>> leases = awaitFreeLeases(start + timeout.toNanos());
    if (leases.isEmpty()) {
      return Optional.empty();
    }
    long free = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      List<Promotion> promoted;
      try {
        promoted = promoteOnce(leases.get(), Duration.ofNanos(free - start), free);
      } catch (RuntimeException e) {
        closeFollowers(); // detached or not, they serve nothing more: start a new standby
        throw e;
      }
      Optional<String> newer;
      try {
        newer = uploadedDuringTakeover(promoted);
      } catch (RuntimeException e) {
        // The new writer is up and holds the leases: never leave it running unreturned (nobody could write
        // the databases until this JVM exits). Closing it releases the leases for a retry or another standby.
        close(promoted);
        closeFollowers();
        throw new FollowerException("could not take over " + what + ": the last check for objects uploaded "
            + "during the takeover failed (" + e.getMessage() + "); the leases were released, start a new standby", e);
      }
      if (newer.isEmpty()) {
        followers = null;
        unregister();
        promoted.forEach(this::warnOfLoss);
        return Optional.of(promoted);
      }
      // A paused primary uploaded after the catch-up (it acknowledges none of it: the takeover fenced it).
      // Start over from the bucket, so the new writer's files continue what it holds.
      log.warn("standby of {}: objects appeared in {} while taking over (attempt {}): catching up again", what,
          newer.get(), attempt);
      close(promoted);
      if (attempt == MAX_ATTEMPTS) {
        closeFollowers();
        throw new FollowerException("could not take over " + what + ": new objects kept appearing after each "
            + "catch-up; is the old primary still running?", null);
      }
      reopenFollowers();
    }
  }

  /**
   * The leases once all are free, in the databases' order; empty on timeout or close. Free: released, or
   * expired by the holder's expiry AND unchanged (the same generation) for the holder's lease TTL on this
   * machine's monotonic clock (when the body says it): a holder whose wall clock runs behind writes expiries
   * already past here, yet renews.
   * Waits on this object's monitor between checks, so {@link #close} ends the wait at once.
   */
  private Optional<List<LeaseView.State>> awaitFreeLeases(long deadline) throws InterruptedException {
    Map<String, long[]> seen = new java.util.HashMap<>(); // prefix -> {generation, first seen (nanos)}
    while (true) {
      if (closed) {
        return Optional.empty();
      }
      List<LeaseView.State> states = new ArrayList<>();
      for (StandbyOptions o : databases) {
        LeaseView.State s = readLease(o).orElse(new LeaseView.State("nobody", Instant.EPOCH, true));
        lastLease = Optional.of(s);
        if (!free(o, s, seen)) {
          break;
        }
        states.add(s);
      }
      if (states.size() == databases.size()) {
        for (int i = 0; i < databases.size(); i++) {
          LeaseView.State s = states.get(i);
          log.info("standby of '{}': the lease of '{}' is {}: taking over", databases.get(i).follower().prefix(),
              s.owner(), s.released() ? "released" : "expired since " + s.expiresAt());
        }
        return Optional.of(states);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      long pause = Math.min(left, databases.get(0).leaseCheckInterval().toNanos());
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, pause));
    }
  }

  private static boolean free(StandbyOptions o, LeaseView.State s, Map<String, long[]> seen) {
    if (s.released() || s.generation() < 0 || s.ttl() == null) {
      return s.free(Instant.now()); // released, nobody ever held it, or an older holder: its expiry alone
    }
    long now = System.nanoTime();
    long[] first = seen.get(o.follower().prefix());
    if (first == null || first[0] != s.generation()) {
      seen.put(o.follower().prefix(), new long[] {s.generation(), now});
      first = seen.get(o.follower().prefix());
    }
    boolean unchanged = now - first[1] >= s.ttl().toNanos();
    return s.free(Instant.now()) && unchanged;
  }

  private Optional<LeaseView.State> readLease(StandbyOptions o) {
    try {
      return LeaseView.read(o.follower().store(), o.follower().prefix());
    } catch (RuntimeException e) {
      log.warn("standby of '{}': cannot read the lease ({}); trying again", o.follower().prefix(), e.toString());
      return Optional.of(new LeaseView.State("unknown (the lease could not be read)", Instant.MAX, false));
    }
  }

  /** Catches up, stops following, opens the store on the files and starts a replicator per database. */
  private List<Promotion> promoteOnce(List<LeaseView.State> previous, Duration waited, long freeNanos)
      throws InterruptedException {
    List<ReplicaPosition> at = new ArrayList<>();
    for (StandbyOptions o : databases) {
      Follower f = followers.get(o.follower().name());
      f.catchUp(Duration.ofMinutes(1));
      at.add(f.position());
    }
    for (StandbyOptions o : databases) {
      try {
        followers.get(o.follower().name()).detach();
      } catch (IOException e) {
        throw new FollowerException("could not hand the follower's file " + o.follower().file() + " to a store: "
            + e.getMessage(), e);
      }
    }
    SqliteStore store = openStore();
    List<Promotion> out = new ArrayList<>();
    try {
      for (int i = 0; i < databases.size(); i++) {
        StandbyOptions o = databases.get(i);
        Replicator r = startReplicator(store, o);
        out.add(new Promotion(store, r, at.get(i), previous.get(i), waited,
            Duration.ofNanos(System.nanoTime() - freeNanos),
            lostAtLeast(o.follower().store(), o.follower().prefix(), previous.get(i), at.get(i))));
      }
      return out;
    } catch (RuntimeException e) {
      out.forEach(p -> p.replicator().close());
      store.close();
      throw e;
    }
  }

  /**
   * At least how many transactions the holder of {@code lease} committed and never shipped, the bucket's
   * lineage ending at {@code end} (see {@link LeaseView.Backlog#lostAtLeast}); -1 when unknown. One LIST of
   * the lineage's snapshots after what the holder had shipped, when something came after it.
   */
  static long lostAtLeast(io.litevault.bucket.ObjectStore store, String prefix, LeaseView.State lease,
      ReplicaPosition end) {
    LeaseView.Backlog backlog = lease.backlog();
    if (backlog == null) {
      return -1;
    }
    boolean snapshotAfter = false;
    ReplicaPosition shipped = backlog.shipped();
    if (end.lineage().equals(shipped.lineage()) && end.txid() > shipped.txid()) {
      BucketLayout layout = new BucketLayout(prefix);
      try (Stream<ObjectInfo> s = store.listAfter(layout.snapshots(shipped.lineage()),
          layout.snapshot(shipped.lineage(), shipped.txid()))) {
        snapshotAfter = s.anyMatch(o -> layout.parse(o.key()).filter(BucketLayout.Parsed::snapshot)
            .filter(p -> p.lastTxid() > shipped.txid()).isPresent());
      } catch (RuntimeException e) {
        log.warn("standby of '{}': cannot tell how many LOCAL writes were lost ({})", prefix, e.toString());
        return -1;
      }
    }
    return backlog.lostAtLeast(end, snapshotAfter);
  }

  private SqliteStore openStore() {
    SqliteStore.Builder b = SqliteStore.builder(directory);
    for (StandbyOptions o : databases) {
      b.database(o.follower().name(), o.database());
    }
    try {
      return b.open();
    } catch (RuntimeException e) {
      throw new FollowerException("could not open " + directory + " as the new writer of " + what + ": "
          + e.getMessage(), e);
    }
  }

  private static Replicator startReplicator(SqliteStore store, StandbyOptions o) {
    try {
      return Replicator.start(store.database(o.follower().name()), o.replicator());
    } catch (RuntimeException e) {
      throw new FollowerException("could not start replicating '" + o.follower().prefix() + "' as the new writer: "
          + e.getMessage(), e);
    }
  }

  /**
   * The first database whose bucket holds a segment of its taken-over lineage after the point taken over.
   * Checked once the new writers hold the leases (the catch-up already looked for newer lineages; a new
   * writer's own new lineage, if it starts one, must not count): such a segment was uploaded by the old
   * primary after the catch-up.
   */
  private Optional<String> uploadedDuringTakeover(List<Promotion> promoted) {
    for (int i = 0; i < databases.size(); i++) {
      FollowerOptions f = databases.get(i).follower();
      ReplicaPosition at = promoted.get(i).takenOverAt();
      BucketLayout layout = new BucketLayout(f.prefix());
      try (Stream<ObjectInfo> later = f.store().listAfter(layout.segments(at.lineage()),
          layout.segmentsAfter(at.lineage(), at.txid()))) {
        if (later.findFirst().isPresent()) {
          return Optional.of("'" + f.prefix() + "' after txid " + at.txid());
        }
      }
    }
    return Optional.empty();
  }

  private void warnOfLoss(Promotion p) {
    if (p.lostLocalTransactions() > 0) {
      log.warn("standby of '{}': the old primary '{}' had at least {} transactions committed locally and never "
          + "uploaded (as of its last lease renewal): they are lost", p.replicator().health().database(),
          p.previous().owner(), p.lostLocalTransactions());
    }
  }

  private static void close(List<Promotion> promoted) {
    try {
      promoted.forEach(p -> p.replicator().close());
    } finally {
      if (!promoted.isEmpty()) {
        promoted.get(0).store().close();
      }
    }
  }

  private void reopenFollowers() {
    try {
      followers = openFollowers(databases);
    } catch (RuntimeException | Error e) {
      followers = null;
      unregister();
      throw e;
    }
  }

  /** Gives the directory back, once: a later standby may have registered it since this one was promoted. */
  private void unregister() {
    if (registered) {
      registered = false;
      DIRECTORIES.remove(directory);
    }
  }

  private void closeFollowers() {
    Map<String, Follower> f = followers;
    followers = null;
    unregister();
    if (f != null) {
      f.values().forEach(Follower::close);
    }
  }

  /** Stops following; a waiting {@link #awaitPromotion} returns empty (a promotion under way completes first). */
  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      notifyAll(); // a waiting awaitPromotions sees it at once
      closeFollowers();
    }
  }
}
