package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.format.Segment;
import io.litevault.replication.format.SnapshotCodec;
import io.litevault.replication.format.UnsupportedVersionException;
import io.litevault.store.CommitEvent;
import io.litevault.store.Database;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.ReadPin;
import io.litevault.store.ReplicationPort;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicator's one thread: turns the commits it is told about into segments in the bucket, starts
 * lineages with snapshots, takes periodic snapshots, and applies retention. All bucket writes of a
 * replica happen here, in order.
 *
 * <p>Invariant: {@code lastShipped} is the WAL position up to which every committed frame is in the
 * bucket; the checkpoint gate reports it (or nothing, while a snapshot reads the files), so no frame
 * leaves the WAL before it is shipped.
 */
final class Shipper implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Shipper.class);
  static final WalPosition NOTHING = new WalPosition(0, 0, 0);

  /** A snapshot read into {@code file} but not yet known to be in the bucket; retried from the same file. */
  private record PreparedSnapshot(Path file, String key, String lineage, long txid, DatabaseChecksum state,
      int pages, WalPosition position, long storeTxid, long takenMillis, boolean newLineage, int breaksBefore) {}

  private final Database db;
  private final ReplicationPort port;
  private final ReplicatorOptions options;
  private final ObjectStore store;
  private final BucketLayout layout;
  private final Lease lease;
  private final ReplicationMetrics metrics;
  private final Progress progress;
  private final Retention retention;
  private final DatabaseFiles files;
  private final Path workDir;
  private final BucketWins bucketWins;
  private final DataUploads uploads;
  private final Compactor compactor;
  /** The restore chain since the last snapshot: snapshots by reason. */
  private final ChainGauge chain;
  /** Where the files were in the bucket as they leave it (a break, a close); told each point reached. */
  private final BreakRecorder breakRecorder;
  /** Whether a start continues the bucket's newest lineage, and what it catches up. */
  private final Resumption resumption;

  final ConcurrentLinkedQueue<CommitEvent> pending = new ConcurrentLinkedQueue<>();
  private final Wakeups wakeups = new Wakeups();
  /** Uploads asked for before minUploadInterval: flushes and REPLICATED writes, and the batch window. */
  private final UploadUrgency urgency;
  /** Set by {@link Replicator#maintenanceStep()}: take a snapshot once the window has let writes go. */
  volatile boolean snapshotRequested;
  private volatile boolean closing;
  volatile boolean continuityBroken;
  /** Counts the store's forced checkpoints, so a snapshot can tell the files moved while it read them. */
  final java.util.concurrent.atomic.AtomicInteger breaks = new java.util.concurrent.atomic.AtomicInteger();
  /** True while the gate must hold everything (start-up, snapshots). */
  volatile boolean holdGate = true;
  volatile WalPosition lastShipped = NOTHING;
  volatile String lineage;
  volatile long lastTxid;
  volatile String lastError;

  private DatabaseChecksum checksum;
  private PreparedSegment preparedSegment;
  private volatile PreparedSnapshot preparedSnapshot;
  private boolean orphansCleaned;
  private long lastUploadNanos;
  private long lastSnapshotMillis;
  /** The last snapshot that went ahead of pending commits failed: they ship before it is tried again. */
  private boolean overdueSnapshotFailed;
  /** Uploads shipped since the snapshot interval was up; reset when a snapshot lands. Shipper's thread. */
  private int uploadsAheadOfOverdueSnapshot;
  /**
   * How many uploads an overdue snapshot lets go first. Not zero: each commit shipped as a segment
   * keeps a restore point of its own (one the snapshot covers has none), and a REPLICATED write or a
   * flush waiting for an upload must not wait for a snapshot's read pin behind a long write task. Not
   * unbounded: under a steady load the queue is never empty, and the snapshot must still come.
   */
  static final int MAX_UPLOADS_AHEAD_OF_OVERDUE_SNAPSHOT = 8;
  private long lastRetentionMillis;
  private boolean uploadedSinceRetention;
  private boolean committedSinceSnapshot;

  Shipper(Database db, ReplicatorOptions options, Lease lease, ReplicationMetrics metrics, Progress progress) {
    this.db = db;
    this.port = ReplicationPort.of(db);
    this.options = options;
    this.store = options.store();
    this.layout = new BucketLayout(options.prefix());
    this.lease = lease;
    this.metrics = metrics;
    this.progress = progress;
    this.urgency = new UploadUrgency(options.replicatedBatchWindow(), progress::replicatedStoreTxid,
        metrics.uploadsHeldByBatchWindow);
    this.retention = new Retention(store, layout, metrics);
    this.files = port.files();
    this.workDir = workDirectory(db, options);
    this.bucketWins = new BucketWins(db, store, layout, workDir, options.allowFork(), options.witnesses());
    this.uploads = new DataUploads(store, lease);
    CompactionLevels levels = options.compactionWindows().isEmpty() ? null
        : new CompactionLevels(options.compactionWindows());
    this.compactor = new Compactor(db.name(), levels, store, lease, layout, workDir, options.codec(), metrics);
    this.chain = new ChainGauge(levels);
    this.breakRecorder = new BreakRecorder(db.name(), files, port, bucketWins, pending::peek, () -> {
      PreparedSnapshot p = preparedSnapshot;
      return p != null && p.newLineage() ? new BucketWins.Left(p.lineage(), p.txid()) : null;
    });
    this.resumption = new Resumption(db.name(), files, port, bucketWins, lease, options, this::openWal, breaks::get,
        pending::peek);
  }

  /** The replicator's own files for {@code db}: the configured directory, or {@code .litevault/<name>} beside it. */
  static Path workDirectory(Database db, ReplicatorOptions options) {
    return options.workDirectory() != null ? options.workDirectory()
        : db.path().resolveSibling(".litevault").resolve(db.name());
  }

  /** Called once the replicator's thread has ended; see {@link BreakRecorder#recordClosed}. */
  void recordClosed() {
    breakRecorder.recordClosed(checksum);
  }

  /** Called as the replicator parts; see {@link BreakRecorder#recordHeld}. */
  void recordHeld() {
    breakRecorder.recordHeld();
  }

  /**
   * Called on the store's writer thread just before a forced checkpoint, the WAL ending at {@code walEnd};
   * see {@link BreakRecorder#markBrokenAway(WalPosition)}.
   */
  void markBrokenAway(WalPosition walEnd) {
    breakRecorder.markBrokenAway(walEnd);
  }

  /** What the checkpoint gate reports. */
  WalPosition safePosition() {
    return holdGate ? NOTHING : lastShipped;
  }

  void offer(CommitEvent e) {
    pending.add(e);
    signal(false);
  }

  /** Wakes the shipper; {@code urgentUpload}: upload what is pending now (a flush, a close, the gate). */
  void signal(boolean urgentUpload) {
    if (urgentUpload) {
      urgency.flush();
    }
    wakeups.wake();
  }

  /**
   * A REPLICATED write (store txid {@code storeTxid}) committed and waits for the bucket: upload soon, within
   * the batch window when REPLICATED writers run concurrently ({@link UploadUrgency}).
   */
  void replicatedWrite(long storeTxid) {
    urgency.replicatedWrite(storeTxid);
    wakeups.wake();
  }

  void close() {
    closing = true;
    signal(true);
  }

  /** Waits up to {@code millis} for the shipper to make progress (for a caller polling safePosition). */
  void awaitProgress(long millis) {
    wakeups.awaitProgress(millis);
  }

  private void progressed() {
    wakeups.progressed();
  }

  /**
   * Whether this thread waits for a read pin, which only the store's writer thread can begin: a store closing
   * on that thread must not wait for what this thread can ship only after the pin ({@code Replicator.Hook}).
   */
  volatile boolean awaitingPin;

  /** A read pin from the store's writer thread, with {@link #awaitingPin} set while it is waited for. */
  private ReadPin pin() throws Exception {
    awaitingPin = true;
    try {
      return ReadPins.take(port);
    } finally {
      awaitingPin = false;
    }
  }

  /** What one turn of the loop did. */
  private enum Turn { WORKED, PARKED, STOP }

  @Override
  public void run() {
    try {
      loop();
    } finally {
      compactor.close();
    }
  }

  private void loop() {
    long backoff = options.retryBackoff().toNanos();
    while (true) {
      try {
        Turn turn = turn();
        if (turn == Turn.STOP) {
          // At an orderly close the open ranges go up as they are: after a restart they would be gone.
          compactor.flush();
          return;
        }
        if (turn == Turn.WORKED) {
          lastError = null;
          bugStreak = 0;
          backoff = options.retryBackoff().toNanos();
        }
      } catch (LeaseException | LocalBehindBucketException | NewerFormatException e) {
        stop(e.getMessage(), e);
        return;
      } catch (Error e) {
        // An OutOfMemoryError or worse: never die silently with REPLICATED writes waiting forever.
        log.error("database '{}': replication stopped: {}", db.name(), e.toString(), e);
        stop(e.toString(), new ReplicationException("replication of '" + db.name() + "' stopped: " + e, e));
        return;
      } catch (NullPointerException | ClassCastException | IndexOutOfBoundsException | ArithmeticException e) {
        if (!retryBug(e, backoff)) {
          return;
        }
        backoff = Math.min(backoff * 2, options.maxRetryBackoff().toNanos());
      } catch (Exception e) {
        if (!retryFault(e, backoff)) {
          return;
        }
        backoff = Math.min(backoff * 2, options.maxRetryBackoff().toNanos());
        if (closing && (backoff >= options.maxRetryBackoff().toNanos() || Thread.currentThread().isInterrupted())) {
          // What is not shipped stays in the WAL (the gate held it) and ships after the next start.
          log.error("database '{}': giving up at close with {} commit(s) not shipped{}: {}", db.name(), pending.size(),
              preparedSnapshot != null || preparedSegment != null ? " and an upload not confirmed" : "", e.toString());
          return;
        }
      }
    }
  }

  /** One step of work, the first that applies: an unconfirmed upload, a start, a segment, a snapshot. */
  private Turn turn() throws Exception {
    if (preparedSnapshot != null) {
      landSnapshot(preparedSnapshot);
    } else if (preparedSegment != null && !continuityBroken) {
      landSegment(preparedSegment);
    } else if (lineage == null || continuityBroken) {
      if (closing && lineage == null) {
        return Turn.STOP;
      }
      start();
    } else if (!pending.isEmpty() && !closing && !overdueSnapshotFailed && snapshotOverdue()
        && uploadsAheadOfOverdueSnapshot >= MAX_UPLOADS_AHEAD_OF_OVERDUE_SNAPSHOT) {
      // Under a steady load a commit is always pending when the shipper looks: a snapshot that waited
      // for an empty queue would never come. After a few uploads it goes first and covers them.
      // If reading it fails (a full work disk), the pending commits ship first and it is tried after
      // that upload. (A snapshot read whose PUT keeps failing is retried ahead of everything: its key
      // is taken, see landSnapshot.)
      overdueSnapshotFailed = true;
      snapshot(false);
      overdueSnapshotFailed = false;
    } else if (!pending.isEmpty() && (urgency.due(closing) || closing || uploadDue())) {
      if (snapshotOverdue()) {
        uploadsAheadOfOverdueSnapshot++;
      }
      urgency.uploadBegins(closing);
      shipPending();
      overdueSnapshotFailed = false;
    } else if (closing) {
      return Turn.STOP;
    } else if (snapshotRequested) {
      snapshotRequested = false;
      snapshot(false);
    } else if ((committedSinceSnapshot || !pending.isEmpty()) && snapshotDue()) {
      // Only with new data since the last one: never a loop on an idle database. Not only with an empty
      // queue: under a steady load commits always wait for the next upload, and the snapshot covers them.
      snapshot(false);
    } else if (pending.isEmpty() && compactor.nextWindowEnd() <= options.clock().millis()) {
      compactor.closeEnded(options.clock().millis()); // a quiet database: its last windows close by the clock
    } else {
      park();
      return Turn.PARKED;
    }
    return Turn.WORKED;
  }

  /** Stops replication for good: every waiting REPLICATED write fails with {@code cause}. */
  private void stop(String why, RuntimeException cause) {
    lastError = why;
    if (cause instanceof LeaseException || cause instanceof LocalBehindBucketException
        || cause instanceof NewerFormatException) {
      log.error("database '{}': {}", db.name(), why);
    }
    progress.failAll(cause);
  }

  /**
   * A bug, not a fault of the bucket or the disk: logged with its stack trace every time, retried a few
   * times (a race may pass), then replication stops loudly instead of retrying it forever while
   * REPLICATED writes wait. False when it stopped.
   */
  private boolean retryBug(RuntimeException e, long backoff) {
    lastError = e.toString();
    if (++bugStreak >= MAX_BUG_RETRIES) {
      log.error("database '{}': replication stopped by a bug ({} times in a row): {}", db.name(), bugStreak,
          e.toString(), e);
      progress.failAll(new ReplicationException("replication of '" + db.name() + "' stopped by a bug: " + e, e));
      return false;
    }
    log.error("database '{}': replication step failed by a bug, retrying in {} ms", db.name(),
        TimeUnit.NANOSECONDS.toMillis(backoff), e);
    sleep(backoff);
    return true;
  }

  /** A fault of the bucket or the disk: logged, then retried after {@code backoff}. False to stop (closing). */
  private boolean retryFault(Exception e, long backoff) {
    metrics.uploadErrors.increment();
    lastError = e.toString();
    if (closing && lineage == null) {
      return false;
    }
    if (backoff == options.retryBackoff().toNanos()) { // the first failure of a streak: with its stack trace
      log.warn("database '{}': replication step failed, retrying in {} ms", db.name(),
          TimeUnit.NANOSECONDS.toMillis(backoff), e);
    } else {
      log.warn("database '{}': replication step failed, retrying in {} ms: {}", db.name(),
          TimeUnit.NANOSECONDS.toMillis(backoff), e.toString());
    }
    sleep(closing ? Math.min(backoff, CLOSING_BACKOFF_NANOS) : backoff);
    return true;
  }

  // --- start: resume the newest lineage when the local files continue it, else a new one

  private void start() throws Exception {
    holdGate = true;
    breaksAtStart = breaks.get();
    if (continuityBroken) {
      // A segment of the broken chain still waiting for its retry must not land after the new
      // lineage's snapshot: it would move the state back to the old chain. The snapshot covers it.
      preparedSegment = null;
    }
    lease.acquire();
    Files.createDirectories(workDir);
    cleanOrphans();
    if (continuityBroken && lineage == null && heldLineage == null) {
      // A break before this process held any lineage: the files were never compared with the bucket.
      LineageCatalog.Tip tip = newestTip();
      if (tip != null) {
        bucketWins.refuseIfBehind(tip, List.of(), List::of);
      }
    }
    if (!continuityBroken && resume()) {
      holdGate = false;
      port.requestCheckpoint();
      return;
    }
    continuityBroken = false; // before the read: a break announced during it must stand
    try {
      snapshot(true);
    } catch (Exception | Error e) {
      if (preparedSnapshot == null) {
        // Nothing read (the bucket's list failed, say): the break stands, or the next turn would ship the
        // pending commits into the lineage the store broke away from.
        continuityBroken = true;
      }
      throw e;
    }
  }

  /** Deletes snapshot files a killed process left in the work directory (once, before the first snapshot). */
  private void cleanOrphans() throws IOException {
    if (orphansCleaned) {
      return;
    }
    try (var files = Files.newDirectoryStream(workDir, "snapshot-*.tmp")) {
      for (Path f : files) {
        Files.deleteIfExists(f);
        log.info("database '{}': deleted {}, left by a replicator that did not finish", db.name(), f.getFileName());
      }
    }
    orphansCleaned = true;
  }

  /**
   * The bucket's tip, or null when it holds none. A tip of a format version above those this release reads (a
   * newer release wrote it) stops replication with {@link NewerFormatException}, since no retry can read it;
   * with {@code allowFork} it counts as no tip, and a new lineage starts with a snapshot.
   */
  private LineageCatalog.Tip newestTip() throws IOException {
    try {
      return LineageCatalog.newestTip(store, layout);
    } catch (UnsupportedVersionException e) {
      if (e.version() <= e.newestRead()) {
        throw e; // not a newer format: a damaged version field, a fault like any other corrupt object
      }
      if (!options.allowFork()) {
        throw new NewerFormatException(db.name(), e);
      }
      log.warn("database '{}': the bucket's newest lineage ends in {} (format version {}, this release reads up to {}): "
          + "allowFork is set, starting a new lineage with a snapshot", db.name(), e.object(), e.version(),
          e.newestRead());
      return null;
    }
  }

  /** How {@link #resumeAt} left the newest lineage. */
  private enum Resumed { NO, YES, CATCH_UP_WITH_SNAPSHOT }

  private boolean resume() throws Exception {
    int breaksAtResume = breaks.get();
    LineageCatalog.Tip tip = newestTip();
    if (tip == null) {
      return false;
    }
    Resumed resumed;
    try (ReadPin pin = pin()) {
      resumed = resumeAt(tip, pin, breaksAtResume);
    }
    if (resumed == Resumed.CATCH_UP_WITH_SNAPSHOT) {
      try {
        snapshot(false); // covers every commit up to its own pin; events after it ship as segments
      } catch (Exception | Error e) {
        if (preparedSnapshot == null) {
          // Not even read (a pin that timed out, say): as a failed catch-up segment in resumeAt, the next
          // try starts over from the tip. A snapshot read but not confirmed is retried as it is, first.
          lineage = null;
        }
        throw e;
      }
    }
    return resumed != Resumed.NO;
  }

  /** A bug (a NullPointerException, say) is retried this many times in a row at most; see {@link #run}. */
  static final int MAX_BUG_RETRIES = 3;
  private int bugStreak;

  /** {@link #breaks} when the last {@link #start} began: a loss of frames with none announced since is unexplained. */
  private int breaksAtStart;

  /** The last lineage this process held (resumed or started); never cleared. */
  private volatile String heldLineage;

  /** The lineage this process started, which it may continue whatever the lease's history. */
  private String createdLineage;

  /**
   * Continues {@code tip} when {@link Resumption#continues} says the pinned files may ({@code breaksAtResume}:
   * the break count when the resume began): takes the lineage's state, then catches up to the pin with a
   * segment here, or answers that a snapshot must.
   */
  private Resumed resumeAt(LineageCatalog.Tip tip, ReadPin pin, int breaksAtResume) throws Exception {
    java.util.Optional<ResumePoint> point = resumption.continues(tip, pin, createdLineage, breaksAtResume);
    if (point.isEmpty()) {
      return Resumed.NO;
    }
    long catchUpFrom = point.get().catchUpFrom();
    lineage = tip.lineage();
    heldLineage = lineage;
    lastTxid = tip.txid();
    breakRecorder.reached(lineage, lastTxid);
    bucketWins.held(lineage, lastTxid);
    checksum = point.get().at();
    compactor.restartAt(lineage, lastTxid, checksum.value());
    chain.restart();
    lastShipped = point.get().shipped();
    lastSnapshotMillis = tip.lastSnapshotMillis();
    dropEventsThrough(pin.txid());
    if (pin.position().offset() > catchUpFrom) {
      try {
        Resumption.CatchUp catchUp = resumption.catchUp(pin, catchUpFrom);
        if (catchUp.bySnapshot()) {
          log.info("database '{}': continuing lineage {} at txid {} with a snapshot ({} frames to catch up)",
              db.name(), lineage, lastTxid, catchUp.frames());
          return Resumed.CATCH_UP_WITH_SNAPSHOT;
        }
        landSegment(prepareSegment(catchUp.items(), pin.position(), pin.txid()));
      } catch (WalFormatException gone) {
        // The pinned frames are not what ResumePoint found (foreign or rewritten): retrying cannot bring them
        // back. As before: the next commit finds the gap and starts a new lineage.
        throw gone;
      } catch (Exception | Error e) {
        // Not resumed until the catch-up is in the bucket: the next try starts over from the bucket's
        // tip (which has the segment if only the answer was lost), completes the futures through the
        // pin, and releases the gate. Kept half-resumed (a catch-up that could not be read, one whose
        // upload failed), the next commit would find a gap and start a needless lineage.
        lineage = null;
        preparedSegment = null;
        throw e;
      }
    }
    // The gate opens before the futures complete: a caller woken by them may checkpoint at once.
    holdGate = false;
    progress.position(pin.txid(), new ReplicaPosition(lineage, lastTxid));
    progress.replicated(pin.txid());
    log.info("database '{}': continuing lineage {} at txid {}", db.name(), lineage, lastTxid);
    return Resumed.YES;
  }

  // --- segments

  private void shipPending() throws Exception {
    // The period runs from the cut, before the WAL is read and the segment encoded: stamped in
    // landSegment (after that work) every period was minUploadInterval plus the preparation time.
    lastUploadNanos = System.nanoTime();
    shipPendingOnce();
    // Retention rides on uploads, so an idle database makes no requests at all.
    if (uploadedSinceRetention && retentionDue()) {
      lastRetentionMillis = options.clock().millis();
      uploadedSinceRetention = false;
      Instant now = options.clock().instant();
      retention.apply(lineage, now.minus(options.retention()), now.minus(options.fineSegmentRetention()));
    }
  }

  private void shipPendingOnce() throws Exception {
    SegmentBatch.Next next = SegmentBatch.collect(pending, lastShipped, options.maxSegmentBytes(), this::openWal);
    if (next instanceof SegmentBatch.Ship ship) {
      landSegment(prepareSegment(ship.items(), ship.end(), ship.lastEventTxid()));
    } else if (next instanceof SegmentBatch.TooBig) {
      snapshot(false); // a huge transaction (a VACUUM, a bulk load) goes as a snapshot, streamed from disk
    } else if (next instanceof SegmentBatch.Gap gap) {
      log.warn("database '{}': commit {} starts at {} but replication is at {}: starting a new lineage",
          db.name(), gap.event().txid(), gap.event().walStart(), gap.shipped());
      continuityBroken = true;
    } else if (next instanceof SegmentBatch.Unreadable lost) {
      lostFrames(lost.event(), lost.why());
    }
  }

  /**
   * The frames of a commit we have not shipped are gone or foreign: the WAL was restarted or rewritten
   * behind the gate's back. Retrying cannot bring them back, so this is a continuity break: a new
   * lineage, and an alarm (the error log, {@code lineagesStarted}, {@code continuityBreaks}).
   */
  private void lostFrames(CommitEvent e, WalFormatException why) {
    log.error("database '{}': the WAL frames of commit {} ({} to {}) can no longer be read ({}); they were "
        + "checkpointed or overwritten before they were shipped: starting a new lineage", db.name(), e.txid(),
        e.walStart(), e.walEnd(), why.getMessage());
    metrics.continuityBreaks.increment();
    if (breaks.get() == breaksAtStart) {
      // The store announces every checkpoint it forces past the gate before it runs it; none since this
      // lineage began means something checkpointed behind the gate.
      log.error("database '{}': no forced checkpoint was announced: the database was checkpointed behind "
          + "the checkpoint gate (another process on the live file?)", db.name());
      metrics.unannouncedWalLosses.increment();
    }
    breakRecorder.markBrokenAwayHere();
    continuityBroken = true;
  }

  /** Builds the segment of {@code items}, ending at WAL position {@code end}; nothing is uploaded yet. */
  private PreparedSegment prepareSegment(List<SegmentBatch.Item> items, WalPosition end, long lastEventTxid)
      throws IOException {
    return PreparedSegment.build(items, end, lastEventTxid, lineage, lastTxid, checksum, layout, options.codec(),
        options.segmentFormat());
  }

  /**
   * Uploads a prepared segment and, once the bucket has it, moves the state on and completes the
   * futures. Kept for a retry until then (see {@link PreparedSegment}).
   */
  private void landSegment(PreparedSegment s) throws Exception {
    preparedSegment = s;
    lease.renewIfDue();
    putData(s.key(), s.body());
    lease.renewIfDue(); // the upload may have outlived the lease: acknowledge only if nobody took over
    preparedSegment = null;
    Segment segment = s.segment();
    checksum = s.after();
    lastTxid = segment.last().txid();
    breakRecorder.reached(lineage, lastTxid);
    lastShipped = s.end();
    lastError = null; // before the futures complete: a caller woken by them sees a healthy replicator
    progressed();
    uploadedSinceRetention = true;
    committedSinceSnapshot = true;
    metrics.segmentsUploaded.increment();
    metrics.bytesUploaded.add(s.body().length);
    metrics.transactionsShipped.add(segment.transactions().size());
    metrics.lastUploadMillis.set(options.clock().millis());
    long storeTxid = -1;
    List<SegmentBatch.Item> items = s.items();
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i).storeTxid() >= 0) {
        storeTxid = items.get(i).storeTxid();
        progress.position(storeTxid, new ReplicaPosition(lineage, segment.firstTxid() + i));
      }
    }
    if (s.lastEventTxid() >= 0) {
      dropEventsThrough(s.lastEventTxid());
    }
    if (storeTxid >= 0) {
      progress.replicated(storeTxid);
    }
    chain.landed(segment);
    compactor.landed(segment); // after the futures: REPLICATED writes never wait for compaction
  }

  // --- snapshots

  /**
   * Takes a snapshot at the current commit boundary. With {@code newLineage} it starts a lineage (txid 1);
   * otherwise the snapshot gets the next txid of the current lineage and covers every commit up to the
   * boundary that is not shipped yet.
   *
   * <p>The pages are read under a {@link ReadPin}, not under the checkpoint gate alone: after a
   * checkpoint that copied the whole WAL, SQLite restarts the WAL at the next write with no checkpoint
   * call ("if the entire WAL has been transferred into the database and synced and if no readers are
   * making use of the WAL, then the writer will rewind the WAL back to the beginning",
   * <a href="https://www.sqlite.org/wal.html#concurrency">wal.html</a>), overwriting the frames a
   * snapshot maps. The pin's read transaction is such a reader.
   */
  private void snapshot(boolean newLineage) throws Exception {
    holdGate = true;
    try {
      landSnapshot(readSnapshot(newLineage));
    } finally {
      holdGate = false;
    }
    port.requestCheckpoint();
  }

  /** Reads the pinned database into a local file: the snapshot object, ready to upload. */
  private PreparedSnapshot readSnapshot(boolean newLineage) throws Exception {
    int breaksBefore = breaks.get();
    try (ReadPin pin = pin()) {
      PageReader pages = PageReader.pinned(files, pin);
      String target = newLineage ? BucketLayout.newLineage(options.clock().instant(), newestLineageInBucket()) : lineage;
      long txid = newLineage ? 1 : lastTxid + 1;
      Path tmp = workDir.resolve("snapshot-" + target + "-" + txid + ".tmp");
      DatabaseChecksum state = new DatabaseChecksum();
      long now = options.clock().millis();
      // Stamped with the time of the newest commit it holds, as segments stamp their transactions:
      // a restore to a time just after that commit must find this snapshot, not an older point. After a
      // clock step back, the latest commit time it holds: it must not be the base of a time before one.
      // With no commit since the open the clock's: a commit's own time (what Witnesses would recognise) may be
      // below an earlier commit's after the clock stepped back, and a restore to a time between would take
      // this snapshot as its base (review 32). Such a snapshot tip is therefore no commit a witness knows.
      long stamp = pin.commitMillis() > 0 ? latestCommitMillisThrough(pin.txid(), pin.commitMillis()) : now;
      boolean done = false;
      try {
        SnapshotCodec.write(tmp, new SnapshotCodec.Header(options.codec(), pages.pageSize(), pages.dbSizePages(), txid,
            stamp, pin.position(), target), pgno -> {
              byte[] page = pages.page(pgno);
              state.set(pgno, page);
              return page;
            });
        state.resize(pages.dbSizePages());
        done = true;
      } finally {
        if (!done) {
          Files.deleteIfExists(tmp);
        }
      }
      return new PreparedSnapshot(tmp, layout.snapshot(target, txid), target, txid, state, pages.dbSizePages(),
          pin.position(), pin.txid(), now, newLineage, breaksBefore);
    }
  }

  private void discard(PreparedSnapshot p) throws IOException {
    preparedSnapshot = null;
    Files.deleteIfExists(p.file());
  }

  /**
   * Uploads a snapshot read earlier and, once the bucket has it, moves the state on. A failed upload
   * keeps the file for a retry with the same key and bytes; a forced checkpoint since the read (the
   * frames after its pin may be gone) discards it and starts a new lineage instead.
   */
  private void landSnapshot(PreparedSnapshot p) throws Exception {
    // Published before the check (both volatile, as the writer thread's breaks count and its read of this):
    // a break either is seen here, or sees this snapshot and records it as pending (see BreakRecorder.markBrokenAway).
    preparedSnapshot = p;
    if (breaks.get() != p.breaksBefore()) {
      preparedSnapshot = null;
      discard(p);
      continuityBroken = true;
      throw new WalFormatException("the store checkpointed past the hard WAL limit since the snapshot was read; "
          + "starting over");
    }
    lease.renewIfDue();
    long size = Files.size(p.file());
    lastUploadNanos = System.nanoTime();
    try {
      uploads.put(p.key(), p.file(), size);
    } catch (DataUploads.ForeignBytesException foreign) {
      // Another writer's bytes at the key: this snapshot can never land there. The break is recorded
      // first (a failing delete must not undo it), then the snapshot dropped, so the next turn starts the
      // new lineage instead of retrying the same key forever.
      ReplicationException broken = foreignBytes(p.key());
      discard(p);
      throw broken;
    } catch (LeaseException lost) {
      discard(p);
      throw lost;
    }
    try {
      lease.renewIfDue(); // the upload may have outlived the lease: acknowledge only if nobody took over
    } catch (LeaseException fenced) {
      if (p.newLineage()) {
        uploads.deleteQuietly(db.name(), p.key()); // a fenced process's new lineage would sort after the holder's: never leave it
      }
      throw fenced;
    }
    discard(p);
    metrics.bytesUploaded.add(size);
    if (p.newLineage()) {
      createdLineage = p.lineage();
      heldLineage = p.lineage();
      bucketWins.held(p.lineage(), p.txid());
      lease.lineageStarted();
      if (breaks.get() == p.breaksBefore()) {
        bucketWins.forgetBreak();
      } else {
        // A break after its pin moved the files on from this lineage's snapshot: the record names it.
        bucketWins.relabel(p.lineage(), p.txid());
      }
      metrics.lineagesStarted.increment();
      log.info("database '{}': started lineage {} with a {}-page snapshot", db.name(), p.lineage(), p.pages());
    }
    lineage = p.lineage();
    lastTxid = p.txid();
    breakRecorder.reached(lineage, lastTxid);
    checksum = p.state();
    lastError = null;
    lastShipped = p.position();
    lastSnapshotMillis = p.takenMillis();
    uploadsAheadOfOverdueSnapshot = 0;
    committedSinceSnapshot = false;
    uploadedSinceRetention = true;
    metrics.snapshotsUploaded.increment();
    metrics.lastSnapshotMillis.set(p.takenMillis());
    metrics.lastUploadMillis.set(p.takenMillis());
    dropEventsThrough(p.storeTxid());
    progress.position(p.storeTxid(), new ReplicaPosition(p.lineage(), p.txid()));
    progress.replicated(p.storeTxid());
    progressed();
    compactor.flush(); // ranges up to the txid before the snapshot, then new ones from it
    compactor.restartAt(p.lineage(), p.txid(), p.state().value());
    chain.restart();
  }

  /** Writes a data object (see {@link DataUploads}); other bytes at its key end the lineage. */
  private void putData(String key, byte[] body) throws IOException {
    try {
      uploads.put(key, body);
    } catch (DataUploads.ForeignBytesException e) {
      throw foreignBytes(key);
    }
  }

  /**
   * Another process wrote into this lineage (a process that lost the lease and was fenced too late): the
   * lineage is left for a new one, and the local files are marked as leaving it on purpose.
   */
  private ReplicationException foreignBytes(String key) {
    String left = lineage;
    breakRecorder.markBrokenAwayHere(); // after a restart too, the local files continue no lineage on purpose
    if (left == null) {
      log.warn("database '{}': no lineage held when another writer's bytes were found", db.name());
    }
    continuityBroken = true;
    metrics.continuityBreaks.increment();
    return new ReplicationException("object '" + key + "' already holds other bytes: another process wrote into "
        + "lineage " + lineage + " (a process that lost the lease); starting a new lineage");
  }

  private String newestLineageInBucket() {
    String newest = lineage;
    for (String id : LineageCatalog.list(store, layout).keySet()) {
      newest = newest == null || id.compareTo(newest) > 0 ? id : newest;
    }
    return newest;
  }

  /** Forgets the commits through store txid {@code storeTxid}: they are in the bucket. */
  private void dropEventsThrough(long storeTxid) {
    for (Iterator<CommitEvent> it = pending.iterator(); it.hasNext(); ) {
      CommitEvent e = it.next();
      if (e.txid() <= storeTxid) {
        droppedMaxCommitMillis = Math.max(droppedMaxCommitMillis, e.commitTimeMillis());
        it.remove();
      } else {
        break;
      }
    }
  }

  /** The latest commit time of the commits this process shipped (or skipped): a snapshot holds them all. */
  private long droppedMaxCommitMillis;

  /**
   * The latest commit time of any commit up to store txid {@code through} this process saw, and at least
   * {@code pinMillis}: after the clock steps back the newest commit is not the latest, and a restore to a
   * time picks its base snapshot by this stamp (it must hold no commit after that time).
   */
  private long latestCommitMillisThrough(long through, long pinMillis) {
    long latest = Math.max(pinMillis, droppedMaxCommitMillis);
    for (CommitEvent e : pending) {
      if (e.txid() <= through) {
        latest = Math.max(latest, e.commitTimeMillis());
      }
    }
    return latest;
  }

  private WalReader openWal(WalPosition at) throws IOException {
    return WalReader.open((pos, dst) -> files.read(DatabaseFiles.Kind.WAL, pos, dst), at.salt1(), at.salt2());
  }

  // --- timing

  private boolean uploadDue() {
    return System.nanoTime() - lastUploadNanos >= options.minUploadInterval().toNanos();
  }

  /**
   * The interval is up, or the restore chain since the last snapshot has grown past its fraction of the
   * database (and the spacing has passed): snapshots by reason, never on an idle database (the caller
   * asks only with commits since the last one) and never a storm (the spacing).
   */
  private boolean snapshotDue() {
    long since = options.clock().millis() - lastSnapshotMillis;
    if (snapshotOverdue()) {
      return true;
    }
    if (since >= options.minSnapshotSpacing().toMillis() && chain.reached(options.snapshotChainFraction())) {
      log.info("database '{}': snapshot for the restore chain ({})", db.name(), chain);
      return true;
    }
    return false;
  }

  /** The snapshot interval is up: the one reason that goes ahead of shipping pending commits. */
  private boolean snapshotOverdue() {
    return options.clock().millis() - lastSnapshotMillis >= options.snapshotInterval().toMillis();
  }

  private boolean retentionDue() {
    return options.clock().millis() - lastRetentionMillis >= options.retentionCheckInterval().toMillis();
  }

  private void park() {
    boolean interrupted = !wakeups.park(() -> {
      if (urgency.raised() && pending.isEmpty()) {
        urgency.settle(); // nothing to spin for
      }
      return closing || urgency.due(closing) || continuityBroken || snapshotRequested;
    }, () -> {
      if (!pending.isEmpty()) {
        long untilDue = options.minUploadInterval().toNanos() - (System.nanoTime() - lastUploadNanos);
        return urgency.raised() ? Math.min(untilDue, urgency.nanosUntilDue()) : untilDue;
      }
      long wait = committedSinceSnapshot ? TimeUnit.SECONDS.toNanos(30) // re-check the snapshot schedule
          : Wakeups.FOREVER; // idle: no timers, no requests
      long windowEnd = compactor.nextWindowEnd();
      if (windowEnd != Long.MAX_VALUE) { // an open compaction window: close it when it ends
        long untilEnd = TimeUnit.MILLISECONDS.toNanos(Math.max(1, windowEnd - options.clock().millis()));
        wait = Math.min(wait, untilEnd);
      }
      return wait;
    });
    if (interrupted) {
      closing = true;
    }
  }

  /** While closing, failed retries wait this long: close stays prompt, and the bucket is not hammered. */
  private static final long CLOSING_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** Backs off after a failure; see {@link Wakeups#backOff}. */
  private void sleep(long nanos) {
    if (!wakeups.backOff(nanos, () -> closing)) {
      closing = true;
    }
  }
}
