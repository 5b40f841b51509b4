package io.litevault.replication;

import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.store.CommitEvent;
import io.litevault.store.CommitListener;
import io.litevault.store.CheckpointGate;
import io.litevault.store.Committed;
import io.litevault.store.Database;
import io.litevault.store.ReplicationPort;
import io.litevault.store.WalPosition;
import io.litevault.store.WriteTask;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams every committed transaction of one {@link Database} to an {@link ObjectStore}, Litestream-style
 * but inside the process: after commits (at most once per {@code minUploadInterval}, at once for a
 * {@link Durability#REPLICATED} write) it reads the new WAL frames, checks salts and checksums, and uploads
 * them as an immutable segment; a lineage starts with a snapshot. It holds the store's checkpoints until
 * frames are in the bucket. An idle database makes no requests.
 *
 * <pre>{@code
 * Replicator r = Replicator.start(store.database("data"),
 *     ReplicatorOptions.builder(minio, "litevault/data").build());
 * r.write(task, Durability.REPLICATED).join();   // completes once the write is in the bucket
 * r.close();                                      // before store.close(), or let store.close() flush it
 * }</pre>
 */
public final class Replicator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Replicator.class);
  /** How long a closing store waits for the last frames to reach the bucket. */
  static final Duration CLOSE_FLUSH_TIMEOUT = Duration.ofSeconds(30);

  private final Database db;
  private final ReplicatorOptions options;
  /** This replicator's own files (break records, staged snapshots, its home id): one per destination. */
  private final Path workDir;
  private final Lease lease;
  private final ReplicationMetrics metrics = new ReplicationMetrics();
  private final Progress progress = new Progress();
  private final Shipper shipper;
  private final Thread thread;
  private final Hook hook = new Hook();
  /** Renews the lease while idle ({@link ReplicatorOptions#leaseKeepAlive()}), or null. */
  private java.util.concurrent.ScheduledExecutorService keepAlive;
  private volatile boolean closed;
  /** Set when the store closes the database (then nothing is left to hold, and no replicator can follow). */
  private volatile boolean storeClosed;

  /** The name its threads carry: the database's, and the destination's in a {@link MultiReplicator}. */
  private final String threadName;

  private Replicator(Database db, ReplicatorOptions options, String destination) {
    this.db = db;
    this.options = options;
    this.threadName = destination == null ? db.name() : db.name() + "-" + destination;
    this.workDir = Shipper.workDirectory(db, options).toAbsolutePath().normalize();
    this.lease = new Lease(options.store(), new BucketLayout(options.prefix()), options.owner(),
        Home.of(db.path(), workDir), options.leaseTtl(), options.clock(), System::nanoTime);
    this.shipper = new Shipper(db, options, lease, metrics, progress);
    lease.reportLocalEnd(this::localEnd);
    this.thread = new Thread(this::runShipper, "litevault-replicator-" + threadName);
    this.thread.setDaemon(true);
  }

  /**
   * Attaches a replicator to {@code db} and starts it. It takes the prefix's lease, then continues the
   * newest lineage if the local files continue it, or starts a new one with a snapshot — in the
   * background: writes go on meanwhile, and checkpoints wait.
   *
   * <p>If it fails, checkpoints stay held (see {@link #close()}): what the application writes until a
   * replicator starts stays in the WAL and ships then.
   *
   * @throws LeaseException another process replicates to this prefix
   * @throws StoreUnavailableException the bucket cannot be used (credentials, bucket, endpoint)
   */
  public static Replicator start(Database db, ReplicatorOptions options) {
    return start(db, options, null);
  }

  /** {@link #start(Database, ReplicatorOptions)} for destination {@code destination} of a {@link MultiReplicator}. */
  static Replicator start(Database db, ReplicatorOptions options, String destination) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(options, "options");
    if (!db.options().holdWalUntilGate()) {
      log.warn("database '{}' is not opened with holdWalUntilGate(true): what it writes before a replicator attaches "
          + "(migrations, writes after a crash) may be checkpointed first, and the bucket then refuses the file "
          + "(LocalBehindBucketException)", db.name());
    }
    Attachment attachment = new Attachment(db.path().toAbsolutePath().normalize(),
        Shipper.workDirectory(db, options).toAbsolutePath().normalize(), options.store(), options.prefix());
    attach(db, attachment);
    Replicator r = null;
    try {
      r = new Replicator(db, options, destination);
      options.store().verify();
      r.lease.acquire(); // fail fast, on the caller's thread, when another process holds the prefix
    } catch (RuntimeException | Error e) {
      ATTACHED.remove(attachment);
      if (r != null) {
        // The application means to replicate this database: what it writes until a replicator runs
        // stays in the WAL (even through the store's close), to ship then, instead of becoming a file
        // the bucket has no point of (a standby's migration while a dead primary's lease runs out).
        r.leaveParting();
      }
      throw e;
    }
    ReplicationPort.of(db).addCheckpointGate(r.hook);
    ReplicationPort.of(db).addCommitListener(r.hook);
    PartingGate parting = partingGates(db).remove(r.workDir);
    if (parting != null) {
      parting.remove(); // after the new gate is in: never a moment without one
    }
    r.thread.start();
    if (options.leaseKeepAlive()) {
      r.startKeepAlive();
    }
    return r;
  }

  /**
   * Every quarter TTL, renews the lease when half of it has passed (the shipper's own renewals before
   * uploads count): a standby then never takes an idle primary for a dead one. A lost lease stops nothing
   * here: the shipper finds it at its next renewal (the lease is no longer held) and stops replication.
   */
  private void startKeepAlive() {
    keepAlive = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(task -> {
      Thread t = new Thread(task, "litevault-lease-" + threadName);
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(1, options.leaseTtl().toMillis() / 4);
    keepAlive.scheduleWithFixedDelay(() -> {
      if (closed) {
        return;
      }
      try {
        lease.renewIfDue();
      } catch (LeaseException e) {
        log.error("database '{}': {}", db.name(), e.getMessage());
        keepAlive.shutdown();
        progress.failAll(e);
        shipper.signal(true);
      } catch (RuntimeException e) {
        log.warn("database '{}': lease keep-alive failed (retried in {} ms): {}", db.name(), every, e.toString());
      }
    }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * Where the local database stands, for the lease body (a successor counts from it what a dead primary never
   * shipped): the bucket position of the newest shipped store txid, and the store txids committed after it
   * (each one WAL commit: the store numbers only commits that moved the WAL). Null until this process has
   * shipped something.
   */
  private LeaseBody.LocalEnd localEnd() {
    long shipped = progress.replicatedStoreTxid();
    ReplicaPosition at = shipped < 0 ? null : progress.positionOf(shipped);
    if (at == null) {
      return null;
    }
    return LeaseBody.LocalEnd.ofValid(at.lineage(), at.txid(), Math.max(0, db.lastTxid() - shipped));
  }


  /**
   * A write with the given durability. With {@link Durability#REPLICATED} the future completes only once
   * the transaction that committed it is in the bucket; it fails with {@link ReplicationException} if
   * replication stopped for good (a lost lease), and otherwise keeps waiting through bucket outages.
   */
  public <T> CompletableFuture<T> write(WriteTask<T> task, Durability durability) {
    RuntimeException stopped = progress.failure();
    if (stopped instanceof LeaseException) {
      // Fenced: another process writes this database's lineage now. A write here would never reach the
      // bucket, and would make this file fork from it.
      return CompletableFuture.failedFuture(new LeaseException("database '" + db.name() + "' refuses writes: "
          + stopped.getMessage()));
    }
    CompletableFuture<Committed<T>> committed = db.writeCommitted(task);
    if (durability == Durability.LOCAL) {
      return committed.thenApply(Committed::value);
    }
    return committed.thenCompose(c -> {
      CompletableFuture<Void> f = progress.await(c.txid());
      if (!f.isDone()) {
        shipper.replicatedWrite(c.txid());
      }
      return f.thenApply(v -> c.value());
    });
  }

  /** Asks for an upload soon, as a REPLICATED write of store txid {@code txid} does. For {@link MultiReplicator}. */
  void hurry(long txid) {
    shipper.replicatedWrite(txid);
  }

  /**
   * Runs {@code listener} after every advance of {@link #replicatedTxid()} and when replication stops for
   * good, on the thread that did it (keep it short). For {@link MultiReplicator}, which keeps its own waiters.
   */
  void onProgress(Runnable listener) {
    progress.onChange(listener);
  }

  /** Whether REPLICATED writes wait in this replicator's own progress (a test's view). */
  boolean hasWaiters() {
    return progress.hasWaiters();
  }

  /** Why replication stopped for good (a {@link LeaseException} when fenced), or null while it runs. */
  RuntimeException stoppedBy() {
    return progress.failure();
  }

  /**
   * The newest store txid (as in {@link Committed#txid()}) whose data is in the bucket; -1 until the first
   * snapshot (or the resumed lineage's catch-up) has landed. 0 stands for the database as the store opened it.
   */
  public long replicatedTxid() {
    return progress.replicatedStoreTxid();
  }

  /**
   * Waits until store txid {@code txid} is in the bucket, uploading at once.
   *
   * @return true when it is, false on timeout
   */
  public boolean awaitReplicated(long txid, Duration timeout) throws InterruptedException {
    CompletableFuture<Void> f = progress.await(txid);
    if (f.isDone()) {
      return !f.isCompletedExceptionally();
    }
    shipper.signal(true);
    try {
      f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new ReplicationException("replication stopped: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Where store txid {@code storeTxid} is in the bucket, once it is there (for recent txids). */
  public Optional<ReplicaPosition> positionOf(long storeTxid) {
    return Optional.ofNullable(progress.positionOf(storeTxid));
  }

  /**
   * A step for the store's maintenance window ({@code MaintenancePlan.builder().step("replication
   * snapshot", replicator.maintenanceStep())}): it asks for a new snapshot of the freshly checkpointed
   * (and maybe vacuumed) database, taken as soon as the window lets writes go again — a snapshot needs
   * the writer for a moment to pin its commit boundary, so it cannot run inside the window itself.
   */
  public io.litevault.store.MaintenanceStep maintenanceStep() {
    return (database, connection) -> {
      shipper.snapshotRequested = true;
      shipper.signal(false);
    };
  }

  /** The database this replicator ships. */
  Database database() {
    return db;
  }

  public ReplicationMetrics metrics() {
    return metrics;
  }

  public ReplicationHealth health() {
    long last = db.lastTxid();
    long replicated = progress.replicatedStoreTxid();
    CommitEvent oldest = shipper.pending.peek();
    long lagMillis = oldest == null ? 0 : Math.max(0, options.clock().millis() - oldest.commitTimeMillis());
    return new ReplicationHealth(db.name(), thread.isAlive(), shipper.lineage, shipper.lastTxid, replicated,
        Math.max(0, last - Math.max(0, replicated)), lagMillis, shipper.lastError);
  }

  /**
   * Ships what is pending (bounded by the store's retries and {@link #CLOSE_FLUSH_TIMEOUT}), stops, and
   * releases the lease. The database stays open. Its checkpoints stay held at what was shipped (a
   * parting gate), so the files never move past the lineage behind replication's back: a replicator
   * started again on it, in this process or after a restart, ships what was written meanwhile and
   * continues the lineage. Without one the WAL grows to the store's hard limit; there the store
   * checkpoints anyway, and the next replicator starts a new lineage.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (keepAlive != null) {
      keepAlive.shutdown();
    }
    shipper.close();
    try {
      thread.join(CLOSE_FLUSH_TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.warn("database '{}': replicator did not finish shipping within {} s; {} commit(s) not shipped",
          db.name(), CLOSE_FLUSH_TIMEOUT.toSeconds(), shipper.pending.size());
      thread.interrupt();
    }
    if (!thread.isAlive()) {
      shipper.recordClosed();
    }
    if (!storeClosed) {
      leaveParting(); // before the replicator's gate goes: no moment without one
    }
    ReplicationPort.of(db).removeCommitListener(hook);
    ReplicationPort.of(db).removeCheckpointGate(hook);
    if (!thread.isAlive()) {
      ATTACHED.remove(attachment()); // else when the thread ends (runShipper)
    }
    if (thread.isAlive()) {
      // An upload may still be in flight: a released lease would let a successor continue this lineage
      // beside it. Left to expire, a successor elsewhere starts a new lineage instead.
      log.warn("database '{}': lease not released (the replicator thread is still running); it expires after {}",
          db.name(), options.leaseTtl());
    } else {
      lease.release();
    }
    progress.failAll(new ReplicationException("the replicator of '" + db.name() + "' was closed"));
  }

  /** Holds the store's checkpoints at what this replicator shipped, after it, until the next one starts. */
  private void leaveParting() {
    shipper.recordHeld();
    PartingGate parting = new PartingGate(shipper.safePosition());
    ReplicationPort.of(db).addCheckpointGate(parting);
    ReplicationPort.of(db).addCommitListener(parting);
    PartingGate previous = partingGates(db).put(workDir, parting);
    if (previous != null) {
      previous.remove();
    }
  }

  /**
   * The parting gates of replicators closed (or failed to start) while their database stays open, by
   * database and then by work directory: each destination of a {@link MultiReplicator} leaves its own, and
   * only the next replicator of that destination (the same work directory) removes it.
   */
  private static final Map<Database, Map<Path, PartingGate>> PARTING = Collections.synchronizedMap(new WeakHashMap<>());

  private static Map<Path, PartingGate> partingGates(Database db) {
    return PARTING.computeIfAbsent(db, d -> new ConcurrentHashMap<>());
  }

  /**
   * Left by {@link #close()} while the database stays open: holds checkpoints at what was shipped, so the
   * frames written meanwhile stay in the WAL for the next replicator; if the store forces a checkpoint
   * past its hard limit, records the continuity break, so the next replicator starts a new lineage
   * instead of refusing the files.
   */
  private final class PartingGate implements CheckpointGate, CommitListener {
    private final WalPosition shipped;

    PartingGate(WalPosition shipped) {
      this.shipped = shipped;
    }

    @Override
    public WalPosition safePosition() {
      return shipped;
    }

    @Override
    public void onCommit(CommitEvent event) {}

    @Override
    public void onContinuityBroken(String database, WalPosition lostFrom, WalPosition walEnd) {
      if (shipped.covers(walEnd)) {
        return; // held for another replicator's sake: nothing this one needs is lost
      }
      shipper.markBrokenAway(walEnd);
    }

    @Override
    public void onClose(String database) {
      Map<Path, PartingGate> gates = PARTING.get(db);
      if (gates != null) {
        gates.remove(workDir, this);
      }
    }

    void remove() {
      ReplicationPort.of(db).removeCheckpointGate(this);
      ReplicationPort.of(db).removeCommitListener(this);
    }
  }

  /**
   * A replicator of this process: its database file, its work directory, and where it ships. Two of one
   * database are refused when they share a work directory (the lease cannot tell them apart: the same
   * home, and their break records would collide) or ship to one prefix of one store.
   */
  private record Attachment(Path file, Path workDir, io.litevault.bucket.ObjectStore store, String prefix) {
    boolean conflictsWith(Attachment o) {
      return file.equals(o.file) && (workDir.equals(o.workDir) || (store == o.store && prefix.equals(o.prefix)));
    }
  }

  /** The replicators of this process, by what they are attached to. */
  private static final Set<Attachment> ATTACHED = ConcurrentHashMap.newKeySet();

  private static void attach(Database db, Attachment a) {
    synchronized (ATTACHED) {
      for (Attachment o : ATTACHED) {
        if (a.conflictsWith(o)) {
          // The lease cannot tell two replicators of one process apart (the same home): refuse here.
          throw new IllegalStateException("database '" + db.name() + "' already has a replicator in this process "
              + (a.workDir.equals(o.workDir) ? "with the work directory " + a.workDir
                  : "shipping to prefix '" + a.prefix + "' of " + a.store.describe())
              + ": close it before starting another");
        }
      }
      ATTACHED.add(a);
    }
  }

  private Attachment attachment() {
    return new Attachment(file(), workDir, options.store(), options.prefix());
  }

  private void runShipper() {
    try {
      shipper.run();
    } catch (RuntimeException | Error e) {
      log.error("database '{}': replicator thread died", db.name(), e);
      throw e;
    } finally {
      if (closed || storeClosed) {
        ATTACHED.remove(attachment()); // a close that gave up waiting for this thread left it attached until now
      }
      if (storeClosed) {
        // The store closed under this replicator: nothing more ships in this process, so a REPLICATED write
        // still waiting is not acknowledged; its commit stays in the WAL and ships after the next start
        // (review 29: such a write waited for good).
        progress.failAll(new ReplicationException("database '" + db.name() + "' closed before these commits "
            + "reached the bucket; they stay in the local WAL and ship after the next start"));
      }
    }
  }

  private Path file() {
    return db.path().toAbsolutePath().normalize();
  }

  /** The store-facing side: commit listener and checkpoint gate. Runs on the store's writer thread. */
  private final class Hook implements CommitListener, CheckpointGate {
    @Override
    public void onCommit(CommitEvent event) {
      shipper.offer(event);
    }

    @Override
    public void onContinuityBroken(String database, WalPosition lostFrom, WalPosition walEnd) {
      if (safePosition().covers(walEnd)) {
        // Another gate held the WAL (another destination of a MultiReplicator, down): this one shipped
        // every frame the forced checkpoint copies, so it loses nothing and continues its lineage.
        log.info("database '{}': the store forces a checkpoint for another replicator's sake; this one has "
            + "shipped the whole WAL and continues its lineage", database);
        return;
      }
      log.warn("database '{}': the store checkpointed frames not yet shipped (WAL at {}); the next upload "
          + "starts a new lineage with a snapshot", database, walEnd.offset());
      // Counted first: a snapshot landing now either sees the count change, or is seen by markBrokenAway
      // as in flight (see Shipper.landSnapshot). No new pin can start meanwhile: pins need this thread.
      shipper.breaks.incrementAndGet();
      shipper.markBrokenAway(walEnd); // before the store checkpoints: a restart must not take it for a power loss
      metrics.continuityBreaks.increment();
      shipper.continuityBroken = true;
      shipper.signal(true);
    }

    /** How often a closing store looks whether the shipper waits for a read pin. */
    private static final long PIN_CHECK_MILLIS = 20;

    @Override
    public void onClose(String database) {
      storeClosed = true;
      // The store is closing: ship the last commits so its final checkpoint can run.
      long target = db.lastTxid();
      if (target == 0 || shipper.lineage == null || shipper.continuityBroken) {
        // Nothing committed since the store opened, or nothing can ship before a snapshot (no lineage yet, or a
        // new one due): a snapshot needs a read pin, which only this very thread, the writer's, can begin, so
        // waiting would only run out the flush bound (review 28). The commits stay in the WAL and ship after
        // the next start.
        shipper.close();
        return;
      }
      CompletableFuture<Void> f = progress.await(target);
      shipper.signal(true);
      try {
        awaitUnlessPinNeeded(f);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("database '{}': closing with commits not yet in the bucket ({}); they stay in the WAL and "
            + "ship after the next start", database, e.toString());
      }
      shipper.close(); // the database is going away: nothing more to ship
    }

    /**
     * Waits for {@code f} up to {@link #CLOSE_FLUSH_TIMEOUT}, but stops as soon as the shipper waits for a read
     * pin (any snapshot: requested, due, a resume's catch-up, a new lineage): only this thread, the store's
     * writer, can begin it, so it could not come before the timeout (review 29).
     */
    private void awaitUnlessPinNeeded(CompletableFuture<Void> f)
        throws InterruptedException, ExecutionException, TimeoutException {
      long deadline = System.nanoTime() + CLOSE_FLUSH_TIMEOUT.toNanos();
      while (true) {
        try {
          f.get(PIN_CHECK_MILLIS, TimeUnit.MILLISECONDS);
          return;
        } catch (TimeoutException slice) {
          if (shipper.awaitingPin) {
            throw new TimeoutException("the replicator needs a read pin, which the closing store cannot give");
          }
          if (System.nanoTime() - deadline >= 0) {
            throw slice;
          }
        }
      }
    }

    @Override
    public WalPosition safePosition() {
      return shipper.safePosition();
    }

    /** The WAL passed the truncate size: ship up to {@code end} now (the store's writer waits). */
    @Override
    public boolean awaitSafe(WalPosition end, Duration timeout) {
      if (shipper.lastError != null || shipper.holdGate) {
        return false; // the bucket is failing, or a snapshot needs the (waiting) writer: do not stall writes
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      shipper.signal(true);
      while (!shipper.safePosition().covers(end)) {
        if (System.nanoTime() > deadline || !thread.isAlive()) {
          return false; // a snapshot needs the writer, or the bucket is down: truncate another time
        }
        shipper.awaitProgress(5);
      }
      return true;
    }
  }
}
