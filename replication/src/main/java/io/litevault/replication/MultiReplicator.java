package io.litevault.replication;

import io.litevault.replication.format.BucketLayout;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.store.CheckpointGate;
import io.litevault.store.Committed;
import io.litevault.store.Database;
import io.litevault.store.MaintenanceStep;
import io.litevault.store.ReplicationPort;
import io.litevault.store.WalPosition;
import io.litevault.store.WriteTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships one {@link Database} to several destinations at once (say the local MinIO and a remote S3): one
 * full {@link Replicator} per destination, each with its own position, lag, retries, lease, work
 * directory, lineages, compaction and retention. Each destination's bucket is a complete replica in the
 * usual layout: restore, followers and the tiered backup read any of them with the same command.
 *
 * <p>The store holds the WAL for the slowest destination (a checkpoint goes only as far as every
 * destination has shipped), so a destination that is down or slow holds the WAL until the store's hard
 * limit while the others go on; past that limit the store checkpoints anyway, and that destination, when
 * it comes back, starts a new lineage with a snapshot (the others continue theirs).
 *
 * <p>After a restore from one destination, another that lags behind the file finds it equal to no point it
 * keeps; the other destinations are asked whether their lineages recorded its tip commit and then the file's
 * state ({@code Witnesses}): if one did, it starts a new lineage from the file, else it refuses the file as a
 * single replicator would.
 *
 * <p>A {@link Durability#REPLICATED} write completes once {@link MultiReplicatorOptions#quorum()}
 * destinations hold its transaction (all of them by default); it waits through outages, and fails only
 * when the quorum can no longer be reached because enough destinations stopped for good (fenced, or a
 * local file the bucket refuses). While any destination is fenced (another process took its lease), every
 * write is refused, as a single replicator refuses them: another process writes this database now.
 *
 * <pre>{@code
 * MultiReplicator r = MultiReplicator.start(store.database("data"), MultiReplicatorOptions.builder()
 *     .destination("local", ReplicatorOptions.builder(minio, "litevault/data").build())
 *     .destination("remote", ReplicatorOptions.builder(s3, "litevault/data").build())
 *     .build());
 * r.write(task, Durability.REPLICATED).join();   // completes once the write is in both buckets
 * r.close();
 * }</pre>
 */
public final class MultiReplicator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MultiReplicator.class);

  private final Database db;
  private final MultiReplicatorOptions options;
  /** Each destination, in the configured order. */
  private final Map<String, Destination> destinations;
  /** Retries the start of destinations whose bucket could not be reached at start; null when none. */
  private final ScheduledExecutorService starter;
  private volatile boolean closed;
  /** REPLICATED writes waiting for the quorum, by store txid (one future per txid). */
  private final TreeMap<Long, CompletableFuture<Void>> waiters = new TreeMap<>();

  /** One destination: its options (with its own work directory) and its replicator, once started. */
  private static final class Destination {
    final String name;
    final ReplicatorOptions options;
    /** Completes with the replicator once it started; fails if it can never start (fenced, misconfigured). */
    final CompletableFuture<Replicator> started = new CompletableFuture<>();
    /** Why the last start failed while it is retried, or null. */
    volatile RuntimeException startError;
    volatile long pendingSinceMillis;

    Destination(String name, ReplicatorOptions options) {
      this.name = name;
      this.options = options;
    }

    /** The replicator, or null before it started. */
    Replicator replicator() {
      return started.isDone() && !started.isCompletedExceptionally() ? started.join() : null;
    }
  }

  private MultiReplicator(Database db, MultiReplicatorOptions options, Map<String, Destination> destinations,
      boolean anyPending) {
    this.db = db;
    this.options = options;
    this.destinations = Collections.unmodifiableMap(destinations);
    this.starter = anyPending ? Executors.newSingleThreadScheduledExecutor(task -> {
      Thread t = new Thread(task, "litevault-destinations-" + db.name());
      t.setDaemon(true);
      return t;
    }) : null;
  }

  /**
   * Starts one replicator per destination, in the configured order (each takes its prefix's lease, then
   * continues its newest lineage or starts one, in the background). Checkpoints are held from before the
   * first starts until the last one's gate is in: a checkpoint after the first destination shipped must not
   * move the files past what a later destination can continue from.
   *
   * <p>A destination whose bucket cannot be reached (a retryable {@link ObjectStoreException}: no answer,
   * a timeout, 5xx, throttling) does not stop the others: it is started again in the background (after its
   * {@code retryBackoff}, doubling up to its {@code maxRetryBackoff}) until it starts, and meanwhile holds
   * the WAL as a replicator that failed to start does (up to the hard limit; past it, it starts a new
   * lineage); {@link #health()} shows it as not running. Only when no destination can be reached does the
   * start fail. Any other failure (a lease another process holds, wrong credentials, a missing bucket)
   * closes the destinations already started (checkpoints stay held for all of them, see
   * {@link Replicator#close()}) and is thrown.
   *
   * @throws LeaseException another process replicates to a destination's prefix
   * @throws StoreUnavailableException a destination's bucket cannot be used, or none can be reached
   * @throws IllegalStateException a destination already has a replicator in this process
   */
  public static MultiReplicator start(Database db, MultiReplicatorOptions options) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(options, "options");
    ReplicationPort port = ReplicationPort.of(db);
    // In before any replicator's gate: holdWalUntilGate's gate goes with the first real gate, and the first
    // destination releases frames as soon as it ships them; this one releases nothing until all are in.
    CheckpointGate startHold = new StartHold(db.name());
    port.addCheckpointGate(startHold);
    Map<String, Destination> all = new LinkedHashMap<>();
    List<Destination> pending = new ArrayList<>();
    try {
      for (Map.Entry<String, ReplicatorOptions> e : options.destinations().entrySet()) {
        ReplicatorOptions o = e.getValue();
        ReplicatorOptions placed = (o.workDirectory() != null ? o
            : o.withWorkDirectory(MultiReplicatorOptions.workDirectory(db, e.getKey(), o)))
            .withWitnesses(witnessesFor(e.getKey(), options));
        Destination d = new Destination(e.getKey(), placed);
        all.put(d.name, d);
        try {
          d.started.complete(Replicator.start(db, d.options, d.name));
        } catch (ObjectStoreException unreachable) {
          if (!unreachable.retryable()) {
            failedToStart(db, d, unreachable, all);
            throw unreachable;
          }
          // Its failed start left a parting gate holding the WAL for it: it starts later, from there.
          log.warn("database '{}': destination '{}' ({} prefix {}) cannot be reached ({}); the others start, "
              + "it is retried in the background", db.name(), d.name, o.store().describe(), o.prefix(),
              unreachable.getMessage());
          d.startError = unreachable;
          d.pendingSinceMillis = System.currentTimeMillis();
          pending.add(d);
        } catch (RuntimeException | Error e2) {
          failedToStart(db, d, e2, all);
          throw e2;
        }
      }
    } finally {
      port.removeCheckpointGate(startHold); // after every destination's gate (or parting gate) is in
    }
    if (pending.size() == all.size()) {
      throw pending.get(0).startError; // none reachable: as a single replicator, the start fails
    }
    port.requestCheckpoint();
    MultiReplicator m = new MultiReplicator(db, options, all, !pending.isEmpty());
    for (Destination d : all.values()) {
      Replicator r = d.replicator();
      if (r != null) {
        r.onProgress(m::progressed);
      }
    }
    for (Destination d : pending) {
      m.retryStart(d, d.options.retryBackoff().toMillis());
    }
    return m;
  }

  /** Every destination but {@code name}: they may vouch that restored files descend from its tip (Witnesses). */
  private static Witnesses witnessesFor(String name, MultiReplicatorOptions options) {
    List<Witnesses.Witness> others = new ArrayList<>();
    options.destinations().forEach((other, o) -> {
      if (!other.equals(name)) {
        others.add(new Witnesses.Witness(other, o.store(), new BucketLayout(o.prefix())));
      }
    });
    return new Witnesses(others);
  }

  private static void failedToStart(Database db, Destination d, Throwable e, Map<String, Destination> all) {
    log.error("database '{}': destination '{}' ({} prefix {}) failed to start: {}", db.name(), d.name,
        d.options.store().describe(), d.options.prefix(), e.toString());
    closeAll(db.name(), all.values());
  }

  /** Tries to start {@code d} again after {@code delayMillis}, and again with a doubled delay while unreachable. */
  private void retryStart(Destination d, long delayMillis) {
    try {
      starter.schedule(() -> {
        if (closed) {
          return;
        }
        try {
          Replicator r = Replicator.start(db, d.options, d.name);
          r.onProgress(this::progressed);
          d.startError = null;
          d.started.complete(r);
          progressed();
          log.info("database '{}': destination '{}' started", db.name(), d.name);
          if (closed) {
            r.close(); // close() ran meanwhile and may have missed it
          }
        } catch (ObjectStoreException e) {
          if (!e.retryable()) {
            stopForGood(d, e);
            return;
          }
          d.startError = e;
          long next = Math.min(delayMillis * 2, d.options.maxRetryBackoff().toMillis());
          log.warn("database '{}': destination '{}' still cannot be reached ({}); retrying in {} ms", db.name(), d.name,
              e.getMessage(), next);
          retryStart(d, next);
        } catch (RuntimeException e) {
          stopForGood(d, e);
        }
      }, delayMillis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  private void stopForGood(Destination d, RuntimeException e) {
    log.error("database '{}': destination '{}' cannot start: {}", db.name(), d.name, e.getMessage());
    d.startError = e;
    d.started.completeExceptionally(e);
    progressed();
  }

  /** Holds every checkpoint while the destinations start. */
  private record StartHold(String database) implements CheckpointGate {
    @Override
    public WalPosition safePosition() {
      return Shipper.NOTHING;
    }
  }

  /**
   * A write with the given durability. With {@link Durability#REPLICATED} the future completes once the
   * quorum of destinations holds the transaction that committed it; it fails with a
   * {@link ReplicationException} (its cause: the first destination's reason) once too many destinations
   * stopped for good to reach the quorum, and otherwise keeps waiting through outages. LOCAL writes never
   * wait for a destination.
   */
  public <T> CompletableFuture<T> write(WriteTask<T> task, Durability durability) {
    Objects.requireNonNull(durability, "durability");
    LeaseException fenced = fenced();
    if (fenced != null) {
      return CompletableFuture.failedFuture(fenced);
    }
    CompletableFuture<Committed<T>> committed = db.writeCommitted(task);
    if (durability == Durability.LOCAL) {
      return committed.thenApply(Committed::value);
    }
    return committed.thenCompose(c -> quorumHolds(c.txid()).thenApply(v -> c.value()));
  }

  /**
   * Why writes are refused when another process took a destination's lease, or null: a write here would fork
   * that destination's lineage, and a REPLICATED write waiting meanwhile is not acknowledged (as a single
   * fenced replicator does not), whatever the other destinations hold.
   */
  private LeaseException fenced() {
    for (Destination d : destinations.values()) {
      Replicator r = d.replicator();
      RuntimeException stopped = r != null ? r.stoppedBy() : d.started.isCompletedExceptionally() ? d.startError : null;
      if (stopped instanceof LeaseException lease) {
        return new LeaseException("database '" + db.name() + "' refuses writes: destination '" + d.name + "' is fenced ("
            + d.name + ": " + lease.getMessage() + ")");
      }
    }
    return null;
  }

  /**
   * Waits until the quorum of destinations holds store txid {@code txid}, uploading at once.
   *
   * @return true when it does, false on timeout
   * @throws ReplicationException the quorum can no longer be reached
   */
  public boolean awaitReplicated(long txid, Duration timeout) throws InterruptedException {
    try {
      quorumHolds(txid).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw e.getCause() instanceof ReplicationException r ? r
          : new ReplicationException("replication stopped: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * A future completing once {@code quorum} destinations hold store txid {@code txid}. The waiters live here,
   * one per txid, never in the destinations: with a quorum below all, a destination that is down for a day
   * would otherwise keep a future for every REPLICATED write of that day. Each destination reports its
   * progress ({@link #progressed}), and is asked to upload soon.
   */
  CompletableFuture<Void> quorumHolds(long txid) {
    CompletableFuture<Void> f;
    LeaseException fenced = fenced();
    if (fenced != null) {
      return CompletableFuture.failedFuture(new ReplicationException(fenced.getMessage(), fenced));
    }
    synchronized (waiters) {
      if (txid <= replicatedTxid()) {
        return CompletableFuture.completedFuture(null);
      }
      f = waiters.computeIfAbsent(txid, t -> new CompletableFuture<>());
    }
    for (Destination d : destinations.values()) {
      Replicator r = d.replicator();
      if (r != null && r.replicatedTxid() < txid) {
        r.hurry(txid);
      }
    }
    progressed(); // a destination may have moved, or stopped, before the waiter was in
    return f;
  }

  /**
   * A destination moved on or stopped for good: completes the waiters the quorum now holds, and fails those
   * it can no longer reach (too few destinations left that hold the txid or still run).
   */
  private void progressed() {
    int quorum = options.quorum();
    List<CompletableFuture<Void>> done = new ArrayList<>();
    Map<CompletableFuture<Void>, ReplicationException> failed = new LinkedHashMap<>();
    LeaseException fenced = fenced();
    synchronized (waiters) {
      if (waiters.isEmpty()) {
        return;
      }
      if (fenced != null) {
        // Known before the quorum landed or not: a fenced primary acknowledges nothing more.
        waiters.values().forEach(w -> failed.put(w, new ReplicationException(fenced.getMessage(), fenced)));
        waiters.clear();
      }
      long held = replicatedTxid();
      Map<Long, CompletableFuture<Void>> head = waiters.headMap(held, true);
      done.addAll(head.values());
      head.clear();
      List<Long> stoppedAt = new ArrayList<>();
      Map<String, RuntimeException> reasons = new LinkedHashMap<>();
      for (Destination d : destinations.values()) {
        Replicator r = d.replicator();
        RuntimeException stopped = r != null ? r.stoppedBy() : d.started.isCompletedExceptionally() ? d.startError : null;
        if (stopped != null) {
          stoppedAt.add(r != null ? r.replicatedTxid() : -1L);
          reasons.put(d.name, stopped);
        }
      }
      int running = destinations.size() - stoppedAt.size();
      if (running < quorum) {
        // From the newest waiter down: a txid is still reachable while the running destinations and the
        // stopped ones that hold it make the quorum.
        while (!waiters.isEmpty()) {
          long txid = waiters.lastKey();
          long holders = stoppedAt.stream().filter(t -> t >= txid).count();
          if (running + holders >= quorum) {
            break;
          }
          List<String> why = new ArrayList<>();
          reasons.forEach((name, e) -> why.add(name + ": " + e.getMessage()));
          failed.put(waiters.remove(txid), new ReplicationException("store txid " + txid + " of '" + db.name()
              + "' can no longer reach " + quorum + " of " + destinations.size() + " destination(s); stopped for "
              + "good: " + String.join("; ", why), reasons.values().iterator().next()));
        }
      }
    }
    done.forEach(f -> f.complete(null));
    failed.forEach(CompletableFuture::completeExceptionally);
  }

  /** Fails every waiting REPLICATED write (the replicator closed). */
  private void failWaiters(ReplicationException e) {
    List<CompletableFuture<Void>> all;
    synchronized (waiters) {
      all = new ArrayList<>(waiters.values());
      waiters.clear();
    }
    all.forEach(f -> f.completeExceptionally(e));
  }

  /** The newest store txid that at least the quorum of destinations holds. */
  public long replicatedTxid() {
    List<Long> txids = new ArrayList<>();
    destinations.values().forEach(d -> {
      Replicator r = d.replicator();
      txids.add(r == null ? -1L : r.replicatedTxid());
    });
    txids.sort(Collections.reverseOrder());
    return txids.get(options.quorum() - 1);
  }

  /** Where store txid {@code storeTxid} is in destination {@code destination}'s bucket, once it is there. */
  public Optional<ReplicaPosition> positionOf(String destination, long storeTxid) {
    return replicator(destination).positionOf(storeTxid);
  }

  /** The metrics of destination {@code destination}'s replicator. */
  public ReplicationMetrics metrics(String destination) {
    return replicator(destination).metrics();
  }

  /** Each destination's position, lag and last error, and what the quorum holds. */
  public MultiReplicationHealth health() {
    List<MultiReplicationHealth.Destination> each = new ArrayList<>();
    for (Destination d : destinations.values()) {
      Replicator r = d.replicator();
      ReplicationHealth h = r != null ? r.health() : new ReplicationHealth(db.name(), false, null, 0, -1, db.lastTxid(),
          Math.max(0, System.currentTimeMillis() - d.pendingSinceMillis),
          "not started: " + (d.startError == null ? "closed" : d.startError.getMessage()));
      each.add(new MultiReplicationHealth.Destination(d.name, h));
    }
    LeaseException fenced = fenced();
    return new MultiReplicationHealth(db.name(), options.quorum(), replicatedTxid(), each,
        fenced == null ? null : fenced.getMessage());
  }

  /**
   * The replicators of the destinations that have started, in the configured order: for
   * {@link Handover#run} and {@link GracefulShutdown#install}, which wait for each to ship everything
   * accepted and close it. Anything else should go through this object: a replicator closed on its own
   * leaves its destination behind while the others go on.
   */
  public List<Replicator> replicators() {
    List<Replicator> started = new ArrayList<>();
    destinations.values().forEach(d -> {
      Replicator r = d.replicator();
      if (r != null) {
        started.add(r);
      }
    });
    return started;
  }

  /** The destinations' names, in the configured order. */
  public List<String> destinations() {
    return List.copyOf(destinations.keySet());
  }

  /** A maintenance step asking every destination for a new snapshot; see {@link Replicator#maintenanceStep()}. */
  public MaintenanceStep maintenanceStep() {
    return (database, connection) -> {
      for (Destination d : destinations.values()) {
        Replicator r = d.replicator();
        if (r != null) { // one not started yet starts with a snapshot or continues its lineage anyway
          r.maintenanceStep().run(database, connection);
        }
      }
    };
  }

  /**
   * The replicator of destination {@code name}.
   *
   * @throws IllegalStateException it has not started (its bucket could not be reached yet)
   */
  Replicator replicator(String name) {
    Destination d = destinations.get(name);
    if (d == null) {
      throw new IllegalArgumentException("no destination '" + name + "' (destinations: " + destinations.keySet() + ")");
    }
    Replicator r = d.replicator();
    if (r == null) {
      throw new IllegalStateException("destination '" + name + "' has not started: "
          + (d.startError == null ? "closed" : d.startError.getMessage()));
    }
    return r;
  }

  /**
   * Closes every destination's replicator at once (each ships what is pending within its bound, releases
   * its lease, and leaves its parting gate: see {@link Replicator#close()}), so a destination that is down
   * delays the close by its own bound only, not by the sum.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (starter != null) {
      starter.shutdownNow();
      try {
        starter.awaitTermination(Replicator.CLOSE_FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeAll(db.name(), destinations.values());
    failWaiters(new ReplicationException("the replicator of '" + db.name() + "' was closed"));
  }

  private static void closeAll(String database, Collection<Destination> destinations) {
    List<Thread> closing = new ArrayList<>();
    for (Destination d : destinations) {
      Replicator r = d.replicator();
      if (r == null) {
        // Never started: its failed start left a parting gate holding the WAL for the next start.
        d.started.completeExceptionally(new ReplicationException("destination '" + d.name + "' of '" + database
            + "' was closed before it started"));
        continue;
      }
      Thread t = new Thread(() -> {
        try {
          r.close();
        } catch (RuntimeException e) {
          log.warn("database '{}': closing destination '{}' failed: {}", database, d.name, e.toString());
        }
      }, "litevault-close-" + database + "-" + d.name);
      t.start();
      closing.add(t);
    }
    joinAll(closing);
  }

  private static void joinAll(Collection<Thread> threads) {
    boolean interrupted = false;
    for (Thread t : threads) {
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
