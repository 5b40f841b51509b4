package io.litevault.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

/**
 * One named database of a {@link SqliteStore}: its writer queue, its pooled readers and its cache.
 *
 * <p>Thread-safe. Get it with {@link SqliteStore#database(String)}; it lives as long as the store.
 */
public final class Database {
  private final String name;
  private final Path path;
  private final DatabaseOptions options;
  private final Writer writer;
  private final ReaderPool readers;
  private final CoherentCache cache;
  private final DatabaseStats stats;
  private final Checkpointer checkpointer;
  private final List<CommitListener> listeners;
  private final List<CheckpointGate> gates;
  private final DatabaseFiles files;
  private final ReplicationPort port = new ReplicationPort(this);
  private final java.util.concurrent.ConcurrentHashMap<String, List<String>> singleTableNamespaces =
      new java.util.concurrent.ConcurrentHashMap<>();

  Database(String name, Path path, DatabaseOptions options, Writer writer, ReaderPool readers, CoherentCache cache,
      DatabaseStats stats, Checkpointer checkpointer, List<CommitListener> listeners, List<CheckpointGate> gates,
      DatabaseFiles files) {
    this.name = name;
    this.path = path;
    this.options = options;
    this.writer = writer;
    this.readers = readers;
    this.cache = cache;
    this.stats = stats;
    this.checkpointer = checkpointer;
    this.listeners = listeners;
    this.gates = gates;
    this.files = files;
  }

  static List<CommitListener> newListenerList() {
    return new CopyOnWriteArrayList<>();
  }

  static List<CheckpointGate> newGateList() {
    return new CopyOnWriteArrayList<>();
  }

  public String name() {
    return name;
  }

  /** The database file ({@code <directory>/<name>.db}); its WAL is beside it with {@code -wal}. */
  public Path path() {
    return path;
  }

  public DatabaseOptions options() {
    return options;
  }

  /**
   * Queues a write. The future completes after the COMMIT of the batch that ran it, with the task's
   * value, or fails with {@link WriteFailedException} (the task threw; only its changes were rolled
   * back), {@link StorageFullException}, or {@link CommitFailedException}. Futures complete in commit
   * order on the database's completer thread, so dependent stages added without {@code *Async} run
   * there: a slow one delays the acknowledgement of later writes (never their commit); waiting in one
   * for another write of this database would never end and is refused.
   *
   * @throws WriteQueueFullException the queue stayed full for {@link DatabaseOptions#enqueueTimeout()}
   * @throws StoreClosedException the store is closed
   */
  public <T> CompletableFuture<T> write(WriteTask<T> task) {
    return writeCommitted(task).thenApply(Committed::value);
  }

  /** Like {@link #write} but also tells the transaction id that committed the write. */
  public <T> CompletableFuture<Committed<T>> writeCommitted(WriteTask<T> task) {
    Objects.requireNonNull(task, "task");
    refuseOnWriterThread();
    return writer.submit(task);
  }

  /**
   * Queues a write and waits for its commit.
   *
   * @throws StoreException the write failed (see {@link #write}); nothing of it was committed
   */
  public <T> T writeAndWait(WriteTask<T> task) {
    if (writer.onCompleterThread()) {
      throw new IllegalStateException("waiting for a write to '" + name + "' in a callback of another write's "
          + "future would never end (futures complete one after another on that thread): use write() and "
          + "compose, or a *Async stage");
    }
    Objects.requireNonNull(task, "task");
    refuseOnWriterThread();
    // The future stays here (nothing can be attached to it), so the writer may complete it itself.
    CompletableFuture<Committed<T>> f = writer.submit(task, true);
    if (writer.solo()) {
      long deadline = System.nanoTime() + Writer.SOLO_SPIN_NANOS;
      while (!f.isDone() && System.nanoTime() - deadline < 0) {
        Thread.onSpinWait();
      }
    }
    return await(f).value();
  }

  private void refuseOnWriterThread() {
    if (writer.onWriterThread()) {
      throw new IllegalStateException("write to '" + name + "' from its own writer thread (inside a write "
          + "task or a commit listener) would deadlock: do the work in the running task instead");
    }
  }

  /** Runs a read on a pooled read-only connection; failures throw {@link ReadFailedException}. */
  public <T> T read(ReadTask<T> task) {
    Objects.requireNonNull(task, "task");
    requireOpen();
    return readers.read(task);
  }

