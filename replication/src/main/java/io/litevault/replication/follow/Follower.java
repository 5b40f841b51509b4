package io.litevault.replication.follow;

import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Continuation;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.ReadTask;
import io.litevault.store.ReplicaDatabase;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A read replica of one replicated database on another process or machine: it restores the database from
 * the bucket, then follows it, applying each new segment the primary uploads (verified as a restore verifies
 * it), and serves reads with the read API of a {@code Database}: pooled read-only connections and the
 * coherent cache. Readers see whole segments (whole transactions) only: a segment is applied while no read
 * runs ({@link ReplicaDatabase}).
 *
 * <p>What it follows: the fine segments while it is close behind; when they cannot carry it forward (a
 * snapshot took commits without a segment, retention removed segments it had not read, the primary started
 * a new lineage by a restore or a fork), it rebuilds its file by a restore of the newest point (which reads
 * compacted ranges rather than every segment) and swaps it in. A failed request is retried at the next poll;
 * reads go on from what it has. Nothing the follower does writes to the bucket.
 *
 * <p>Cost: one LIST request a poll ({@link FollowerOptions#pollInterval()}), two more each
 * {@link FollowerOptions#lineageCheckInterval()} (newer lineages, newer snapshots), and one GET per new
 * segment.
 *
 * <p>Read-your-writes across machines: a caller that got position {@code p} from the primary
 * ({@code Replicator.positionOf}, once its write was REPLICATED) calls {@link #await}{@code (p, timeout)}
 * before reading here.
 *
 * <p>The file is the follower's: rebuilt at each open (a follower killed mid-apply leaves a torn file, which
 * is never trusted), not durable, and not to be opened by anything else while the follower runs.
 */
public final class Follower implements AutoCloseable {
  private final FollowerOptions options;
  private final ReplicaDatabase replica;
  private final Tailer tailer;
  private final ScheduledExecutorService thread;
  private final FileChannel lockChannel;
  private final Object progress = new Object();
  private volatile Tailer.State state;
  private volatile boolean closed;

  private Follower(FollowerOptions options, FileChannel lockChannel, Continuation chain, ReplicaDatabase replica,
      String startAfter, long restoredAtNanos) {
    this.options = options;
    this.lockChannel = lockChannel;
    this.replica = replica;
    this.state = new Tailer.State(chain.position(), chain.timestampMillis());
    this.tailer = new Tailer(options, replica, chain, startAfter, restoredAtNanos, this::publish);
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "litevault-follower-" + options.name());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Restores the newest point of {@code options}' prefix into its file (replacing what is there) and starts
   * following.
   *
   * @throws FollowerException nothing to follow yet (no lineage in the prefix), another follower holds the
   *     file, the restore failed (naming why), or the file cannot be served
   */
  public static Follower open(FollowerOptions options) {
    Objects.requireNonNull(options, "options");
    Path file = options.file();
    FileChannel lock = lock(file);
    ReplicaDatabase replica = null;
    try {
      long started = System.nanoTime(); // monotonic: staleness must not follow a wall clock's steps
      RestoreOptions o = RestoreOptions.builder(options.store(), options.prefix(), file).force(true).build();
      io.litevault.replication.restore.RestorePlan plan = Restore.plan(o);
      RestoreResult r = Restore.run(o, plan);
      Continuation chain = Continuation.of(file, new ReplicaPosition(r.lineage(), r.txid()), r.timestamp().toEpochMilli());
      replica = ReplicaDatabase.open(options.name(), file, options.databaseOptions());
      String startAfter = Tailer.startAfter(new io.litevault.replication.format.BucketLayout(options.prefix()), plan, r);
      Follower f = new Follower(options, lock, chain, replica, startAfter, started);
      f.thread.scheduleWithFixedDelay(f.tailer::poll, options.pollInterval().toMillis(),
          options.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
      return f;
    } catch (RuntimeException | IOException e) {
      if (replica != null) {
        replica.close();
      }
      closeQuietly(lock);
      throw new FollowerException("cannot start following '" + options.prefix() + "' in " + file + ": "
          + e.getMessage(), e);
    }
  }

  /** The lock that keeps two followers (in any process) off one file. */
  private static FileChannel lock(Path file) {
    Path lockFile = file.resolveSibling(file.getFileName() + ".follower-lock");
    FileChannel ch = null;
    try {
      Files.createDirectories(file.getParent());
      ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l = ch.tryLock();
      if (l == null) {
        throw new IOException("locked by another process");
      }
      return ch;
    } catch (OverlappingFileLockException | IOException e) {
      closeQuietly(ch);
      throw new FollowerException("another follower uses " + file + " (its lock " + lockFile + " is held: "
          + (e instanceof OverlappingFileLockException ? "in this process" : e.getMessage())
          + "); give each follower its own file", e);
    }
  }

  /** Called by the tailer under the replica's write lock, with the pages it describes. */
  private void publish(Tailer.State s) {
    state = s;
    synchronized (progress) {
      progress.notifyAll();
    }
  }

  /** Runs a read on a pooled read-only connection of the replica; {@link #position()} read inside it is what it sees. */
  public <T> T read(ReadTask<T> task) {
    return replica.read(task);
  }

  /** A read-through cached read, as {@code Database.cached}: made stale by every segment applied. */
  public <V> V cached(String table, Object key, ReadTask<V> loader) {
    return replica.cached(table, key, loader);
  }

  /** Like {@link #cached(String, Object, ReadTask)} for a loader that reads several tables. */
  public <V> V cached(Set<String> tables, Object key, ReadTask<V> loader) {
    return replica.cached(tables, key, loader);
  }

  /** The lineage and last transaction applied: inside a {@link #read}, exactly what that read sees. */
  public ReplicaPosition position() {
    return state.position();
  }

  /**
   * Waits until the follower has applied {@code position}: that txid or a later one of its lineage.
   *
   * @return whether it has, within {@code timeout}
   * @throws FollowerException the follower was closed (or detached) meanwhile; or it moved on to a newer
   *     lineage than {@code position}'s (a takeover, a
   *     fork or a restore at the primary): whether it holds {@code position}'s writes cannot be told from here
   *     (after a restore to an earlier point it does not, as the primary no longer does). Ask the primary for
   *     a current position.
   */
  public boolean await(ReplicaPosition position, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(position, "position");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (progress) {
      while (true) {
        if (closed) {
          throw new FollowerException("the follower of '" + options.prefix() + "' was closed", null);
        }
        ReplicaPosition at = state.position();
        int c = at.lineage().compareTo(position.lineage());
        if (c > 0) {
          throw new FollowerException("the follower of '" + options.prefix() + "' is at lineage " + at.lineage()
              + ", newer than " + position + ": ask the primary for a current position", null);
        }
        if (c == 0 && at.txid() >= position.txid()) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(progress, left);
      }
    }
  }

  /** What the follower serves and how far behind it may be. */
  public FollowerHealth health() {
    Tailer.State s = state;
    Tailer.Progress p = tailer.progress();
    // Measured on the monotonic clock, then placed on the wall clock as it reads now: a wall clock that
    // stepped since the last caught-up poll moves caughtUpAt with it but never changes the staleness.
    Duration staleness = p.caughtUpNanos() == null ? null
        : Duration.ofNanos(Math.max(0, System.nanoTime() - p.caughtUpNanos()));
    Instant caughtUpAt = staleness == null ? null : options.clock().instant().minus(staleness);
    long seen = s.position().txid() > p.newestSeenTxid() ? s.position().txid() : p.newestSeenTxid();
    return new FollowerHealth(options.name(), s.position(), Instant.ofEpochMilli(s.commitTimeMillis()), seen,
        seen - s.position().txid(), caughtUpAt, staleness, p.polls(), p.applied(), p.rebuilds(), p.lastError());
  }

  /**
   * Polls at once, again and again, until a poll finds nothing newer in the bucket (a newer lineage
   * included). What a standby does once the primary's lease is free.
   *
   * @throws FollowerException the bucket kept failing, or new objects kept coming, for {@code timeout}
   */
  void catchUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        if (thread.submit(tailer::pollToEnd).get()) {
          return;
        }
      } catch (java.util.concurrent.ExecutionException e) {
        throw new FollowerException("catching up with '" + options.prefix() + "' failed: " + e.getCause(), e.getCause());
      }
      if (System.nanoTime() > deadline) {
        throw new FollowerException("could not catch up with '" + options.prefix() + "' within " + timeout + ": "
            + health(), null);
      }
      Thread.sleep(Math.min(100, options.pollInterval().toMillis()));
    }
  }

  /**
   * Stops following and leaves the file as the primary's pages made it ({@link ReplicaDatabase#detach}), for
   * a store to open as its writer; releases the file.
   */
  void detach() throws IOException {
    closed = true;
    stopPolling();
    try {
      replica.detach();
    } finally {
      closeQuietly(lockChannel);
      synchronized (progress) {
        progress.notifyAll(); // a waiting await sees the follower closed
      }
    }
  }

  private void stopPolling() {
    thread.shutdown(); // not shutdownNow: an interrupt closes the replica's file channel mid-write
    try {
      thread.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public FollowerOptions options() {
    return options;
  }

  /** Stops following (after the poll running now), closes the readers, and releases the file. */
  @Override
  public void close() {
    closed = true;
    try {
      stopPolling();
      replica.close();
      closeQuietly(lockChannel);
    } finally {
      synchronized (progress) {
        progress.notifyAll(); // a waiting await sees the follower closed
      }
    }
  }

  private static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // releasing a lock of a closing follower
      }
    }
  }
}
