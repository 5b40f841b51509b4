package io.litevault.replication;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease of one replica prefix, fenced: a sequence of generations {@code <prefix>/leases/<gen>}, each
 * created with a create-only put ({@code If-None-Match: *}), so among processes racing for generation
 * {@code g + 1} exactly one wins. Taking over, renewing and releasing all create the next generation; a
 * holder that was paused while another process took over finds its next generation taken and stops
 * ({@link LeaseException}) instead of overwriting the other's lease. Nothing is ever renewed by an
 * overwrite.
 *
 * <p>A body names its owner, a random nonce, the holder's <em>home</em> and an expiry (wall-clock
 * milliseconds, which other processes compare with their clocks: keep clocks within half the TTL). The
 * home identifies the database files and the running kernel ({@link Home}); a process whose home
 * equals the holder's holds the store lock those files are behind, so the holder is dead and the
 * lease is taken over at once, and the lineage continued. A lease that expired on another home may
 * belong to a paused process that will wake up: {@link #continuationSafe()} is then false, and the
 * shipper starts a new lineage instead of appending to one the old holder might still write.
 *
 * <p>Renewal is due when half the TTL has passed since the last confirmation, measured on the monotonic
 * clock (a wall clock that steps back does not extend it). The shipper renews before an upload when due,
 * and again after it before acknowledging anything, so an upload that outlived the lease (a pause, a
 * very slow request) is acknowledged only if nobody took over meanwhile. An idle database makes no
 * requests; its lease simply expires.
 */
final class Lease {
  private static final Logger log = LoggerFactory.getLogger(Lease.class);
  private static final Pattern GENERATION = Pattern.compile("[0-9a-f]{16}");

  private final ObjectStore store;
  private final BucketLayout layout;
  private final String owner;
  private final String home;
  private final Duration ttl;
  private final Clock clock;
  private final LongSupplier nanos;
  private final String nonce = UUID.randomUUID().toString();
  /** The generation we hold, 0 when none. */
  private long generation;
  private long confirmedNanos;
  /** The wall-clock reading of the same moment: a paused VM's monotonic clock may not count the pause. */
  private long confirmedWallMillis;
  /** See {@link #continuationSafe()}; written into every generation this process creates. */
  private boolean fence;
  private volatile java.util.function.Supplier<LeaseBody.LocalEnd> localEnd;
  /** Listings of the generations tried when the newest listed one is gone before it is read. */
  private static final int NEWEST_READS = 5;

  Lease(ObjectStore store, BucketLayout layout, String owner, String home, Duration ttl, Clock clock, LongSupplier nanos) {
    this.store = store;
    this.layout = layout;
    this.owner = LeaseBody.sanitizeOwner(owner);
    this.home = home;
    this.ttl = ttl;
    this.clock = clock;
    this.nanos = nanos;
  }

  /** One generation as read from the bucket. */
  record Holder(long generation, String owner, String nonce, String home, long expiresAtMillis, boolean released,
      boolean fence, LeaseBody.LocalEnd localEnd, long ttlMillis) {}

  /** What each body written from now on says of the holder's local end; null: nothing. */
  void reportLocalEnd(java.util.function.Supplier<LeaseBody.LocalEnd> localEnd) {
    this.localEnd = localEnd;
  }

  /**
   * Takes the lease, or confirms it when already held. Throws {@link LeaseException} naming the holder
   * when another process holds it on another home and it has not expired.
   */
  synchronized void acquire() {
    if (generation > 0) {
      renewIfDue();
      return;
    }
    refuseLegacyHolder();
    for (int attempt = 0; attempt < 3; attempt++) {
      Holder top = newest();
      if (top != null && top.nonce.equals(nonce) && !top.released) {
        // Ours: an earlier attempt stored it and its answer was lost (the store retried and gave up).
        generation = top.generation;
        fence = top.fence;
        confirmed(nanos.getAsLong() - ttl.toNanos()); // its time is unknown: renew at the next chance
        return;
      }
      boolean successor = top == null || top.released || (!home.isEmpty() && home.equals(top.home));
      if (!successor && top.expiresAtMillis > clock.millis()) {
        throw new LeaseException("replica " + store.describe() + " prefix '" + layout.prefix() + "' is leased by '"
            + top.owner + "' until " + Instant.ofEpochMilli(top.expiresAtMillis) + ": another process replicates "
            + "this database to the same prefix. Stop it, use another prefix, or wait for the lease to expire");
      }
      // A successor inherits the fence (a takeover not yet followed by a lineage of its own); a takeover
      // of a lease that merely expired on another home sets it.
      fence = successor ? top != null && top.fence : true;
      long next = (top == null ? 0 : top.generation) + 1;
      long started = nanos.getAsLong(); // before the body's expiry is computed: never credit more than others do
      if (!store.putIfAbsent(layout.leaseGeneration(next), body(false))) {
        continue; // another process won this generation
      }
      List<Long> gens = generations(); // one listing for both checks: a renewal costs a PUT and one LIST
      if (!newestIs(next, gens)) {
        continue; // we re-created a generation deleted under us: a newer one exists
      }
      generation = next;
      confirmed(started);
      if (top != null && !top.released) {
        log.info("lease of '{}' held by '{}' ({}) taken over: {}", layout.prefix(), top.owner,
            top.expiresAtMillis <= clock.millis() ? "expired at " + Instant.ofEpochMilli(top.expiresAtMillis)
                : "a process on these files that is gone", fence ? "its lineage is not continued (the holder may still "
                + "be running elsewhere)" : "continuing its lineage");
      }
      deleteOlderThan(next, gens);
      return;
    }
    throw new LeaseException("could not take the lease of " + store.describe() + " prefix '" + layout.prefix()
        + "' after 3 attempts: other processes keep taking it");
  }

  /**
   * Whether the newest lineage may be continued: false after a takeover of a lease that merely expired on
   * another home (its holder may be paused, not dead, and write into it when it wakes), and for every
   * successor until the taker has started a lineage of its own ({@link #lineageStarted()}).
   */
  synchronized boolean continuationSafe() {
    return !fence;
  }

  /** The holder started a lineage of its own: from its next generation on, successors may continue. */
  synchronized void lineageStarted() {
    fence = false;
  }

  /** Before and after an upload: renews when half the TTL has passed since the last confirmation. */
  synchronized void renewIfDue() {
    if (generation == 0) {
      throw new LeaseException("the lease of '" + layout.prefix() + "' is not held");
    }
    // Due by either clock: the monotonic one cannot be stepped back, the wall clock counts a VM's pause
    // (which a guest's monotonic clock may not), and others judge the expiry by theirs.
    boolean dueMonotonic = nanos.getAsLong() - confirmedNanos >= ttl.toNanos() / 2;
    boolean dueWall = clock.millis() - confirmedWallMillis >= ttl.toMillis() / 2;
    if (!dueMonotonic && !dueWall) {
      return;
    }
    renew();
  }

  private void confirmed(long startedNanos) {
    confirmedNanos = startedNanos;
    confirmedWallMillis = clock.millis() - java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - startedNanos);
  }

  /** Renews now, whether due or not: proves this process still holds the lease, or throws. */
  synchronized void confirm() {
    if (generation == 0) {
      throw new LeaseException("the lease of '" + layout.prefix() + "' is not held");
    }
    renew();
  }

  private void renew() {
    long next = generation + 1;
    long started = nanos.getAsLong(); // before the body's expiry is computed: never credit more than others do
    if (!store.putIfAbsent(layout.leaseGeneration(next), body(false))) {
      Optional<Holder> h = read(next);
      if (h.isEmpty() || !h.get().nonce().equals(nonce)) {
        throw lost(h.map(Holder::owner).orElse("another process"));
      }
      // Ours: an earlier attempt stored it, and its answer or the listing after it was lost. Credit only
      // what its stored expiry leaves: others count from that.
      long left = Math.max(0, h.get().expiresAtMillis() - clock.millis());
      started = Math.min(started, nanos.getAsLong() - (ttl.toNanos() - java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(left)));
    }
    List<Long> gens = generations(); // one listing for both checks: a renewal costs a PUT and one LIST
    if (!newestIs(next, gens)) {
      throw lost(newestOwner());
    }
    generation = next;
    confirmed(started);
    deleteOlderThan(next, gens);
  }

  /**
   * Whether {@code gen}, just created, is the newest generation. Older generations are deleted, so a
   * process paused between reading the newest and creating the next can re-create a deleted one: only
   * the newest counts, and a re-created one is removed again.
   */
  private boolean newestIs(long gen, List<Long> gens) {
    long newest = gens.stream().mapToLong(Long::longValue).max().orElse(gen);
    if (newest == gen) {
      return true;
    }
    try {
      store.delete(layout.leaseGeneration(gen));
    } catch (RuntimeException e) {
      log.warn("could not delete the stale lease generation {} of '{}'", gen, layout.prefix(), e);
    }
    return false;
  }

  /** Ends the lease with a released generation, if it is still ours; a successor may continue at once. */
  synchronized void release() {
    if (generation == 0) {
      return;
    }
    try {
      for (int attempt = 0; attempt < 3; attempt++) {
        long next = generation + 1;
        if (store.putIfAbsent(layout.leaseGeneration(next), body(true))) {
          deleteOlderThan(next, generations());
          return;
        }
        // Taken: by a renewal of ours whose answer was lost (then it is ours to release after), or by
        // another process (then there is nothing of ours to release).
        Optional<Holder> h = read(next);
        if (h.isEmpty() || !h.get().nonce().equals(nonce)) {
          return;
        }
        generation = next;
      }
      log.warn("could not release the lease of '{}': each generation tried was already there", layout.prefix());
    } catch (RuntimeException e) {
      log.warn("could not release the lease of '{}'", layout.prefix(), e);
    } finally {
      generation = 0;
    }
  }

  /** Who holds the lease now, for a lost lease's message: never a failure of its own (the loss is the news). */
  private String newestOwner() {
    try {
      Holder h = newest();
      return h == null ? "another process" : h.owner;
    } catch (RuntimeException e) {
      return "another process";
    }
  }

  private LeaseException lost(String to) {
    generation = 0;
    return new LeaseException("lost the lease of " + store.describe() + " prefix '" + layout.prefix() + "' to '" + to
        + "' (this process was paused or cut off from the bucket past its lease): replication stopped to avoid "
        + "two writers; writes not yet in the bucket were not acknowledged. Restart this process once the other "
        + "one is stopped");
  }

  /** A lease object written by a Litevault version before generations ({@code <prefix>/lease}). */
  private void refuseLegacyHolder() {
    Optional<Holder> legacy = liveLegacyHolder();
    if (legacy.isPresent()) {
      throw new LeaseException("replica " + store.describe() + " prefix '" + layout.prefix() + "' is leased by '"
          + legacy.get().owner + "' (an older Litevault version) until " + Instant.ofEpochMilli(legacy.get().expiresAtMillis)
          + ": stop it before starting this version on the same prefix");
    }
  }

  /**
   * The newest generation in the bucket, whoever holds it: what a standby watches. With no generation, the
   * lease object of a version before generations (generation 0), which {@link #acquire} honours too: an
   * older primary during a rolling deploy holds the prefix as much as a newer one.
   */
  synchronized Optional<Holder> holder() {
    Optional<Holder> legacy = parse(0, layout.legacyLease());
    if (legacy.filter(this::live).isPresent()) {
      return legacy; // live: acquire refuses whatever the generations say (a rollback to an older version)
    }
    Holder newest = newest();
    return newest != null ? Optional.of(newest) : legacy;
  }

  /** The lease object of a version before generations, while it has not expired. */
  private Optional<Holder> liveLegacyHolder() {
    return parse(0, layout.legacyLease()).filter(this::live);
  }

  private boolean live(Holder h) {
    return h.expiresAtMillis > clock.millis();
  }

  private Holder newest() {
    for (int attempt = 0; attempt < NEWEST_READS; attempt++) {
      List<Long> gens = generations();
      if (gens.isEmpty()) {
        return null;
      }
      Optional<Holder> h = read(gens.get(gens.size() - 1));
      if (h.isPresent()) {
        return h.get();
      }
      // Gone since the listing: a generation is deleted only after a newer one exists (a renewal between our
      // LIST and GET). The older ones listed are gone too or stale: list again, never "nobody holds it".
    }
    throw new ReplicationException("the lease of '" + layout.prefix() + "' changed between each of " + NEWEST_READS
        + " listings and reads of its newest generation; try again");
  }

  /** The generations in the bucket, ascending. */
  private List<Long> generations() {
    List<Long> out = new ArrayList<>();
    String dir = layout.leases();
    try (Stream<ObjectInfo> objects = store.list(dir)) {
      objects.map(o -> o.key().substring(dir.length()))
          .filter(name -> GENERATION.matcher(name).matches())
          .forEach(name -> out.add(Long.parseUnsignedLong(name, 16)));
    }
    out.sort(null);
    return out;
  }

  /**
   * Deletes the generations older than {@code keep} in {@code gens}, a listing taken after {@code keep}
   * was created. An older one re-created after it (a paused process) is not seen here: that process's
   * own {@link #newestIs} check finds {@code keep} and deletes it.
   */
  private void deleteOlderThan(long keep, List<Long> gens) {
    try {
      List<String> old = gens.stream().filter(g -> g < keep).map(layout::leaseGeneration).toList();
      if (!old.isEmpty()) {
        store.deleteAll(old);
      }
    } catch (RuntimeException e) {
      log.debug("could not delete old lease generations of '{}': {}", layout.prefix(), e.toString());
    }
  }

  private byte[] body(boolean released) {
    long until = released ? 0 : clock.millis() + ttl.toMillis();
    java.util.function.Supplier<LeaseBody.LocalEnd> end = localEnd;
    return new LeaseBody(owner, nonce, home, until, released, fence, end == null ? null : end.get(), ttl.toMillis())
        .toJson();
  }

  private Optional<Holder> read(long gen) {
    return parse(gen, layout.leaseGeneration(gen));
  }

  private Optional<Holder> parse(long gen, String key) {
    byte[] bytes;
    try (InputStream in = store.get(key)) {
      bytes = in.readNBytes(LeaseBody.MAX_BYTES + 1);
    } catch (ObjectNotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new ReplicationException("could not read the lease '" + key + "': " + e, e);
    }
    if (bytes.length > LeaseBody.MAX_BYTES) {
      throw new ReplicationException("the lease object '" + key + "' is not a Litevault lease (larger than "
          + LeaseBody.MAX_BYTES + " bytes); delete it if nothing else uses this prefix");
    }
    LeaseBody b = LeaseBody.parse(key, bytes);
    return Optional.of(new Holder(gen, b.owner(), b.nonce(), b.home(), b.expiresAtMillis(), b.released(), b.fence(),
        b.localEnd(), b.ttlMillis()));
  }
}