  /**
   * A read-through cached read: the value cached for {@code key} in the namespace of {@code table}, or
   * the result of {@code loader} (run on a pooled reader) when there is none or it is stale.
   *
   * <p>Coherence: once a write's future has completed, no cached read returns a value older than that
   * write for any table the write changed. Changes are seen through SQLite's update hook; when a batch
   * changed rows the hook cannot attribute (WITHOUT ROWID tables, {@code DELETE} without WHERE, schema
   * changes), every entry is invalidated. Changes made outside this store (another process) are not
   * seen: call {@link #invalidate} or {@link #invalidateAll}. A null result is cached too.
   *
   * @param table the table the loader reads (an SQL identifier)
   * @param key the key within that namespace (non-null; equals/hashCode must be value-based)
   */
  public <V> V cached(String table, Object key, ReadTask<V> loader) {
    Objects.requireNonNull(table, "table");
    List<String> namespace = singleTableNamespaces.get(table);
    if (namespace == null) {
      namespace = CoherentCache.namespace(Set.of(table)); // validates once per table name
      if (singleTableNamespaces.size() < 10_000) {
        singleTableNamespaces.put(table, namespace);
      }
    }
    return cachedIn(namespace, key, loader);
  }

  /** Like {@link #cached(String, Object, ReadTask)} for a loader that reads several tables (a join). */
  public <V> V cached(Set<String> tables, Object key, ReadTask<V> loader) {
    return cachedIn(CoherentCache.namespace(tables), key, loader);
  }

  private <V> V cachedIn(List<String> namespace, Object key, ReadTask<V> loader) {
    Objects.requireNonNull(loader, "loader");
    Objects.requireNonNull(key, "key");
    requireOpen();
    if (options.cacheMaxEntries() == 0) {
      return readers.read(loader);
    }
    return cache.getOrRead(name, namespace, key, () -> readers.read(loader));
  }

  /** Makes every cached entry that depends on {@code table} stale. */
  public void invalidate(String table) {
    cache.invalidateTable(Names.requireIdentifier("table name", table));
  }

  /** Makes every cached entry of this database stale. */
  public void invalidateAll() {
    cache.invalidateAll();
  }

  /**
   * Runs a checkpoint on the writer thread after the writes queued before it. Gates are respected: if
   * one holds the WAL back, the result says {@code ran=false}.
   */
  public CompletableFuture<CheckpointResult> checkpoint(CheckpointMode mode) {
    Objects.requireNonNull(mode, "mode");
    CompletableFuture<CheckpointResult> result = new CompletableFuture<>();
    writer.control(() -> {
      result.complete(checkpointer.checkpoint(mode, false));
      writer.resync();
    }).whenComplete((v, e) -> {
      if (e != null) {
        result.completeExceptionally(e instanceof StoreException se ? se
            : new StoreException(name, "checkpoint " + mode + " of '" + name + "' failed: " + e, e));
      }
    });
    return result;
  }

  /**
   * Asks the writer to apply its checkpoint policy soon (on its thread, after the writes queued now).
   * A {@link CheckpointGate} calls this once it has released frames. Never blocks.
   */
  void requestCheckpoint() {
    writer.control(() -> {
      checkpointer.maybeCheckpoint(writer.walSnapshot());
      writer.resync();
    });
  }

