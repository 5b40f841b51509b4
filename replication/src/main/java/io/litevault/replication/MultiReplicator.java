package io.litevault.replication;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
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
  /** Each destination's replicator, in the configured order. */
  private final Map<String, Replicator> replicators;

  private MultiReplicator(Database db, MultiReplicatorOptions options, Map<String, Replicator> replicators) {
    this.db = db;
    this.options = options;
    this.replicators = Collections.unmodifiableMap(replicators);
  }

  /**
   * Starts one replicator per destination, in the configured order (each takes its prefix's lease, then
   * continues its newest lineage or starts one, in the background). Checkpoints are held from before the
   * first starts until the last one's gate is in: a checkpoint after the first destination shipped must not
   * move the files past what a later destination can continue from.
   *
   * <p>If one destination fails to start, the ones already started are closed (checkpoints stay held for
   * all of them, see {@link Replicator#close()}), and its exception is thrown.
   *
   * @throws LeaseException another process replicates to a destination's prefix
   * @throws StoreUnavailableException a destination's bucket cannot be used
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
    Map<String, Replicator> started = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, ReplicatorOptions> d : options.destinations().entrySet()) {
        ReplicatorOptions o = d.getValue();
        ReplicatorOptions own = o.workDirectory() != null ? o
            : o.withWorkDirectory(MultiReplicatorOptions.workDirectory(db, d.getKey(), o));
        try {
          started.put(d.getKey(), Replicator.start(db, own));
        } catch (RuntimeException | Error e) {
          log.error("database '{}': destination '{}' ({} prefix {}) failed to start: {}", db.name(), d.getKey(),
              o.store().describe(), o.prefix(), e.toString());
          closeAll(db.name(), started);
          throw e;
        }
      }
    } finally {
      port.removeCheckpointGate(startHold); // after every destination's gate (or parting gate) is in
    }
    port.requestCheckpoint();
    return new MultiReplicator(db, options, started);
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
    for (Map.Entry<String, Replicator> d : replicators.entrySet()) {
      if (d.getValue().stoppedBy() instanceof LeaseException fenced) {
        // Another process writes this database's lineage in that destination now: a write here would fork.
        return CompletableFuture.failedFuture(new LeaseException("database '" + db.name() + "' refuses writes: "
            + "destination '" + d.getKey() + "': " + fenced.getMessage()));
      }
    }
    CompletableFuture<Committed<T>> committed = db.writeCommitted(task);
    if (durability == Durability.LOCAL) {
      return committed.thenApply(Committed::value);
    }
    return committed.thenCompose(c -> quorumHolds(c.txid()).thenApply(v -> c.value()));
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

  /** A future completing once {@code quorum} destinations hold store txid {@code txid}. */
  CompletableFuture<Void> quorumHolds(long txid) {
    int n = replicators.size();
    int quorum = options.quorum();
    CompletableFuture<Void> result = new CompletableFuture<>();
    AtomicInteger holding = new AtomicInteger();
    AtomicInteger stopped = new AtomicInteger();
    Map<String, Throwable> reasons = Collections.synchronizedMap(new LinkedHashMap<>());
    for (Map.Entry<String, Replicator> d : replicators.entrySet()) {
      d.getValue().shipped(txid).whenComplete((v, e) -> {
        if (e == null) {
          if (holding.incrementAndGet() == quorum) {
            result.complete(null);
          }
          return;
        }
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        reasons.put(d.getKey(), cause);
        if (stopped.incrementAndGet() == n - quorum + 1) {
          List<String> why = new ArrayList<>();
          synchronized (reasons) {
            reasons.forEach((name, t) -> why.add(name + ": " + t.getMessage()));
          }
          result.completeExceptionally(new ReplicationException("store txid " + txid + " of '" + db.name()
              + "' can no longer reach " + quorum + " of " + n + " destination(s); stopped for good: "
              + String.join("; ", why), cause));
        }
      });
    }
    return result;
  }

  /** The newest store txid that at least the quorum of destinations holds. */
  public long replicatedTxid() {
    List<Long> txids = new ArrayList<>();
    replicators.values().forEach(r -> txids.add(r.replicatedTxid()));
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
    replicators.forEach((name, r) -> each.add(new MultiReplicationHealth.Destination(name, r.health())));
    return new MultiReplicationHealth(db.name(), options.quorum(), replicatedTxid(), each);
  }

  /** The destinations' names, in the configured order. */
  public List<String> destinations() {
    return List.copyOf(replicators.keySet());
  }

  /** A maintenance step asking every destination for a new snapshot; see {@link Replicator#maintenanceStep()}. */
  public MaintenanceStep maintenanceStep() {
    List<MaintenanceStep> steps = new ArrayList<>();
    replicators.values().forEach(r -> steps.add(r.maintenanceStep()));
    return (database, connection) -> {
      for (MaintenanceStep s : steps) {
        s.run(database, connection);
      }
    };
  }

  /** The replicator of destination {@code name}. */
  Replicator replicator(String name) {
    Replicator r = replicators.get(name);
    if (r == null) {
      throw new IllegalArgumentException("no destination '" + name + "' (destinations: " + replicators.keySet() + ")");
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
    closeAll(db.name(), replicators);
  }

  private static void closeAll(String database, Map<String, Replicator> replicators) {
    List<Thread> closing = new ArrayList<>();
    for (Map.Entry<String, Replicator> d : replicators.entrySet()) {
      Thread t = new Thread(() -> {
        try {
          d.getValue().close();
        } catch (RuntimeException e) {
          log.warn("database '{}': closing destination '{}' failed: {}", database, d.getKey(), e.toString());
        }
      }, "litevault-close-" + database + "-" + d.getKey());
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
