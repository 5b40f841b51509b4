package io.litevault.replication;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.format.Segment;
import io.litevault.replication.format.SegmentCodec;
import io.litevault.replication.format.SnapshotCodec;
import io.litevault.store.CommitEvent;
import io.litevault.store.Database;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.ReadPin;
import io.litevault.store.ReplicationPort;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
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

  /** One transaction to ship; {@code storeTxid} is the store's id when it ends a commit event, else -1. */
  private record Item(WalTransaction tx, long storeTxid, long timestampMillis) {}

  /**
   * A segment built but not yet known to be in the bucket. A failed put may have stored it with its
   * answer lost, so it is retried as is — same key, same bytes — before anything else is shipped:
   * batching more commits into the retry would leave overlapping segments behind.
   */
  private record PreparedSegment(String key, byte[] body, Segment segment, DatabaseChecksum after, List<Item> items,
      WalPosition end, long lastEventTxid) {}

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

  final ConcurrentLinkedQueue<CommitEvent> pending = new ConcurrentLinkedQueue<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final Condition progressMade = lock.newCondition();
  private volatile boolean urgent;
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
  private PreparedSnapshot preparedSnapshot;
  private boolean orphansCleaned;
  private long lastUploadNanos;
  private long lastSnapshotMillis;
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
    this.retention = new Retention(store, layout, metrics);
    this.files = port.files();
    this.workDir = workDirectory(db, options);
    this.bucketWins = new BucketWins(db.name(), store, layout, workDir, options.allowFork());
  }

  /** The replicator's own files for {@code db}: the configured directory, or {@code .litevault/<name>} beside it. */
  static Path workDirectory(Database db, ReplicatorOptions options) {
    return options.workDirectory() != null ? options.workDirectory()
        : db.path().resolveSibling(".litevault").resolve(db.name());
  }

  /** What the checkpoint gate reports. */
  WalPosition safePosition() {
    return holdGate ? NOTHING : lastShipped;
  }

  void offer(CommitEvent e) {
    pending.add(e);
    signal(false);
  }

  void signal(boolean urgentUpload) {
    if (urgentUpload) {
      urgent = true;
    }
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  void close() {
    closing = true;
    signal(true);
  }

  /** Waits up to {@code millis} for the shipper to make progress (for a caller polling safePosition). */
  void awaitProgress(long millis) {
    lock.lock();
    try {
      progressMade.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  private void progressed() {
    lock.lock();
    try {
      progressMade.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void run() {
    long backoff = options.retryBackoff().toNanos();
    while (true) {
      try {
        if (preparedSnapshot != null) {
          landSnapshot(preparedSnapshot);
        } else if (preparedSegment != null && !continuityBroken) {
          landSegment(preparedSegment);
        } else if (lineage == null || continuityBroken) {
          if (closing && lineage == null) {
            return;
          }
          start();
        } else if (!pending.isEmpty() && (urgent || closing || uploadDue())) {
          urgent = false;
          shipPending();
        } else if (closing) {
          return;
        } else if (snapshotRequested) {
          snapshotRequested = false;
          snapshot(false);
        } else if (pending.isEmpty() && committedSinceSnapshot && snapshotDue()) {
          snapshot(false); // only with new data since the last one: never a loop on an idle database
        } else {
          park();
          continue;
        }
        lastError = null;
        bugStreak = 0;
        backoff = options.retryBackoff().toNanos();
      } catch (LeaseException e) {
        lastError = e.getMessage();
        log.error("database '{}': {}", db.name(), e.getMessage());
        progress.failAll(e);
        return;
      } catch (LocalBehindBucketException e) {
        lastError = e.getMessage();
        log.error("database '{}': {}", db.name(), e.getMessage());
        progress.failAll(e);
        return;
      } catch (Error e) {
        // An OutOfMemoryError or worse: never die silently with REPLICATED writes waiting forever.
        lastError = e.toString();
        log.error("database '{}': replication stopped: {}", db.name(), e.toString(), e);
        progress.failAll(new ReplicationException("replication of '" + db.name() + "' stopped: " + e, e));
        return;
      } catch (NullPointerException | ClassCastException | IndexOutOfBoundsException | ArithmeticException e) {
        // A bug, not a fault of the bucket or the disk: logged with its stack trace every time, retried a
        // few times (a race may pass), then replication stops loudly instead of retrying it forever while
        // REPLICATED writes wait.
        lastError = e.toString();
        if (++bugStreak >= MAX_BUG_RETRIES) {
          log.error("database '{}': replication stopped by a bug ({} times in a row): {}", db.name(), bugStreak,
              e.toString(), e);
          progress.failAll(new ReplicationException("replication of '" + db.name() + "' stopped by a bug: " + e, e));
          return;
        }
        log.error("database '{}': replication step failed by a bug, retrying in {} ms", db.name(),
            TimeUnit.NANOSECONDS.toMillis(backoff), e);
        sleep(backoff);
        backoff = Math.min(backoff * 2, options.maxRetryBackoff().toNanos());
      } catch (Exception e) {
        metrics.uploadErrors.increment();
        lastError = e.toString();
        if (closing && lineage == null) {
          return;
        }
        if (backoff == options.retryBackoff().toNanos()) { // the first failure of a streak: with its stack trace
          log.warn("database '{}': replication step failed, retrying in {} ms", db.name(),
              TimeUnit.NANOSECONDS.toMillis(backoff), e);
        } else {
          log.warn("database '{}': replication step failed, retrying in {} ms: {}", db.name(),
              TimeUnit.NANOSECONDS.toMillis(backoff), e.toString());
        }
        sleep(closing ? Math.min(backoff, CLOSING_BACKOFF_NANOS) : backoff);
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
      LineageCatalog.Tip tip = LineageCatalog.newestTip(store, layout);
      if (tip != null) {
        bucketWins.refuseIfBehind(tip, List.of());
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

  private boolean resume() throws Exception {
    breaksAtResume = breaks.get();
    LineageCatalog.Tip tip = LineageCatalog.newestTip(store, layout);
    if (tip == null) {
      return false;
    }
    boolean resumed;
    catchUpWithSnapshot = false;
    try (ReadPin pin = pin()) {
      resumed = resumeAt(tip, pin);
    }
    if (resumed && catchUpWithSnapshot) {
      snapshot(false); // covers every commit up to its own pin; events after it ship as segments
    }
    return resumed;
  }

  /**
   * The states the local file may have been in when this process opened it, before the writes it made
   * since (the application may write before the replicator has looked): the pinned state; the main
   * file alone (the state before the first commit into a fresh WAL, while the gate kept checkpoints
   * from copying anything since); the state before the first commit this replicator was told about.
   * Each is read under the pin, so each is a real state or a mix that matches nothing.
   */
  private List<DatabaseChecksum> localStatesAtStart(ReadPin pin) throws IOException {
    List<DatabaseChecksum> states = new ArrayList<>();
    states.add(PageReader.pinned(files, pin).checksum());
    if (!pin.mainFileComplete()) {
      states.add(PageReader.at(files, NOTHING).checksum());
      CommitEvent first = pending.peek();
      if (first != null && first.walStart().sameWal(pin.position())
          && first.walStart().offset() > WalHeader.BYTES) {
        states.add(PageReader.at(files, first.walStart()).checksum());
      }
    }
    return states;
  }

  /**
   * Records, durably and before the files move on, that the local database is leaving the current
   * lineage behind on purpose (see {@link BucketWins}).
   */
  void markBrokenAway() {
    String held = lineage != null ? lineage : heldLineage;
    if (held != null) {
      bucketWins.markBrokenAway(held);
      return;
    }
    // No lineage held yet: keep the states the files may have had when this process opened them (as
    // localStatesAtStart: the main file alone, which the gates kept since the store opened, and the
    // state before the first commit this replicator saw), to compare with the bucket later.
    try {
      List<DatabaseChecksum> states = new ArrayList<>();
      states.add(PageReader.at(files, NOTHING).checksum());
      CommitEvent first = pending.peek();
      if (first != null && first.walStart().offset() > WalHeader.BYTES) {
        states.add(PageReader.at(files, first.walStart()).checksum());
      }
      bucketWins.markBrokenAwayFrom(states);
    } catch (IOException | RuntimeException e) {
      log.warn("database '{}': could not record the state before a continuity break", db.name(), e);
    }
  }

  /** A bug (a NullPointerException, say) is retried this many times in a row at most; see {@link #run}. */
  static final int MAX_BUG_RETRIES = 3;
  private int bugStreak;

  /** {@link #breaks} when the current resume began. */
  private int breaksAtResume;

  /** {@link #breaks} when the last {@link #start} began: a loss of frames with none announced since is unexplained. */
  private int breaksAtStart;

  /** The last lineage this process held (resumed or started); never cleared. */
  private volatile String heldLineage;


  /**
   * Data objects up to this size are written create-only (one part on every store: S3's minimum part is
   * 5 MiB); larger ones, rare (a snapshot, a segment of big transactions), with a plain put.
   */
  static final int CREATE_ONLY_MAX_BYTES = 5 << 20;
  /** The lineage this process started, which it may continue whatever the lease's history. */
  private String createdLineage;

  /** Set by {@link #resumeAt} when the commits to catch up are more than a segment holds. */
  private boolean catchUpWithSnapshot;

  private boolean resumeAt(LineageCatalog.Tip tip, ReadPin pin) throws Exception {
    WalPosition p = tip.walEnd();
    DatabaseChecksum at;
    long catchUpFrom;
    if (p.offset() > WalHeader.BYTES && pin.position().sameWal(p) && p.offset() <= pin.position().offset()) {
      at = PageReader.at(files, p).checksum(); // frames are salt-checked: a WAL restarted meanwhile fails
      catchUpFrom = p.offset();
    } else if (!pin.position().sameWal(p) || p.offset() <= WalHeader.BYTES) {
      at = PageReader.at(files, NOTHING).checksum(); // the main file alone: P's WAL was checkpointed
      catchUpFrom = WalHeader.BYTES;
    } else {
      at = null;
      catchUpFrom = 0;
    }
    if (at == null || at.value() != tip.checksumAfter() || at.pages() != tip.dbSizePages()) {
      bucketWins.refuseIfBehind(tip, localStatesAtStart(pin));
      log.info("database '{}': local files do not continue lineage {} at txid {} (a fork was allowed, or this "
          + "process broke away from it): starting a new lineage", db.name(), tip.lineage(), tip.txid());
      return false;
    }
    if (!lease.continuationSafe() && !tip.lineage().equals(createdLineage)) {
      log.info("database '{}': lineage {} belongs to a process whose lease expired but which may still be running "
          + "elsewhere: starting a new lineage from the same state instead of writing beside it", db.name(), tip.lineage());
      return false;
    }
    lineage = tip.lineage();
    heldLineage = lineage;
    lastTxid = tip.txid();
    checksum = at;
    lastShipped = catchUpFrom == WalHeader.BYTES && !pin.position().sameWal(p)
        ? new WalPosition(pin.position().salt1(), pin.position().salt2(), WalHeader.BYTES) : p;
    lastSnapshotMillis = tip.lastSnapshotMillis();
    dropEventsThrough(pin.txid());
    if (pin.position().offset() > catchUpFrom) {
      WalReader wal = openWal(pin.position());
      long frames = (pin.position().offset() - catchUpFrom) / wal.header().frameSize();
      if (frames * wal.header().pageSize() > options.maxSegmentBytes()) {
        // More than one segment's worth to catch up: a snapshot of the lineage streams it from disk
        // instead of reading it all into the heap.
        log.info("database '{}': continuing lineage {} at txid {} with a snapshot ({} frames to catch up)",
            db.name(), lineage, lastTxid, frames);
        catchUpWithSnapshot = true;
        return true;
      }
      List<Item> items = new ArrayList<>();
      for (WalTransaction tx : wal.read(catchUpFrom, pin.position().offset())) {
        items.add(new Item(tx, -1, options.clock().millis()));
      }
      try {
        landSegment(prepareSegment(items, pin.position(), pin.txid()));
      } catch (Exception | Error e) {
        // Not resumed until the catch-up is in the bucket: the next try starts over from the bucket's
        // tip (which has the segment if only the answer was lost), completes the futures through the
        // pin, and releases the gate. Kept half-resumed, nothing would do either.
        lineage = null;
        preparedSegment = null;
        throw e;
      }
    }
    if (breaks.get() == breaksAtResume) {
      // The files continue the lineage: a break recorded earlier did not move them (a checkpoint a reader
      // kept from running, a kill -9 before it), and a marker left standing would excuse a later rollback.
      bucketWins.forgetBreak();
    }
    // The gate opens before the futures complete: a caller woken by them may checkpoint at once.
    holdGate = false;
    progress.position(pin.txid(), new ReplicaPosition(lineage, lastTxid));
    progress.replicated(pin.txid());
    log.info("database '{}': continuing lineage {} at txid {}", db.name(), lineage, lastTxid);
    return true;
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
      retention.apply(lineage, options.clock().instant().minus(options.retention()));
    }
  }

  private void shipPendingOnce() throws Exception {
    List<Item> items = new ArrayList<>();
    long bytes = 0;
    WalPosition end = lastShipped;
    WalReader wal = null;
    long lastEventTxid = -1;
    for (CommitEvent e : pending) {
      if (!contiguous(end, e.walStart())) {
        log.warn("database '{}': commit {} starts at {} but replication is at {}: starting a new lineage",
            db.name(), e.txid(), e.walStart(), end);
        continuityBroken = true;
        return;
      }
      // The size from the WAL offsets, before reading anything: a huge transaction is never read whole
      // into the heap.
      long size = (e.walEnd().offset() - e.walStart().offset())
          / (WalHeader.FRAME_HEADER_BYTES + e.pageSize()) * e.pageSize();
      if (size > options.maxSegmentBytes()) {
        if (items.isEmpty()) {
          snapshot(false); // a huge transaction (a VACUUM, a bulk load) goes as a snapshot, streamed from disk
          return;
        }
        break;
      }
      if (!items.isEmpty() && bytes + size > options.maxSegmentBytes()) {
        break;
      }
      List<WalTransaction> txs;
      try {
        if (wal == null || !wal.header().matches(e.walEnd())) {
          if (!items.isEmpty()) {
            break; // one WAL incarnation per upload keeps the bookkeeping simple
          }
          wal = openWal(e.walEnd());
        }
        txs = wal.read(e.walStart().offset(), e.walEnd().offset());
      } catch (WalFormatException unreadable) {
        lostFrames(e, unreadable);
        return;
      }
      for (int i = 0; i < txs.size(); i++) {
        items.add(new Item(txs.get(i), i == txs.size() - 1 ? e.txid() : -1, e.commitTimeMillis()));
      }
      bytes += size;
      end = e.walEnd();
      lastEventTxid = e.txid();
    }
    if (!items.isEmpty()) {
      landSegment(prepareSegment(items, end, lastEventTxid));
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
    markBrokenAway();
    continuityBroken = true;
  }

  private boolean contiguous(WalPosition shipped, WalPosition start) {
    return shipped.sameWal(start) ? shipped.offset() == start.offset()
        : start.offset() == WalHeader.BYTES;
  }

  /** Builds the segment of {@code items}, ending at WAL position {@code end}; nothing is uploaded yet. */
  private PreparedSegment prepareSegment(List<Item> items, WalPosition end, long lastEventTxid) throws IOException {
    DatabaseChecksum next = checksum.copy();
    long before = next.value();
    List<Segment.Txn> txns = new ArrayList<>(items.size());
    long txid = lastTxid;
    int pageSize = 0;
    for (Item item : items) {
      WalTransaction tx = item.tx();
      next.resize(tx.dbSizePages());
      tx.pages().forEach(next::set);
      next.resize(tx.dbSizePages());
      txid++;
      txns.add(new Segment.Txn(txid, item.timestampMillis(), tx.dbSizePages(), next.value(), tx.pages()));
      pageSize = tx.pages().values().iterator().next().length;
    }
    Segment segment = new Segment(lineage, pageSize, before, txns, end);
    byte[] body = SegmentCodec.encode(segment, options.codec());
    return new PreparedSegment(layout.segment(lineage, segment.firstTxid(), txid), body, segment, next, items, end,
        lastEventTxid);
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
    List<Item> items = s.items();
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
      boolean done = false;
      try {
        // Stamped with the time of the newest commit it holds, as segments stamp their transactions:
        // a restore to a time just after that commit must find this snapshot, not an older point.
        long stamp = pin.commitMillis() > 0 ? pin.commitMillis() : now;
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

  /**
   * Uploads a snapshot read earlier and, once the bucket has it, moves the state on. A failed upload
   * keeps the file for a retry with the same key and bytes; a forced checkpoint since the read (the
   * frames after its pin may be gone) discards it and starts a new lineage instead.
   */
  private void landSnapshot(PreparedSnapshot p) throws Exception {
    if (breaks.get() != p.breaksBefore()) {
      preparedSnapshot = null;
      Files.deleteIfExists(p.file());
      continuityBroken = true;
      throw new WalFormatException("the store checkpointed past the hard WAL limit since the snapshot was read; "
          + "starting over");
    }
    preparedSnapshot = p;
    lease.renewIfDue();
    long size = Files.size(p.file());
    lastUploadNanos = System.nanoTime();
    if (size <= CREATE_ONLY_MAX_BYTES) {
      try {
        putData(p.key(), Files.readAllBytes(p.file()));
      } catch (ReplicationException foreign) {
        // Another writer's bytes at the key: this snapshot can never land there. Dropped, so the next
        // turn starts the new lineage putData asked for instead of retrying the same key forever.
        preparedSnapshot = null;
        Files.deleteIfExists(p.file());
        throw foreign;
      }
    } else {
      try (InputStream in = Files.newInputStream(p.file())) {
        store.put(p.key(), in, size);
      }
    }
    try {
      lease.renewIfDue(); // the upload may have outlived the lease: acknowledge only if nobody took over
    } catch (LeaseException fenced) {
      if (p.newLineage()) {
        deleteQuietly(p.key()); // a fenced process's new lineage would sort after the holder's: never leave it
      }
      throw fenced;
    }
    preparedSnapshot = null;
    Files.deleteIfExists(p.file());
    metrics.bytesUploaded.add(size);
    if (p.newLineage()) {
      createdLineage = p.lineage();
      heldLineage = p.lineage();
      lease.lineageStarted();
      if (breaks.get() == p.breaksBefore()) {
        bucketWins.forgetBreak(); // else a break after its pin is still ahead of this lineage: keep it
      }
      metrics.lineagesStarted.increment();
      log.info("database '{}': started lineage {} with a {}-page snapshot", db.name(), p.lineage(), p.pages());
    }
    lineage = p.lineage();
    lastTxid = p.txid();
    checksum = p.state();
    lastError = null;
    lastShipped = p.position();
    lastSnapshotMillis = p.takenMillis();
    committedSinceSnapshot = false;
    uploadedSinceRetention = true;
    metrics.snapshotsUploaded.increment();
    metrics.lastSnapshotMillis.set(p.takenMillis());
    metrics.lastUploadMillis.set(p.takenMillis());
    dropEventsThrough(p.storeTxid());
    progress.position(p.storeTxid(), new ReplicaPosition(p.lineage(), p.txid()));
    progress.replicated(p.storeTxid());
    progressed();
  }

  /**
   * Writes a data object. Up to {@link #CREATE_ONLY_MAX_BYTES} with a create-only put: a key that already
   * holds these bytes is our own earlier attempt whose answer was lost; a key holding other bytes was
   * written by another process. Then either this process lost the lease ({@link LeaseException}), or a
   * fenced process wrote into this lineage before it stopped, and the lineage is left for a new one.
   */
  private void putData(String key, byte[] body) throws IOException {
    if (body.length > CREATE_ONLY_MAX_BYTES) {
      store.put(key, body);
      return;
    }
    if (store.putIfAbsent(key, body) || storedEquals(key, body)) {
      return;
    }
    lease.confirm();
    bucketWins.markBrokenAway(lineage); // after a restart too, the local files continue no lineage on purpose
    continuityBroken = true;
    metrics.continuityBreaks.increment();
    throw new ReplicationException("object '" + key + "' already holds other bytes: another process wrote into "
        + "lineage " + lineage + " (a process that lost the lease); starting a new lineage");
  }

  private boolean storedEquals(String key, byte[] body) throws IOException {
    try (InputStream in = store.get(key)) {
      return java.util.Arrays.equals(in.readNBytes(body.length + 1), body);
    } catch (ObjectNotFoundException e) {
      return false;
    }
  }

  private void deleteQuietly(String key) {
    try {
      store.delete(key);
    } catch (RuntimeException e) {
      log.error("database '{}': could not delete {} written after the lease was lost", db.name(), key, e);
    }
  }

  private String newestLineageInBucket() {
    String newest = lineage;
    for (String id : LineageCatalog.list(store, layout).keySet()) {
      newest = newest == null || id.compareTo(newest) > 0 ? id : newest;
    }
    return newest;
  }

  /**
   * A read transaction at a commit boundary, begun on the store's writer thread (its commits before it
   * are in {@link #pending}).
   */
  private ReadPin pin() throws Exception {
    java.util.concurrent.CompletableFuture<ReadPin> pending = port.pin();
    try {
      return pending.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
      // The request stays queued on the writer: a pin begun after we gave up must still be closed, or
      // its read transaction would stop every checkpoint for good.
      pending.cancel(false);
      pending.thenAccept(ReadPin::close);
      throw e;
    }
  }

  /** Forgets the commits through store txid {@code storeTxid}: they are in the bucket. */
  private void dropEventsThrough(long storeTxid) {
    for (Iterator<CommitEvent> it = pending.iterator(); it.hasNext(); ) {
      if (it.next().txid() <= storeTxid) {
        it.remove();
      } else {
        break;
      }
    }
  }

  private WalReader openWal(WalPosition at) throws IOException {
    return WalReader.open((pos, dst) -> files.read(DatabaseFiles.Kind.WAL, pos, dst), at.salt1(), at.salt2());
  }

  // --- timing

  private boolean uploadDue() {
    return System.nanoTime() - lastUploadNanos >= options.minUploadInterval().toNanos();
  }

  private boolean snapshotDue() {
    return options.clock().millis() - lastSnapshotMillis >= options.snapshotInterval().toMillis();
  }

  private boolean retentionDue() {
    return options.clock().millis() - lastRetentionMillis >= options.retentionCheckInterval().toMillis();
  }

  private void park() {
    lock.lock();
    try {
      if (urgent && pending.isEmpty()) {
        urgent = false; // what it hurried is shipped: nothing to spin for
      }
      if (closing || urgent || continuityBroken || snapshotRequested) {
        return;
      }
      if (!pending.isEmpty()) {
        long wait = options.minUploadInterval().toNanos() - (System.nanoTime() - lastUploadNanos);
        if (wait > 0) {
          wake.awaitNanos(wait);
        }
      } else if (committedSinceSnapshot) {
        wake.awaitNanos(TimeUnit.SECONDS.toNanos(30)); // re-check the snapshot schedule
      } else {
        wake.await(); // idle: no timers, no requests
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closing = true;
    } finally {
      lock.unlock();
    }
  }

  /** While closing, failed retries wait this long: close stays prompt, and the bucket is not hammered. */
  private static final long CLOSING_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /**
   * Backs off after a failure. Only the start of a close cuts it short; other signals (new commits) do
   * not, and neither does being closed already (a failing retry would otherwise spin on the bucket).
   */
  private void sleep(long nanos) {
    lock.lock();
    try {
      boolean wasClosing = closing;
      long left = nanos;
      while (left > 0 && closing == wasClosing) {
        left = wake.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closing = true;
    } finally {
      lock.unlock();
    }
  }
}