  /** Adds a listener told about every later commit. */
  void addCommitListener(CommitListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  void removeCommitListener(CommitListener listener) {
    listeners.remove(listener);
  }

  /** Adds a gate every later checkpoint must pass. */
  void addCheckpointGate(CheckpointGate gate) {
    gates.add(Objects.requireNonNull(gate, "gate"));
    gates.remove(HOLD_UNTIL_GATE); // after the add: never a moment without a gate
  }

  /**
   * The gate of {@link DatabaseOptions.Builder#holdWalUntilGate}: releases nothing, and goes when the
   * first real gate comes.
   */
  static final CheckpointGate HOLD_UNTIL_GATE = new CheckpointGate() {
    private final WalPosition nothing = new WalPosition(0, 0, 0);

    @Override
    public WalPosition safePosition() {
      return nothing;
    }

    @Override
    public String toString() {
      return "hold until a gate is added (holdWalUntilGate)";
    }
  };

  void removeCheckpointGate(CheckpointGate gate) {
    gates.remove(gate);
  }

  /** The WAL end when the store opened this database; see {@link ReplicationPort#walAtOpen()}. */
  WalPosition walAtOpen() {
    return writer.walAtOpen();
  }

  /** Read access to the database and WAL files, for replication; see {@link DatabaseFiles}. */
  DatabaseFiles files() {
    return files;
  }

  /**
   * Runs {@code action} on the writer thread after the writes queued before it, with no write and no
   * checkpoint running, and returns the WAL end at that moment. Replication uses it to pin a consistent
   * point (for a snapshot) without stopping writes for longer than the call: a gate that holds the WAL
   * from before this call on keeps the main file and the WAL frames before the point unchanged.
   */
  <T> CompletableFuture<T> atCommitBoundary(java.util.function.Function<WalPosition, T> action) {
    Objects.requireNonNull(action, "action");
    CompletableFuture<T> result = new CompletableFuture<>();
    writer.control(() -> {
      checkpointer.acquire(); // let a running background checkpoint finish: the files are stable after
      try {
        result.complete(action.apply(writer.walSnapshot().end()));
      } finally {
        checkpointer.release();
      }
    })
        .whenComplete((v, e) -> {
          if (e != null) {
            result.completeExceptionally(e);
          }
        });
    return result;
  }

  /**
   * Pins the database as of the next commit boundary (after the writes queued before this call): a
   * read transaction on a connection of its own, begun on the writer thread between two commits, so
   * that its state is exactly {@link ReadPin#position()}. Read the database's {@linkplain #files()
   * files} as of that position while it is open, as {@link ReadPin} explains; close it soon. Replication
   * takes its snapshots this way: the checkpoint gate alone does not freeze the files, since SQLite
   * restarts a fully copied WAL at the next write with no checkpoint call.
   */
  CompletableFuture<ReadPin> pin() {
    Connection c;
    try {
      c = Connections.openPin(path, options); // opened here, not on the writer thread
    } catch (SQLException e) {
      return CompletableFuture.failedFuture(new StoreException(name, "cannot open a read connection to pin '" + name
          + "': " + e.getMessage(), e));
    }
    CompletableFuture<ReadPin> result = new CompletableFuture<>();
    writer.control(() -> {
      checkpointer.acquire(); // a running background checkpoint finishes first
      try {
        if (result.isDone()) {
          return; // the caller gave up (cancelled) before the writer got here: begin nothing
        }
        ReadPin pin = ReadPin.begin(c, writer.walIndexForPins(), stats.txid, stats.lastCommitMillis);
        if (!result.complete(pin)) {
          pin.close(); // cancelled meanwhile: nobody would ever close it
        }
      } finally {
        checkpointer.release();
      }
    }).whenComplete((v, e) -> {
      if (e != null) {
        result.completeExceptionally(e);
      }
      if (!result.isDone() || result.isCompletedExceptionally()) { // includes cancelled
        try {
          c.close();
        } catch (SQLException ignored) {
          // the pin failed already; that error is the one to report
        }
      }
    });
    return result;
  }

  /** The last committed transaction id (0 before the first commit since open). */
  public long lastTxid() {
    return stats.txid;
  }

  public DatabaseHealth health() {
    long last = stats.lastCommitMillis;
    return new DatabaseHealth(name, writer.alive(), writer.accepting(), writer.queueDepth(), stats.txid,
        last == 0 ? null : Instant.ofEpochMilli(last), stats.walBytes, stats.writesCommitted.sum(),
        stats.writesFailed.sum(), stats.checkpoints.sum(), stats.continuityBreaks.sum(), stats.writerErrors.sum());
  }

  @Override
  public String toString() {
    return "Database[" + name + " at " + path + "]";
  }

  // --- package-private, for the store, maintenance and metrics

  ReplicationPort port() {
    return port;
  }

  Writer writer() {
    return writer;
  }

  ReaderPool readers() {
    return readers;
  }

  CoherentCache cache() {
    return cache;
  }

  DatabaseStats stats() {
    return stats;
  }

  Checkpointer checkpointer() {
    return checkpointer;
  }

  List<CommitListener> listeners() {
    return listeners;
  }

  private void requireOpen() {
    if (!writer.open()) {
      throw new StoreClosedException(name);
    }
  }

  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(null, "interrupted while waiting for a write; it may still commit", e);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new StoreException(null, "write failed: " + cause, cause);
    }
  }
}
