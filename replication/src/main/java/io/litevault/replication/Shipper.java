package io.litevault.replication;

import io.litevault.store.CommitEvent;
import io.litevault.store.Database;
import io.litevault.store.DatabaseFiles;
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

  /** A pinned commit boundary: the WAL end and the store txid there. */
  private record Pin(WalPosition position, long storeTxid) {}

  private final Database db;
  private final ReplicatorOptions options;
  private final ObjectStore store;
  private final BucketLayout layout;
  private final Lease lease;
  private final ReplicationMetrics metrics;
  private final Progress progress;
  private final Retention retention;
  private final DatabaseFiles files;
  private final Path workDir;

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
  private long lastUploadNanos;
  private long lastSnapshotMillis;
  private long lastRetentionMillis;
  private boolean uploadedSinceRetention;
  private boolean committedSinceSnapshot;

  Shipper(Database db, ReplicatorOptions options, Lease lease, ReplicationMetrics metrics, Progress progress) {
    this.db = db;
    this.options = options;
    this.store = options.store();
    this.layout = new BucketLayout(options.prefix());
    this.lease = lease;
    this.metrics = metrics;
    this.progress = progress;
    this.retention = new Retention(store, layout, metrics);
    this.files = db.files();
    this.workDir = options.workDirectory() != null ? options.workDirectory()
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
        if (lineage == null || continuityBroken) {
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
        backoff = options.retryBackoff().toNanos();
      } catch (LeaseException e) {
        lastError = e.getMessage();
        log.error("database '{}': {}", db.name(), e.getMessage());
        progress.failAll(e);
        return;
      } catch (Exception e) {
        metrics.uploadErrors.increment();
        lastError = e.toString();
        if (closing && lineage == null) {
          return;
        }
        log.warn("database '{}': replication step failed, retrying in {} ms: {}", db.name(),
            TimeUnit.NANOSECONDS.toMillis(backoff), e.toString());
        sleep(backoff);
        backoff = Math.min(backoff * 2, options.maxRetryBackoff().toNanos());
        if (closing && !pending.isEmpty() && backoff >= options.maxRetryBackoff().toNanos()) {
          log.error("database '{}': giving up shipping {} commit(s) at close: {}", db.name(), pending.size(), e.toString());
          return;
        }
      }
    }
  }

  // --- start: resume the newest lineage when the local files continue it, else a new one

  private void start() throws Exception {
    holdGate = true;
    lease.acquire();
    Files.createDirectories(workDir);
    if (!continuityBroken && resume()) {
      holdGate = false;
      db.requestCheckpoint();
      return;
    }
    continuityBroken = false;
    snapshot(true);
  }

  private boolean resume() throws Exception {
    LineageCatalog.Tip tip = LineageCatalog.newestTip(store, layout);
    if (tip == null) {
      return false;
    }
    Pin pin = pin();
    WalPosition p = tip.walEnd();
    DatabaseChecksum at;
    long catchUpFrom;
    if (p.offset() > WalPosition.WAL_HEADER_BYTES && pin.position().sameWal(p) && p.offset() <= pin.position().offset()) {
      at = PageReader.at(files, p).checksum();
      catchUpFrom = p.offset();
    } else if (!pin.position().sameWal(p) || p.offset() <= WalPosition.WAL_HEADER_BYTES) {
      at = PageReader.at(files, NOTHING).checksum(); // the main file alone: P's WAL was checkpointed
      catchUpFrom = WalPosition.WAL_HEADER_BYTES;
    } else {
      at = null;
      catchUpFrom = 0;
    }
    if (at == null || at.value() != tip.checksumAfter() || at.pages() != tip.dbSizePages()) {
      log.info("database '{}': local files do not continue lineage {} at txid {} (the database was restored, "
          + "changed by another process, or its WAL reset): starting a new lineage", db.name(), tip.lineage(), tip.txid());
      return false;
    }
    lineage = tip.lineage();
    lastTxid = tip.txid();
    checksum = at;
    lastShipped = catchUpFrom == WalPosition.WAL_HEADER_BYTES && !pin.position().sameWal(p)
        ? new WalPosition(pin.position().salt1(), pin.position().salt2(), WalPosition.WAL_HEADER_BYTES) : p;
    lastSnapshotMillis = tip.lastSnapshotMillis();
    dropEventsThrough(pin.storeTxid());
    if (pin.position().offset() > catchUpFrom) {
      WalReader wal = openWal(pin.position());
      List<Item> items = new ArrayList<>();
      for (WalTransaction tx : wal.read(catchUpFrom, pin.position().offset())) {
        items.add(new Item(tx, -1, options.clock().millis()));
      }
      uploadSegments(items, pin.position());
    }
    progress.position(pin.storeTxid(), new ReplicaPosition(lineage, lastTxid));
    progress.replicated(pin.storeTxid());
    log.info("database '{}': continuing lineage {} at txid {}", db.name(), lineage, lastTxid);
    return true;
  }

  // --- segments

  private void shipPending() throws Exception {
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
      if (wal == null || !wal.header().matches(e.walEnd())) {
        if (!items.isEmpty()) {
          break; // one WAL incarnation per upload keeps the bookkeeping simple
        }
        wal = openWal(e.walEnd());
      }
      List<WalTransaction> txs = wal.read(e.walStart().offset(), e.walEnd().offset());
      int pageSize = wal.header().pageSize();
      long size = txs.stream().mapToLong(t -> (long) t.pages().size() * pageSize).sum();
      if (size > options.maxSegmentBytes()) {
        if (items.isEmpty()) {
          snapshot(false); // a huge transaction (a VACUUM, a bulk load) goes as a snapshot
          return;
        }
        break;
      }
      if (!items.isEmpty() && bytes + size > options.maxSegmentBytes()) {
        break;
      }
      for (int i = 0; i < txs.size(); i++) {
        items.add(new Item(txs.get(i), i == txs.size() - 1 ? e.txid() : -1, e.commitTimeMillis()));
      }
      bytes += size;
      end = e.walEnd();
      lastEventTxid = e.txid();
    }
    if (!items.isEmpty()) {
      uploadSegments(items, end);
      dropEventsThrough(lastEventTxid);
    }
  }

  private boolean contiguous(WalPosition shipped, WalPosition start) {
    return shipped.sameWal(start) ? shipped.offset() == start.offset()
        : start.offset() == WalPosition.WAL_HEADER_BYTES;
  }

  /** Uploads {@code items} as one segment ending at WAL position {@code end}; updates the state on success. */
  private void uploadSegments(List<Item> items, WalPosition end) throws Exception {
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
    lease.renewIfDue();
    store.put(layout.segment(lineage, segment.firstTxid(), txid), body);
    checksum = next;
    lastTxid = txid;
    lastShipped = end;
    lastError = null; // before the futures complete: a caller woken by them sees a healthy replicator
    progressed();
    lastUploadNanos = System.nanoTime();
    uploadedSinceRetention = true;
    committedSinceSnapshot = true;
    metrics.segmentsUploaded.increment();
    metrics.bytesUploaded.add(body.length);
    metrics.transactionsShipped.add(txns.size());
    metrics.lastUploadMillis.set(options.clock().millis());
    long storeTxid = -1;
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i).storeTxid() >= 0) {
        storeTxid = items.get(i).storeTxid();
        progress.position(storeTxid, new ReplicaPosition(lineage, segment.firstTxid() + i));
      }
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
   */
  private void snapshot(boolean newLineage) throws Exception {
    holdGate = true;
    try {
      int breaksBefore = breaks.get();
      Pin pin = pin();
      PageReader pages = PageReader.at(files, pin.position());
      String target = newLineage ? BucketLayout.newLineage(options.clock().instant(), newestLineageInBucket()) : lineage;
      long txid = newLineage ? 1 : lastTxid + 1;
      Path tmp = workDir.resolve("snapshot-" + target + "-" + txid + ".tmp");
      DatabaseChecksum state = new DatabaseChecksum();
      long now = options.clock().millis();
      try {
        SnapshotCodec.write(tmp, new SnapshotCodec.Header(options.codec(), pages.pageSize(), pages.dbSizePages(), txid,
            now, pin.position(), target), pgno -> {
              byte[] page = pages.page(pgno);
              state.set(pgno, page);
              return page;
            });
        state.resize(pages.dbSizePages());
        if (breaks.get() != breaksBefore) {
          // The store forced a checkpoint while we read: the files moved under us. Start over.
          continuityBroken = true;
          throw new WalFormatException("the store checkpointed past the hard WAL limit during a snapshot; retrying");
        }
        lease.renewIfDue();
        long size = Files.size(tmp);
        try (InputStream in = Files.newInputStream(tmp)) {
          store.put(layout.snapshot(target, txid), in, size);
        }
        metrics.bytesUploaded.add(size);
      } finally {
        Files.deleteIfExists(tmp);
      }
      if (newLineage) {
        metrics.lineagesStarted.increment();
        log.info("database '{}': started lineage {} with a {}-page snapshot", db.name(), target, pages.dbSizePages());
      }
      lineage = target;
      lastTxid = txid;
      checksum = state;
      lastError = null;
      lastShipped = pin.position();
      lastSnapshotMillis = now;
      committedSinceSnapshot = false;
      uploadedSinceRetention = true;
      metrics.snapshotsUploaded.increment();
      metrics.lastSnapshotMillis.set(now);
      metrics.lastUploadMillis.set(now);
      lastUploadNanos = System.nanoTime();
      dropEventsThrough(pin.storeTxid());
      progress.position(pin.storeTxid(), new ReplicaPosition(target, txid));
      progress.replicated(pin.storeTxid());
    } finally {
      holdGate = false;
    }
    db.requestCheckpoint();
  }

  private String newestLineageInBucket() {
    String newest = lineage;
    for (String id : LineageCatalog.list(store, layout).keySet()) {
      newest = newest == null || id.compareTo(newest) > 0 ? id : newest;
    }
    return newest;
  }

  /** A commit boundary, taken on the store's writer thread (its commits before it are in {@link #pending}). */
  private Pin pin() throws Exception {
    return db.atCommitBoundary(pos -> new Pin(pos, db.lastTxid())).get(60, TimeUnit.SECONDS);
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

  private void sleep(long nanos) {
    lock.lock();
    try {
      if (!closing) {
        wake.awaitNanos(nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closing = true;
    } finally {
      lock.unlock();
    }
  }
}
