package io.litevault.store;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of one database: a queue, one thread, one connection.
 *
 * <p>The thread takes the first waiting request, drains up to {@code maxBatchSize - 1} more, and runs
 * the writes among them as ONE transaction ({@link BatchRunner}); after COMMIT it publishes the commit
 * (cache versions, {@link CommitListener}s), hands the batch to the completer thread, which completes
 * the futures in commit order while the writer goes on (a lone writeAndWait with nothing earlier left
 * to complete is woken by the writer itself, see {@link #acknowledge}), then lets the
 * {@link Checkpointer} act.
 * Control requests (checkpoint now, pause for maintenance, close) travel through the same FIFO queue,
 * so they see every write queued before them committed. Nothing thrown on this thread ends it:
 * task errors fail their own future, anything else goes to the {@link WriterErrorHandler}; an interrupt
 * flag a task leaves set is cleared after it. Should the thread die anyway (an {@link Error} thrown by
 * the error handler), queued and later writes fail at once with {@link WriterDeadException}.
 *
 * <p>Admission: the queue itself is unbounded, and a semaphore of {@code queueCapacity} permits bounds
 * the writes in it, so control requests can always get in.
 */
final class Writer {
  private static final Logger log = LoggerFactory.getLogger(Writer.class);

  static final WriterErrorHandler LOGGING_ERROR_HANDLER =
      (db, where, e) -> log.error("database '{}': error in {} (the writer goes on)", db, where, e);

  /** Work for the writer thread that is not a write task. */
  @FunctionalInterface
  interface Control {
    void run() throws Exception;
  }

  private record ControlRequest(Control control, CompletableFuture<Void> done) {}

  private final String name;
  private final String path;
  private final DatabaseOptions options;
  private final Connection connection;
  private final WalIndex walIndex;
  private final ChangeTracker changes;
  private final CoherentCache cache;
  private final List<CommitListener> listeners;
  private final Checkpointer checkpointer;
  private final DatabaseStats stats;
  private final BatchRunner runner;
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final Semaphore permits;
  private final Thread thread;
  /** Completes the futures of committed batches, so the writer goes on to the next batch at once. */
  private final Thread completer;
  private final LinkedBlockingQueue<Object> completions = new LinkedBlockingQueue<>();

  /** A committed batch whose futures the completer completes. */
  private record Completion(WriteRequest<?>[] requests, long txid) {}

  /**
   * Whether the last batch was a lone writeAndWait acknowledged by this thread (one caller writing one
   * row at a time) and took less than {@link #SOLO_SPIN_NANOS}: then the writer looks for the next write for {@link #SOLO_SPIN_NANOS} before
   * parking, and such a caller for as long before parking on its acknowledgement.
   */
  private volatile boolean solo;
  static final long SOLO_SPIN_NANOS = 50_000;
  /**
   * Whether the writer's spin for the next solo write pays: the last one came within
   * {@link #SOLO_SPIN_NANOS} of its predecessor's acknowledgement. A caller writing at a paced rate
   * (500 a second: one every 2 ms) would otherwise cost a 50 µs spin per write for nothing. Writer thread only.
   */
  private boolean soloSpinPays = true;
  /** When the last solo write was acknowledged; writer thread only. */
  private long soloAckedNanos;

  boolean solo() {
    return solo;
  }

  /** Batches handed to the completer so far (writer thread only). */
  private long handedOff;
  /** Batches the completer has finished completing (written by the completer only); see {@link #acknowledge}. */
  private volatile long completedBatches;

  private static final Object COMPLETER_STOP = new Object();

  private volatile boolean accepting = true;
  /** Set once close() began: a handover can no longer be undone. */
  private volatile boolean closing;
  /**
   * Set by {@link #stopForHandover()}: writes are refused with {@link HandedOverException} (a successor
   * process takes over) instead of {@link StoreClosedException}.
   */
  private volatile boolean handedOver;
  /**
   * Writer thread only: set when the handover's drain reached this thread, cleared by a resume. Writes
   * that raced past the {@code accepting} check and were queued behind the drain are refused, not run:
   * they would commit after the handover shipped everything.
   */
  private boolean refusing;
  /** What ended the writer thread other than close(), or null while it runs; see {@link #submit}. */
  private volatile Throwable died;
  /** Set once the thread has exited and the queue was emptied; see {@link #submit}. */
  private volatile boolean finished;
  /** While paused for maintenance, callers on a full queue wait this long instead. */
  private volatile Duration holdTimeout;
  private long txid;
  private WalPosition walEnd = new WalPosition(0, 0, 0);
  /** The WAL end when the store opened the database (before its migrations); see {@link #walAtOpen()}. */
  private final WalPosition walAtOpen;

  Writer(String name, String path, DatabaseOptions options, Connection connection, WalIndex walIndex,
      CoherentCache cache, List<CommitListener> listeners, Checkpointer checkpointer, DatabaseStats stats,
      WalPosition walAtOpen) throws SQLException, IOException {
    this.name = name;
    this.path = path;
    this.options = options;
    this.connection = connection;
    this.walIndex = walIndex;
    this.changes = new ChangeTracker(connection);
    this.cache = cache;
    this.listeners = listeners;
    this.checkpointer = checkpointer;
    this.stats = stats;
    this.runner = new BatchRunner(name, path, connection, options.isolation(), options.statementCacheSize(), changes);
    this.permits = new Semaphore(options.queueCapacity());
    this.walEnd = walIndex.read().end();
    this.walAtOpen = walAtOpen;
    this.thread = new Thread(this::loop, "litevault-writer-" + name);
    this.thread.setDaemon(false);
    this.completer = new Thread(this::completeLoop, "litevault-completer-" + name);
    this.completer.setDaemon(true);
  }

  void start() {
    completer.start();
    thread.start();
  }

  /**
   * Completes futures in commit order. Waking a caller costs a system call, and callbacks attached to
   * a future run where it completes: here, not on the writer thread, which meanwhile runs the next batch.
   */
  private void completeLoop() {
    try {
      while (true) {
        Object next = completions.take();
        if (next == COMPLETER_STOP) {
          return;
        }
        Completion c = (Completion) next;
        for (WriteRequest<?> r : c.requests()) {
          try {
            r.complete(c.txid());
          } catch (Throwable t) { // a caller's callback threw: its own business, the others still complete
            options.errorHandler().handle(name, "a write future's callback", t);
          }
        }
        completedBatches = completedBatches + 1; // only this thread writes it
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Queues a write; throws when the store is closed or the queue stays full. */
  <T> CompletableFuture<Committed<T>> submit(WriteTask<T> task) {
    return submit(task, false);
  }

  /**
   * Queues a write.
   *
   * @param awaitedOnly the returned future is only waited on by the calling thread and never handed
   *     out (writeAndWait): nothing can be attached to it, so it may be completed on the writer thread
   *     (see {@link #acknowledge})
   */
  <T> CompletableFuture<Committed<T>> submit(WriteTask<T> task, boolean awaitedOnly) {
    if (!accepting) {
      throw closedException();
    }
    Throwable cause = died;
    if (cause != null) {
      throw new WriterDeadException(name, cause);
    }
    Duration wait = holdTimeout != null && holdTimeout.compareTo(options.enqueueTimeout()) > 0
        ? holdTimeout : options.enqueueTimeout();
    try {
      if (!permits.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new WriteQueueFullException(name, options.queueCapacity(), wait);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(name, "interrupted while waiting for room in the write queue of '" + name + "'", e);
    }
    WriteRequest<T> request = new WriteRequest<>(task, System.nanoTime(), awaitedOnly);
    queue.add(request);
    if (finished && queue.remove(request)) {
      // Lost the race with close(): the writer is gone and nobody else will see this request.
      request.future.completeExceptionally(closedException());
    } else if (died != null && queue.remove(request)) {
      request.future.completeExceptionally(new WriterDeadException(name, died));
    }
    return request.future;
  }

  /** Runs {@code control} on the writer thread after everything queued before it. */
  CompletableFuture<Void> control(Control control) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (finished) {
      done.completeExceptionally(new StoreClosedException(name));
      return done;
    }
    if (died != null) {
      done.completeExceptionally(new WriterDeadException(name, died));
      return done;
    }
    ControlRequest request = new ControlRequest(control, done);
    queue.add(request);
    if (finished && queue.remove(request)) {
      done.completeExceptionally(new StoreClosedException(name));
    } else if (died != null && queue.remove(request)) {
      done.completeExceptionally(new WriterDeadException(name, died));
    }
    return done;
  }

  /** Why a write is not accepted now that the writer stopped accepting: closed, or handed over. */
  private StoreException closedException() {
    return handedOver ? new HandedOverException(name) : new StoreClosedException(name);
  }

  /**
   * Stops accepting writes for a handover: later writes fail with {@link HandedOverException}, before
   * anything of them runs. The future completes with the last txid once every write accepted before
   * has committed (and been published to the listeners).
   */
  CompletableFuture<Long> stopForHandover() {
    synchronized (this) {
      if (closing) {
        throw new StoreClosedException(name);
      }
      handedOver = true;
      accepting = false;
    }
    CompletableFuture<Long> drained = new CompletableFuture<>();
    control(() -> {
      refusing = true;
      drained.complete(txid);
    }).whenComplete((v, e) -> {
      if (e != null) {
        drained.completeExceptionally(e);
      }
    });
    return drained;
  }

  /**
   * Undoes {@link #stopForHandover()} (the handover failed before anything was released): writes are
   * accepted again. False when the store is closing meanwhile.
   */
  synchronized boolean resumeAfterHandover() {
    if (closing) { // checked and acted on under the lock close() sets it with: never accepting after close
      return false;
    }
    control(() -> refusing = false); // ahead of every write accepted from now on (one FIFO queue)
    handedOver = false;
    accepting = true;
    return true;
  }

  void holdTimeout(Duration timeout) {
    this.holdTimeout = timeout;
  }

  int queueDepth() {
    return options.queueCapacity() - permits.availablePermits();
  }

  boolean alive() {
    return thread.isAlive();
  }

  /** False once close() began or the writer thread died. */
  boolean accepting() {
    return accepting && died == null;
  }

  /**
   * False once close() began (reads go on while the writer is dead: the readers are not, and during a
   * handover until the store closes).
   */
  boolean open() {
    return !closing;
  }

  long txid() {
    return txid;
  }

  Connection connection() {
    return connection;
  }

  boolean onWriterThread() {
    return Thread.currentThread() == thread;
  }

  boolean onCompleterThread() {
    return Thread.currentThread() == completer;
  }

  /**
   * Stops accepting writes, lets the thread commit everything queued, run {@code last} (final
   * listener calls and checkpoint), and exit. Writes that slip in afterwards fail with
   * {@link StoreClosedException}.
   */
  void close(Control last) throws InterruptedException {
    synchronized (this) {
      closing = true;
      accepting = false;
    }
    CompletableFuture<Void> done = control(() -> {
      try {
        last.run();
      } finally {
        throw new StopSignal();
      }
    });
    thread.join();
    completions.add(COMPLETER_STOP); // after every committed batch: their futures complete before close returns
    if (!onCompleterThread()) { // closing from a future's callback: the rest completes once it returns
      completer.join();
    }
    finished = true;
    Object leftover;
    while ((leftover = queue.poll()) != null) {
      StoreException closed = closedException();
      if (leftover instanceof WriteRequest<?> w) {
        w.future.completeExceptionally(closed);
      } else if (leftover instanceof ControlRequest c) {
        c.done.completeExceptionally(closed);
      }
    }
    done.complete(null);
  }

  /** Thrown by the close control to end the loop after it ran. */
  private static final class StopSignal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StopSignal() {
      super(null, null, false, false);
    }
  }

  private void loop() {
    List<Object> drained = new ArrayList<>(options.maxBatchSize());
    List<WriteRequest<?>> batch = new ArrayList<>(options.maxBatchSize());
    long idleNanos = options.idleCheckpointAfter().toNanos();
    try {
      while (true) {
        Object first = next(idleNanos);
        if (first == null) {
          checkpointer.onIdle();
          continue;
        }
        drained.add(first);
        queue.drainTo(drained, options.maxBatchSize() - 1);
        for (Object o : drained) {
          if (o instanceof WriteRequest<?> w) {
            if (refusing) { // queued behind a handover's drain: never run
              permits.release();
              w.future.completeExceptionally(new HandedOverException(name));
            } else {
              batch.add(w);
            }
          } else {
            runBatch(batch);
            runControl((ControlRequest) o);
          }
        }
        runBatch(batch);
        drained.clear();
      }
    } catch (StopSignal stop) {
      // close(): everything queued before the close request has been committed; what was drained
      // behind it raced with close() and fails.
      for (Object o : drained) {
        if (o instanceof WriteRequest<?> w) {
          w.future.completeExceptionally(closedException());
        } else {
          ((ControlRequest) o).done.completeExceptionally(new StoreClosedException(name));
        }
      }
    } catch (Throwable t) {
      // Nothing a task or a listener does should get here (see runBatch); an Error thrown by the
      // error handler itself can. Fail what was drained and what is queued, and every later write.
      died = t;
      log.error("database '{}': the writer thread stops; queued and later writes fail", name, t);
      for (Object o : drained) {
        failDead(o, t);
      }
      Object left;
      while ((left = queue.poll()) != null) {
        failDead(left, t);
      }
    } finally {
      try {
        runner.closeStatements();
        changes.closeStatements();
        connection.close(); // the wal-index descriptor is closed by the store after the readers
      } catch (SQLException e) {
        options.errorHandler().handle(name, "closing the writer connection", e);
      }
    }
  }

  private void failDead(Object o, Throwable cause) {
    WriterDeadException dead = new WriterDeadException(name, cause);
    if (o instanceof WriteRequest<?> w) {
      w.future.completeExceptionally(dead); // no-op for one already completed
    } else if (o instanceof ControlRequest c) {
      c.done.completeExceptionally(dead);
    }
  }

  /**
   * Waits for the next request. An interrupt of the writer thread (something handed the thread out)
   * is cleared and logged: only close() ends the loop.
   */
  private Object next(long idleNanos) {
    if (solo && soloSpinPays) {
      // One caller writing one row at a time: its next write comes within microseconds of its
      // acknowledgement. Look for it briefly before parking, so the caller need not wake this thread.
      long deadline = System.nanoTime() + SOLO_SPIN_NANOS;
      do {
        Object o = queue.poll();
        if (o != null) {
          return o;
        }
        Thread.onSpinWait();
      } while (System.nanoTime() - deadline < 0);
      soloSpinPays = false; // the caller is paced, not waiting: park until its next write shows otherwise
    }
    while (true) {
      try {
        Object o = idleNanos > 0 ? queue.poll(idleNanos, TimeUnit.NANOSECONDS) : queue.take();
        if (solo && o instanceof WriteRequest<?> w) {
          soloSpinPays = w.enqueuedNanos - soloAckedNanos < SOLO_SPIN_NANOS;
        }
        return o;
      } catch (InterruptedException e) {
        log.warn("database '{}': the writer thread was interrupted; the interrupt is ignored (close the store "
            + "to stop it)", name);
      }
    }
  }

  private void runControl(ControlRequest request) {
    try {
      request.control.run();
      request.done.complete(null);
    } catch (StopSignal stop) {
      request.done.complete(null);
      throw stop;
    } catch (Throwable t) {
      request.done.completeExceptionally(t);
    } finally {
      Thread.interrupted(); // a control's interrupt must not reach the writer's next wait
    }
  }

  /** Runs, commits and publishes one batch, then clears it. */
  private void runBatch(List<WriteRequest<?>> batch) {
    if (batch.isEmpty()) {
      return;
    }
    permits.release(batch.size());
    long start = System.nanoTime();
    DatabaseStats.Observer observer = stats.observer;
    for (WriteRequest<?> r : batch) {
      observer.queueWait(start - r.enqueuedNanos);
    }
    try {
      changes.reset();
      int committed = runner.run(batch);
      WalIndex.Snapshot wal = publish(committed);
      observer.batch(batch.size(), System.nanoTime() - start);
      stats.batches.increment();
      stats.writesCommitted.add(committed);
      stats.writesFailed.add(batch.size() - committed);
      acknowledge(batch, System.nanoTime() - start);
      checkpointer.maybeCheckpoint(wal); // the same read: only this thread moves the WAL end
    } catch (Throwable t) {
      stats.writerErrors.increment();
      options.errorHandler().handle(name, "batch of " + batch.size() + " write(s)", t);
      StoreException failure = t instanceof StoreException e ? e
          : new CommitFailedException(name, batch.size(), t);
      for (WriteRequest<?> r : batch) {
        r.future.completeExceptionally(failure); // no-op for futures already completed
      }
    } finally {
      batch.clear();
    }
  }

  /**
   * Completes a committed batch's futures: on the completer thread, in commit order, except for a
   * batch of one {@code awaitedOnly} write (writeAndWait) while the completer has nothing left to
   * complete. That future has no stage attached (it was never handed out), so completing it only wakes
   * its caller and runs no code of anyone here; every earlier batch's futures are complete already, so
   * commit order holds; and the caller is woken without a second thread hand-off, the one that cost
   * most when one caller writes one row at a time.
   */
  private void acknowledge(List<WriteRequest<?>> batch, long batchNanos) {
    if (batch.size() == 1 && batch.get(0).awaitedOnly && completedBatches == handedOff) {
      soloAckedNanos = System.nanoTime();
      batch.get(0).complete(txid);
      // Spinning pays only when a write takes less than the spin (not with an fsync per commit).
      solo = batchNanos < SOLO_SPIN_NANOS;
      return;
    }
    solo = false;
    handedOff++;
    completions.add(new Completion(batch.toArray(new WriteRequest<?>[0]), txid));
  }

  /**
   * After COMMIT: cache versions, then a new txid and the listeners if the WAL moved (a batch whose
   * tasks all failed, or only read, commits nothing and announces nothing).
   *
   * @return the wal-index read it was based on
   */
  WalIndex.Snapshot publish(int committed) throws SQLException, IOException {
    WalIndex.Snapshot wal = walIndex.read();
    WalPosition end = wal.end();
    boolean unattributed = changes.unattributedChanges();
    if (end.equals(walEnd) && !unattributed) {
      return wal; // nothing reached the WAL: no transaction to announce
    }
    // A restart checkpoint may already have put the next salts in the wal-index with no frame yet
    // (offset 0): the first frame of a WAL always starts after its header.
    WalPosition start = end.sameWal(walEnd) && walEnd.offset() > 0
        ? walEnd : new WalPosition(end.salt1(), end.salt2(), WalPosition.WAL_HEADER_BYTES);
    walEnd = end;
    java.util.Set<String> tables = changes.tables();
    cache.committed(tables, unattributed);
    if (end.equals(start) || end.offset() <= WalPosition.WAL_HEADER_BYTES) {
      return wal; // no frame: a restarted WAL that nothing was written to yet
    }
    txid++;
    long now = options.clock().millis();
    stats.txid = txid;
    stats.lastCommitMillis = now;
    stats.walBytes = end.offset();
    CommitEvent event = new CommitEvent(name, txid, start, end, wal.pageSize(), tables, committed, now);
    for (CommitListener l : listeners) {
      try {
        l.onCommit(event);
      } catch (RuntimeException e) {
        stats.writerErrors.increment();
        options.errorHandler().handle(name, "commit listener", e);
      }
    }
    return wal;
  }

  void closeWalIndex() throws IOException {
    walIndex.close();
  }

  WalIndex walIndexForPins() {
    return walIndex;
  }

  /** The WAL end when the store opened the database, before its migrations: see {@link ReplicationPort#walAtOpen()}. */
  WalPosition walAtOpen() {
    return walAtOpen;
  }

  WalIndex.Snapshot walSnapshot() throws IOException {
    return walIndex.read();
  }

  /** Publishes what work done outside batches wrote, and forgets tracked changes. */
  void resync() throws SQLException, IOException {
    // Frames written outside a batch (a maintenance step, PRAGMA optimize) are a commit replication
    // must see: announced, never skipped, or the next commit would not start where the last one ended.
    changes.forgetCapture(); // what changed here is read now, never taken from a batch's COMMIT
    publish(0);
    stats.walBytes = walEnd.offset();
    changes.resetFresh();
    changes.closeStatements();
    runner.closeStatements(); // maintenance may VACUUM next, which needs no statement open
  }

}
