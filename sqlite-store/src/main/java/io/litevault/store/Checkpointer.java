package io.litevault.store;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides and runs checkpoints ({@code wal_autocheckpoint=0}: only we do).
 *
 * <p>Policy, after every commit: PASSIVE once {@code passiveCheckpointPages} frames wait to be copied;
 * RESTART once the WAL passes {@code restartWalBytes}; both only when every {@link CheckpointGate}
 * has released the whole WAL. Past {@code hardWalLimitBytes} the gates are overruled (and told) and the
 * WAL is truncated. RESTART and TRUNCATE run with {@code busy_timeout=0} so a reader can only make them
 * report busy, never stall the writer; after a busy or held-back RESTART the writer does not try again
 * for {@link #RESTART_RETRY}, so a long read cannot turn every commit into a checkpoint attempt.
 *
 * <p>PASSIVE checkpoints run on a background thread with a connection of their own: in WAL mode a
 * checkpoint copies frames while the writer keeps appending, so the writer never waits for the fsyncs
 * of a checkpoint (they were the main source of write-latency spikes when run inline). Under steady
 * writes they never catch up with the end, so SQLite never restarts the WAL by itself; the writer
 * does it with RESTART, which then has only the last few hundred frames to copy. RESTART rather than
 * TRUNCATE because shrinking the file is what made the old TRUNCATE cost ~25 ms (p99 of writes 24 ms at
 * half load, against 1.4 ms with RESTART); the file keeps its size until close or maintenance truncate
 * it. RESTART and forced checkpoints stay on the writer thread, which they must exclude anyway.
 * {@link #running} is held by every checkpoint, so {@link Database#atCommitBoundary} can wait for a
 * running one to finish.
 */
final class Checkpointer {
  private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);

  private final String database;
  private final Connection connection;
  private final DatabaseOptions options;
  private final WalIndex walIndex;
  private final List<CheckpointGate> gates;
  private final List<CommitListener> listeners;
  private final WriterErrorHandler errorHandler;
  private final DatabaseStats stats;
  /**
   * The gate position and the WAL end of the last announced forced checkpoint. Another forced checkpoint
   * with both unchanged (a retry: nothing committed since) loses nothing new and is not announced again;
   * any commit since is announced, even with the gate at the same position: a listener may have moved on
   * meanwhile without its gate showing it (a new lineage's snapshot read but not yet uploaded, a new
   * replicator on the same open store), and only an announcement tells it that frames were lost again.
   */
  private WalPosition announcedLostFrom;
  private WalPosition announcedEnd;
  /**
   * One permit, held while any checkpoint runs. A semaphore, not a lock: the writer thread takes it when
   * it hands a pinned PASSIVE checkpoint to the background thread, which gives it back when done.
   */
  private final java.util.concurrent.Semaphore running = new java.util.concurrent.Semaphore(1);
  private Connection background;
  /** The background checkpoint's read pin (see {@link #requestBackground}). */
  private Connection pinConnection;
  /** The wal-index read the background run was pinned at; handed over through {@link #requests}. */
  private volatile WalIndex.Snapshot pinnedJob;
  private Thread backgroundThread;
  private final java.util.concurrent.Semaphore requests = new java.util.concurrent.Semaphore(0);
  private volatile boolean stopping;

  Checkpointer(String database, Connection connection, DatabaseOptions options, WalIndex walIndex,
      List<CheckpointGate> gates, List<CommitListener> listeners, DatabaseStats stats) {
    this.database = database;
    this.connection = connection;
    this.options = options;
    this.walIndex = walIndex;
    this.gates = gates;
    this.listeners = listeners;
    this.errorHandler = options.errorHandler();
    this.stats = stats;
  }

  /** The policy after a commit (or when a gate asks): checkpoint if a threshold is crossed. */
  void maybeCheckpoint(WalIndex.Snapshot wal) {
    long walBytes = wal.end().offset();
    try {
      if (walBytes >= options.hardWalLimitBytes() && !gatesRelease(wal.end())) {
        catchUpBeforeForcing(wal.end());
        checkpoint(CheckpointMode.TRUNCATE, true);
      } else if (walBytes >= options.restartWalBytes()) {
        if (System.nanoTime() - nextRestartNanos < 0) {
          requestBackground(); // keep copying meanwhile, so the next attempt has little left to do
          return;
        }
        if (running.availablePermits() == 0 && ++restartDeferrals <= MAX_RESTART_DEFERRALS) {
          return; // the background checkpoint is copying: let it finish, try after the next commit
        }
        restartDeferrals = 0;
        if (!gatesRelease(wal.end())) {
          askGatesToCatchUp(wal.end());
        }
        acquire(); // deferred enough: wait for the background run (bounded by passiveCheckpointPages)
        try {
          if (!runLocked(connection, CheckpointMode.RESTART, false).complete()) {
            nextRestartNanos = System.nanoTime() + RESTART_RETRY.toNanos();
          }
        } finally {
          running.release();
        }
      } else if (wal.pendingFrames() >= options.passiveCheckpointPages()) {
        requestBackground();
      }
    } catch (SQLException | IOException | RuntimeException e) {
      errorHandler.handle(database, "checkpoint", e);
    }
  }

  /** An idle writer copies what is pending, if the gates allow. */
  void onIdle() {
    try {
      if (walIndex.read().pendingFrames() > 0) {
        requestBackground();
      }
    } catch (SQLException | IOException | RuntimeException e) {
      errorHandler.handle(database, "idle checkpoint", e);
    }
  }

  /** Waits until no checkpoint runs, and keeps others from starting until {@link #release()}. */
  void acquire() {
    running.acquireUninterruptibly();
  }

  void release() {
    running.release();
  }

  /**
   * Starts the background PASSIVE checkpointer on its own connection, with a second, read-only one
   * for its pins.
   */
  void startBackground(Connection connection, Connection pin) {
    this.background = connection;
    this.pinConnection = pin;
    this.backgroundThread = new Thread(this::backgroundLoop, "litevault-checkpoint-" + database);
    this.backgroundThread.setDaemon(true);
    this.backgroundThread.start();
  }

  /**
   * Asks the background thread for a PASSIVE checkpoint; never blocks. Without one, runs it inline.
   * Called on the writer thread only, so the gates are checked against the exact WAL end: no commit
   * can happen between that read and the pin.
   *
   * <p>Why a pin: the PRAGMA copies up to SQLite's own end of the WAL, read when it runs; a commit
   * made after our gate check would be copied unshipped, and the next write would restart the WAL
   * over it. So before handing over, this thread begins a read transaction at the end it checked;
   * SQLite's checkpoint "must stop when it reaches a page in the WAL that is past the end mark of any
   * current reader" (<a href="https://www.sqlite.org/wal.html#concurrency">wal.html, Concurrency</a>),
   * so the background run copies at most what the gates released, and the WAL can restart (which
   * needs every frame copied) only when no commit came after that end.
   */
  void requestBackground() throws SQLException, IOException {
    if (backgroundThread == null) {
      checkpoint(CheckpointMode.PASSIVE, false);
      return;
    }
    if (stopping || !running.tryAcquire()) {
      return; // one is queued or running (a later commit asks again), or the store is closing
    }
    boolean handedOver = false;
    try {
      WalIndex.Snapshot wal = walIndex.read();
      if (wal.pendingFrames() <= 0 || !gatesRelease(wal.end())) {
        return;
      }
      ReadPin.beginRead(pinConnection);
      pinnedJob = wal;
      requests.release();
      handedOver = true;
    } finally {
      if (!handedOver) {
        running.release();
      }
    }
  }

  private void backgroundLoop() {
    try {
      while (!stopping) {
        try {
          requests.acquire();
        } catch (InterruptedException e) {
          return;
        }
        runPinned();
      }
    } finally {
      if (pinnedJob != null) {
        finishPinned(); // handed over, never run: end its pin and give the permit back
      }
    }
  }

  /** Runs the PASSIVE checkpoint the writer pinned (see {@link #requestBackground}). */
  private void runPinned() {
    WalIndex.Snapshot job = pinnedJob;
    try {
      if (!stopping) {
        CheckpointResult r = execute(background, CheckpointMode.PASSIVE);
        if (r.checkpointedFrames() > job.frames()) {
          // Cannot happen while SQLite honours the pin; if it ever did, frames no gate released were
          // copied and the next write may restart the WAL over them: say so rather than lose them.
          log.error("database '{}': a pinned PASSIVE checkpoint copied {} frames, past the {} the gates released",
              database, r.checkpointedFrames(), job.frames());
          announceBreak(walIndex.read());
        }
      }
    } catch (SQLException | IOException | RuntimeException e) {
      errorHandler.handle(database, "background checkpoint", e);
    } finally {
      finishPinned();
    }
  }

  private void finishPinned() {
    pinnedJob = null;
    try {
      ReadPin.endRead(pinConnection);
    } catch (SQLException e) {
      errorHandler.handle(database, "background checkpoint (ending its pin)", e);
    } finally {
      running.release();
    }
  }

  /** Stops the background thread and closes its connection (before the writer's, at close). */
  void stopBackground() {
    stopping = true;
    if (backgroundThread != null) {
      backgroundThread.interrupt();
      try {
        backgroundThread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        background.close();
        pinConnection.close();
      } catch (SQLException e) {
        errorHandler.handle(database, "closing the checkpoint connection", e);
      }
    }
  }

  /**
   * Runs one checkpoint now.
   *
   * @param force run even when a gate has not released the WAL (announcing the break first)
   */
  CheckpointResult checkpoint(CheckpointMode mode, boolean force) throws SQLException, IOException {
    return run(connection, mode, force);
  }

  private CheckpointResult run(Connection on, CheckpointMode mode, boolean force) throws SQLException, IOException {
    acquire();
    try {
      return runLocked(on, mode, force);
    } finally {
      running.release();
    }
  }

  private CheckpointResult runLocked(Connection on, CheckpointMode mode, boolean force) throws SQLException, IOException {
    WalIndex.Snapshot wal = walIndex.read();
    if (wal.frames() == 0 && mode == CheckpointMode.PASSIVE) {
      return CheckpointResult.skipped(mode);
    }
    if (!gatesRelease(wal.end())) {
      if (!force) {
        return CheckpointResult.skipped(mode);
      }
      announceBreak(wal);
    }
    return execute(on, mode);
  }

  /** Runs the PRAGMA and records the result; the caller holds {@link #running} and checked the gates. */
  private CheckpointResult execute(Connection on, CheckpointMode mode) throws SQLException {
    long start = System.nanoTime();
    CheckpointResult result;
    try (Statement s = on.createStatement()) {
      boolean noWait = mode == CheckpointMode.TRUNCATE || mode == CheckpointMode.RESTART;
      if (noWait) {
        s.execute("PRAGMA busy_timeout = 0");
      }
      try (ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode.name() + ")")) {
        rs.next();
        result = new CheckpointResult(mode, true, rs.getInt(1) != 0, rs.getInt(2), rs.getInt(3),
            System.nanoTime() - start);
      } finally {
        if (noWait) {
          s.execute("PRAGMA busy_timeout = " + options.busyTimeout().toMillis());
        }
      }
    }
    stats.checkpointed(result);
    if (log.isDebugEnabled()) {
      log.debug("database '{}': checkpoint {}", database, result);
    }
    return result;
  }

  /** After a RESTART that readers or a gate kept from completing, how long before the next attempt. */
  static final java.time.Duration RESTART_RETRY = java.time.Duration.ofMillis(50);

  /**
   * Commits after which a RESTART that found the background checkpoint running waits for it instead of
   * deferring again: the WAL may pass {@code restartWalBytes} by only this many commits.
   */
  static final int MAX_RESTART_DEFERRALS = 2;

  private int restartDeferrals;

  /** No RESTART is attempted before this time (see {@link #RESTART_RETRY}). */
  private long nextRestartNanos = System.nanoTime();

  /** How long the writer waits for a gate to ship the WAL before restarting it. */
  private static final java.time.Duration CATCH_UP_TIMEOUT = java.time.Duration.ofSeconds(5);
  /** How long after a declined catch-up the writer goes on without asking. */
  private static final java.time.Duration CATCH_UP_BACKOFF = java.time.Duration.ofSeconds(10);

  /** After a gate declined to catch up, writes are not made to wait for it again before this time. */
  private long nextCatchUpNanos;

  /**
   * Lets each gate that holds the WAL ship up to {@code end} (the writer waits, see the SPI). A gate
   * that declines or times out is not asked again for a while, so a bucket outage never turns into a
   * wait on every commit.
   */
  private void askGatesToCatchUp(WalPosition end) {
    if (System.nanoTime() - nextCatchUpNanos < 0) {
      return;
    }
    for (CheckpointGate gate : gates) {
      try {
        if (!gate.safePosition().covers(end) && !gate.awaitSafe(end, CATCH_UP_TIMEOUT)) {
          nextCatchUpNanos = System.nanoTime() + CATCH_UP_BACKOFF.toNanos();
          return;
        }
      } catch (RuntimeException e) {
        errorHandler.handle(database, "checkpoint gate (catch up)", e);
        nextCatchUpNanos = System.nanoTime() + CATCH_UP_BACKOFF.toNanos();
        return;
      }
    }
  }

  /**
   * Before a checkpoint forced past the hard limit: asks every gate that holds the WAL to ship up to
   * {@code end} now, each for up to {@link #CATCH_UP_TIMEOUT} (a gate whose bucket is down declines at
   * once). With several gates (one replicator per destination) only the ones that cannot keep up lose
   * their continuity; one a commit or two behind the end would otherwise start a new lineage for
   * another's outage. Runs on the writer thread at a commit boundary, as {@link CheckpointGate#awaitSafe}
   * requires, and only when the hard limit is crossed.
   */
  private void catchUpBeforeForcing(WalPosition end) {
    for (CheckpointGate gate : gates) {
      try {
        if (!gate.safePosition().covers(end)) {
          gate.awaitSafe(end, CATCH_UP_TIMEOUT);
        }
      } catch (RuntimeException e) {
        errorHandler.handle(database, "checkpoint gate (catch up before a forced checkpoint)", e);
      }
    }
  }

  /**
   * Waits up to {@code timeout} for every gate to cover {@code end}, asking each one that holds it to
   * ship now ({@link CheckpointGate#awaitSafe}). Returns false as soon as a gate declines or the time
   * is up: a gate that cannot progress (its bucket is down, or it needs the writer this caller has
   * parked) is not waited for.
   */
  boolean awaitGates(WalPosition end, java.time.Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (CheckpointGate gate : gates) {
      try {
        if (gate.safePosition().covers(end)) {
          continue;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || !gate.awaitSafe(end, java.time.Duration.ofNanos(left))) {
          return false;
        }
      } catch (RuntimeException e) {
        errorHandler.handle(database, "checkpoint gate (await)", e);
        return false;
      }
    }
    return gatesRelease(end);
  }

  /** Whether every gate's safe position covers {@code end}. A gate that throws holds the WAL. */
  boolean gatesRelease(WalPosition end) {
    for (CheckpointGate gate : gates) {
      try {
        if (!gate.safePosition().covers(end)) {
          return false;
        }
      } catch (RuntimeException e) {
        errorHandler.handle(database, "checkpoint gate", e);
        return false;
      }
    }
    return true;
  }

  /** The safe position of the first gate that does not cover {@code end} (nothing, if it throws). */
  private WalPosition firstHeldPosition(WalPosition end) {
    for (CheckpointGate gate : gates) {
      try {
        WalPosition safe = gate.safePosition();
        if (!safe.covers(end)) {
          return safe;
        }
      } catch (RuntimeException e) {
        return new WalPosition(0, 0, 0);
      }
    }
    return end;
  }

  private void announceBreak(WalIndex.Snapshot wal) {
    WalPosition end = wal.end();
    WalPosition lostFrom = firstHeldPosition(end);
    if (lostFrom.equals(announcedLostFrom) && end.equals(announcedEnd)) {
      return;
    }
    announcedLostFrom = lostFrom;
    announcedEnd = end;
    log.warn("database '{}': checkpointing a {}-byte WAL that replication has not released; "
        + "a replicator that had not shipped it must start over from a snapshot", database, end.offset());
    for (CommitListener l : listeners) {
      try {
        l.onContinuityBroken(database, lostFrom, end);
      } catch (RuntimeException e) {
        errorHandler.handle(database, "commit listener (continuity broken)", e);
      }
    }
    stats.continuityBroken();
  }
}
