package io.litevault.replication.restore;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.Fsync;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.FormatException;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.format.NetEffect;
import io.litevault.replication.format.PageFileWriter;
import io.litevault.replication.format.Segment;
import io.litevault.replication.format.SegmentCodec;
import io.litevault.replication.format.SnapshotCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a replicated database from a bucket (the MinIO replica or any backup tier: a tier is just
 * another prefix). Downloads the newest snapshot at or before the target and the segments after it,
 * verifies every object (CRC) and the whole chain (the database checksum before each segment must equal
 * the one after the previous transaction), writes a temporary file beside the output, runs SQLite's
 * integrity check, and only then renames it into place atomically. Cost grows with the segments since
 * the last snapshot, not with history.
 */
public final class Restore {
  private static final Logger log = LoggerFactory.getLogger(Restore.class);

  private Restore() {}

  /** Lineages and their restorable ranges, oldest first (one listing request per 1,000 objects). */
  public static List<LineageSummary> list(ObjectStore store, String prefix) {
    BucketLayout layout = new BucketLayout(prefix);
    List<LineageSummary> out = new ArrayList<>();
    for (LineageCatalog.Lineage l : LineageCatalog.list(store, layout).values()) {
      if (l.snapshots().isEmpty()) {
        continue;
      }
      long first = layout.parse(l.snapshots().get(0).key()).orElseThrow().firstTxid();
      long last = first;
      for (ObjectInfo o : l.snapshots()) {
        last = Math.max(last, layout.parse(o.key()).orElseThrow().lastTxid());
      }
      for (ObjectInfo o : l.segments()) {
        last = Math.max(last, layout.parse(o.key()).orElseThrow().lastTxid());
      }
      long bytes = l.snapshots().stream().mapToLong(ObjectInfo::size).sum() + l.segments().stream().mapToLong(ObjectInfo::size).sum();
      Instant from = l.snapshots().get(0).lastModified();
      Instant to = from;
      for (ObjectInfo o : l.segments()) {
        to = o.lastModified().isAfter(to) ? o.lastModified() : to;
      }
      for (ObjectInfo o : l.snapshots()) {
        to = o.lastModified().isAfter(to) ? o.lastModified() : to;
      }
      out.add(new LineageSummary(l.id(), l.snapshots().size(), l.segments().size(), first, last, from, to, bytes));
    }
    return out;
  }

  /**
   * One lineage: its snapshots and segments and the txid and (upload) time range that can be restored.
   */
  public record LineageSummary(String lineage, int snapshots, int segments, long firstTxid, long lastTxid,
      Instant firstUpload, Instant lastUpload, long bytes) {}

  /** What {@link #run} would download, without writing anything. */
  public static RestorePlan plan(RestoreOptions o) {
    return Planner.plan(o);
  }

  /**
   * Restores as {@code o} says.
   *
   * @throws RestoreException nothing to restore; the output (or a {@code -wal} beside it) exists, without
   *     force; the output is in use (a running store holds its directory, a process has the database open)
   *     or is not a regular file; a missing or corrupt object (naming it and the newest point still
   *     restorable); a failed integrity check
   * @throws ObjectStoreException the bucket failed
   */
  public static RestoreResult run(RestoreOptions o) {
    long t0 = System.nanoTime();
    RestoreTarget target = new RestoreTarget(o.output(), o.force());
    Path output = target.output();
    target.check(); // before anything is downloaded; again just before the rename
    RestorePlan plan = Planner.plan(o);
    Path tmp = target.temp();
    try {
      Fsync.createDirectories(target.directory());
      target.cleanOrphans();
      Files.createFile(tmp);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw new RestoreException(RestoreException.Kind.OUTPUT_IN_USE, "another restore to " + output + " is running in "
          + "this process (its temporary file " + tmp + " exists); wait for it to finish", null, e);
    } catch (IOException e) {
      throw new RestoreException(RestoreException.Kind.IO, "restore to " + output + " failed: " + e, null, e);
    }
    // Ctrl-C (or any orderly exit) mid-restore removes the temporary file; a kill -9 leaves it to the
    // next restore's orphan cleanup.
    Thread cleanup = new Thread(() -> deleteTemp(tmp), "litevault-restore-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    ExecutorService pool = Executors.newFixedThreadPool(o.parallelism(), r -> {
      Thread t = new Thread(r, "litevault-restore-download");
      t.setDaemon(true);
      return t;
    });
    try {
      long applyStart = System.nanoTime();
      Applied applied = apply(o, plan, tmp, pool);
      long synced = System.nanoTime();
      check(tmp, o.integrityCheck(), plan.lineage(), applied.txid);
      long checked = System.nanoTime();
      target.install(tmp);
      if (log.isDebugEnabled()) {
        log.debug("restore phases (s): plan {}, snapshot {}, segments {}, fsync {}, integrity check {}, rename {}",
            secs(applyStart - t0), secs(applied.snapshotDone - applyStart), secs(applied.segmentsDone - applied.snapshotDone),
            secs(synced - applied.segmentsDone), secs(checked - synced), secs(System.nanoTime() - checked));
      }
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      log.info("restored {} to {} at txid {} ({} objects, {} bytes, {} ms)", plan.lineage(), output, applied.txid,
          plan.objects(), plan.bytes(), took.toMillis());
      return new RestoreResult(plan.lineage(), applied.txid, Instant.ofEpochMilli(applied.timestampMillis), plan.bytes(),
          plan.objects(), took, output);
    } catch (IOException e) {
      throw new RestoreException(RestoreException.Kind.IO, "restore to " + output + " failed: " + e, null, e);
    } finally {
      pool.shutdownNow();
      deleteTemp(tmp);
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs (or ran) anyway
      }
    }
  }

  /** Deletes a restore's temporary file and SQLite's side files of it (after an install, only the latter exist). */
  private static void deleteTemp(Path tmp) {
    try {
      Files.deleteIfExists(tmp);
      for (String suffix : RestoreTarget.SIDE_FILES) {
        Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + suffix));
      }
    } catch (IOException e) {
      log.warn("could not delete {}", tmp, e);
    }
  }

  private static final class Applied {
    long txid;
    long timestampMillis;
    /** Phase ends (System.nanoTime), for the debug log. */
    long snapshotDone;
    long segmentsDone;
  }

  /**
   * A downloaded, verified segment: when the restore applies all of it, only its header and net effect
   * ({@code segment} null); otherwise every transaction, to be cut here. Page hashes are computed on the
   * download thread either way. {@code checksums} holds the database checksum after each transaction, for
   * comparing a segment that overlaps this one.
   */
  private record Prepared(SegmentCodec.Header header, Segment segment, NetEffect whole, long[] checksums) {
    /** The checksum this segment records after {@code txid}; {@code firstTxid - 1} gives its checksum before. */
    long checksumAfter(long txid) {
      return txid == header.firstTxid() - 1 ? header.checksumBefore() : checksums[(int) (txid - header.firstTxid())];
    }
  }

  /**
   * @param skipThrough the txid the chain has reached before this segment (the snapshot's, or the last
   *     txid of an earlier segment): transactions up to it are already applied, so a segment overlapping it
   *     is decoded transaction by transaction, to be cut
   */
  private static Prepared prepare(ObjectStore store, String key, long skipThrough, long targetTxid, Instant until) {
    try {
      byte[] body = download(store, key);
      SegmentCodec.Header h = SegmentCodec.peekHeader(new java.io.ByteArrayInputStream(body), key);
      if (!key.endsWith("/" + BucketLayout.hex(h.firstTxid()) + "-" + BucketLayout.hex(h.lastTxid()) + ".lvsg")) {
        throw new FormatException(key + ": its header holds txids " + h.firstTxid() + ".." + h.lastTxid()
            + ", not the ones its key names (a renamed object)");
      }
      if (h.firstTxid() > skipThrough && h.lastTxid() <= targetTxid
          && (until == null || h.lastTimestampMillis() <= until.toEpochMilli())) {
        SegmentCodec.NetSegment net = SegmentCodec.decodeNet(body, key);
        return new Prepared(net.header(), null, net.effect().hash(), net.checksumsAfter());
      }
      Segment seg = SegmentCodec.decode(body, key);
      return new Prepared(h, seg, null, seg.transactions().stream().mapToLong(Segment.Txn::checksumAfter).toArray());
    } catch (java.io.EOFException e) {
      throw new java.util.concurrent.CompletionException(new FormatException(key + ": truncated header"));
    } catch (IOException e) { // FormatException included
      throw new java.util.concurrent.CompletionException(e);
    }
  }

  /**
   * Writes the snapshot, then applies the segments in order. Downloads, decoding and the net effect of
   * each segment ({@link NetEffect}: last page versions, hashed) are prepared ahead on the pool (at most
   * {@code parallelism} segments in memory); this thread checks the chain and writes each segment's
   * pages once, in page order. Only a segment that the snapshot overlaps or the target txid/time cuts
   * is reduced here, to its applicable transactions.
   */
  private static Applied apply(RestoreOptions o, RestorePlan plan, Path tmp, ExecutorService pool) throws IOException {
    ObjectStore store = o.store();
    Applied applied = new Applied();
    DatabaseChecksum state = new DatabaseChecksum();
    try (FileChannel file = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      SnapshotCodec.Header h;
      PageFileWriter[] writer = new PageFileWriter[1];
      try (InputStream in = store.get(plan.snapshot())) {
        h = SnapshotCodec.read(in, plan.snapshot(), (pgno, page, hash) -> {
          if (writer[0] == null) {
            writer[0] = new PageFileWriter(file, page.length, pool); // the pool is idle until the segments
          }
          writer[0].write(pgno, page);
          state.setHash(pgno, hash);
        });
        if (writer[0] != null) {
          writer[0].flush();
        }
      } catch (FormatException e) {
        throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "snapshot " + plan.snapshot() + " is corrupt: "
            + e.getMessage() + "; restore an older point (Restore.list shows them)", null, e);
      } catch (ObjectNotFoundException e) {
        throw new RestoreException(RestoreException.Kind.MISSING_OBJECT, "snapshot " + plan.snapshot()
            + " disappeared during the restore (retention?); try again", null, e);
      }
      state.resize(h.dbSizePages());
      file.truncate((long) h.dbSizePages() * h.pageSize());
      applied.snapshotDone = System.nanoTime();
      int filePages = h.dbSizePages();
      PageFileWriter pages = new PageFileWriter(file, h.pageSize());
      applied.txid = h.txid();
      applied.timestampMillis = h.timestampMillis();
      Instant until = o.timestamp();
      // What the chain has verified last (the snapshot, then each segment applied): the checksums after
      // txids verifiedBase.., for comparing a segment that overlaps it.
      String verifiedKey = plan.snapshot();
      long verifiedBase = h.txid();
      long[] verifiedChecksums = {state.value()};
      BucketLayout layout = new BucketLayout(o.prefix());
      Deque<CompletableFuture<Prepared>> ahead = new ArrayDeque<>();
      int next = 0;
      long reached = h.txid(); // how far the segments handed to prepare reach
      for (int i = 0; i < plan.segments().size(); i++) {
        while (next < plan.segments().size() && ahead.size() < o.parallelism()) {
          String key = plan.segments().get(next++);
          long skipThrough = reached;
          long target = plan.targetTxid();
          reached = Math.max(reached, layout.parse(key).map(BucketLayout.Parsed::lastTxid).orElse(reached));
          ahead.add(CompletableFuture.supplyAsync(() -> prepare(store, key, skipThrough, target, until), pool));
        }
        String key = plan.segments().get(i);
        Prepared prepared;
        try {
          prepared = ahead.removeFirst().join();
        } catch (java.util.concurrent.CompletionException e) {
          Throwable c = e.getCause();
          if (c instanceof ObjectNotFoundException) {
            throw new RestoreException(RestoreException.Kind.MISSING_OBJECT, "segment " + key + " is missing; the newest "
                + "restorable point is txid " + applied.txid + " of lineage " + plan.lineage(),
                new ReplicaPosition(plan.lineage(), applied.txid), c);
          }
          if (c instanceof FormatException) {
            throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, c.getMessage() + "; the newest restorable "
                + "point is txid " + applied.txid + " of lineage " + plan.lineage(),
                new ReplicaPosition(plan.lineage(), applied.txid), c);
          }
          if (c instanceof RuntimeException re) {
            throw re;
          }
          throw new IOException(c);
        }
        long first = prepared.header().firstTxid();
        if (first > applied.txid + 1) { // a plan never has a gap; a hand-made one may
          throw new RestoreException(RestoreException.Kind.MISSING_OBJECT, "segment " + key + " starts at txid " + first
              + " but the chain before it ends at txid " + applied.txid + "; the newest restorable point is txid "
              + applied.txid, new ReplicaPosition(plan.lineage(), applied.txid), null);
        }
        if (first == applied.txid + 1 && prepared.header().checksumBefore() != state.value()) {
          throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "segment " + key + " does not continue the "
              + "chain (database checksum before it differs); the newest restorable point is txid " + applied.txid,
              new ReplicaPosition(plan.lineage(), applied.txid), null);
        }
        // A segment overlapping what is applied (a retried upload batched more commits under a new key):
        // both must record the same database after every transaction they share.
        long lastShared = Math.min(applied.txid, prepared.header().lastTxid());
        for (long t = Math.max(first - 1, verifiedBase); t <= lastShared; t++) {
          long theirs = verifiedChecksums[(int) (t - verifiedBase)];
          long ours = prepared.checksumAfter(t);
          if (ours != theirs) {
            throw disagreement(plan, verifiedKey, key, t, theirs, ours, applied.txid);
          }
        }
        if (prepared.header().lastTxid() <= applied.txid) {
          continue; // nothing new in it
        }
        NetEffect effect = prepared.whole();
        long lastTxid = prepared.header().lastTxid();
        long lastTimestamp = prepared.header().lastTimestampMillis();
        long checksumAfter = prepared.header().checksumAfter();
        int sizeAfter = prepared.header().dbSizePagesAfter();
        boolean reachedTarget = false;
        if (effect == null) { // overlapping what is applied, or cut by the target: the applicable transactions only
          List<Segment.Txn> txns = prepared.segment().transactions();
          int from = 0;
          while (from < txns.size() && txns.get(from).txid() <= applied.txid) {
            from++; // already applied: in the snapshot, or in the segment this one overlaps
          }
          int to = from;
          while (to < txns.size() && !beyond(txns.get(to), plan.targetTxid(), until)) {
            to++;
          }
          reachedTarget = to < txns.size();
          if (to == from) {
            if (reachedTarget) {
              break; // the target lies before this segment
            }
            continue;
          }
          effect = new NetEffect();
          txns.subList(from, to).forEach(effect::add);
          Segment.Txn last = txns.get(to - 1);
          lastTxid = last.txid();
          lastTimestamp = last.timestampMillis();
          checksumAfter = last.checksumAfter();
          sizeAfter = last.dbSizePages();
        }
        effect.applyTo(state);
        if (state.value() != checksumAfter) {
          throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "segment " + key + ": transactions up to "
              + lastTxid + " do not produce the database checksum recorded; the newest restorable point is txid "
              + applied.txid, new ReplicaPosition(plan.lineage(), applied.txid), null);
        }
        effect.applyTo(file, pages, filePages, h.pageSize());
        filePages = sizeAfter;
        applied.txid = lastTxid;
        applied.timestampMillis = lastTimestamp;
        verifiedKey = key;
        verifiedBase = first - 1;
        verifiedChecksums = new long[(int) (lastTxid - verifiedBase + 1)];
        for (int t = 0; t < verifiedChecksums.length; t++) {
          verifiedChecksums[t] = prepared.checksumAfter(verifiedBase + t);
        }
        if (reachedTarget) {
          break;
        }
      }
      applied.segmentsDone = System.nanoTime();
      file.force(true);
    }
    return applied;
  }

  /** Two objects of the chain record different databases after the same transaction {@code txid}. */
  private static RestoreException disagreement(RestorePlan plan, String earlier, String later, long txid, long earlierSum,
      long laterSum, long verifiedThrough) {
    String what = String.format(java.util.Locale.ROOT, "txid %d (database checksum after it %016x in %s, %016x in %s)",
        txid, earlierSum, earlier, laterSum, later);
    if (earlier.equals(plan.snapshot())) {
      return new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "segment " + later + " does not continue the "
          + "chain from snapshot " + earlier + ": they disagree about " + what + "; the newest restorable point is txid "
          + verifiedThrough, new ReplicaPosition(plan.lineage(), verifiedThrough), null);
    }
    return new RestoreException(RestoreException.Kind.CONFLICTING_SEGMENTS, "segments " + earlier + " and " + later
        + " overlap and disagree about " + what + ": the bucket holds two different versions of the same transactions, "
        + "which replication never writes (a foreign or damaged object). Restore txid " + verifiedThrough
        + ", the newest point the chain through " + earlier + " verifies, or inspect both objects and remove the one "
        + "that does not belong", new ReplicaPosition(plan.lineage(), verifiedThrough), null);
  }

  private static String secs(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.2f", nanos / 1e9);
  }

  /** Whether {@code t} is past the restore's target. */
  private static boolean beyond(Segment.Txn t, long targetTxid, Instant until) {
    return t.txid() > targetTxid || (until != null && t.timestampMillis() > until.toEpochMilli());
  }

  private static byte[] download(ObjectStore store, String key) {
    try (InputStream in = store.get(key)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("download of " + key + " failed: " + e.getMessage(), e);
    }
  }

  private static void check(Path file, IntegrityCheck check, String lineage, long txid) throws IOException {
    if (check == IntegrityCheck.NONE) {
      return;
    }
    String pragma = check == IntegrityCheck.FULL ? "integrity_check" : "quick_check";
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA " + pragma)) {
      List<String> problems = new ArrayList<>();
      while (rs.next()) {
        problems.add(rs.getString(1));
      }
      if (!problems.equals(List.of("ok"))) {
        throw new RestoreException(RestoreException.Kind.INTEGRITY, "the restored database (lineage " + lineage + ", txid "
            + txid + ") fails PRAGMA " + pragma + ": " + String.join("; ", problems.subList(0, Math.min(5, problems.size()))),
            null, null);
      }
    } catch (SQLException e) {
      throw new RestoreException(RestoreException.Kind.INTEGRITY, "the restored database (lineage " + lineage + ", txid "
          + txid + ") cannot be opened by SQLite: " + e.getMessage(), null, e);
    }
  }

  /** Chooses the lineage, snapshot and segments. */
  static final class Planner {
    private Planner() {}

    static RestorePlan plan(RestoreOptions o) {
      BucketLayout layout = new BucketLayout(o.prefix());
      Map<String, LineageCatalog.Lineage> all = LineageCatalog.list(o.store(), layout);
      List<LineageCatalog.Lineage> candidates = new ArrayList<>();
      for (LineageCatalog.Lineage l : all.values()) {
        if (!l.snapshots().isEmpty() && (o.lineage() == null || l.id().equals(o.lineage()))) {
          candidates.add(l);
        }
      }
      if (candidates.isEmpty()) {
        throw new RestoreException(RestoreException.Kind.NOTHING_TO_RESTORE, o.lineage() == null
            ? "nothing to restore under " + o.store().describe() + " prefix '" + o.prefix() + "' (no snapshot found)"
            : "no lineage " + o.lineage() + " with a snapshot under prefix '" + o.prefix() + "'", null, null);
      }
      java.util.Collections.reverse(candidates); // newest first
      if (o.txid() != null && o.lineage() == null) {
        candidates = candidates.subList(0, 1); // txids are per lineage: without one, the newest lineage's
      }
      for (LineageCatalog.Lineage l : candidates) {
        RestorePlan p = planIn(o, layout, l);
        if (p != null) {
          return p;
        }
      }
      throw new RestoreException(RestoreException.Kind.NO_SUCH_POINT, "no restorable point "
          + (o.txid() != null ? "at txid " + o.txid() : "at or before " + o.timestamp()) + " under prefix '" + o.prefix()
          + "' (Restore.list shows the restorable ranges)", null, null);
    }

    /** A segment object and the txids its key names. */
    private record Seg(ObjectInfo info, long first, long last) {}

    /**
     * The plan within one lineage, or null when the target is not in it.
     *
     * <p>Segments may overlap: a PUT that stored the object but lost its answer is retried by the shipper
     * with more commits batched, under a new key ({@code first..last'}). The chain is chosen greedily, which
     * gives the fewest objects: from the txid reached so far, take the segment starting at or before the
     * next txid that reaches furthest (or, once one reaches the target txid, the smallest of those that do).
     * The restore cuts the transactions a segment shares with the one before it, after checking that both
     * record the same database checksum after each of them.
     */
    private static RestorePlan planIn(RestoreOptions o, BucketLayout layout, LineageCatalog.Lineage l) {
      List<ObjectInfo> snaps = l.snapshots();
      ObjectInfo snap = null;
      long snapTxid = 0;
      for (int i = snaps.size() - 1; i >= 0 && snap == null; i--) {
        long t = layout.parse(snaps.get(i).key()).orElseThrow().lastTxid();
        boolean fits = o.txid() != null ? t <= o.txid()
            : o.timestamp() == null || snapshotTime(o.store(), snaps.get(i)) <= o.timestamp().toEpochMilli();
        if (fits) {
          snap = snaps.get(i);
          snapTxid = t;
        }
      }
      if (snap == null) {
        return null;
      }
      long target = o.txid() != null ? o.txid() : Long.MAX_VALUE;
      List<Seg> segs = new ArrayList<>();
      for (ObjectInfo s : l.segments()) {
        BucketLayout.Parsed p = layout.parse(s.key()).orElseThrow();
        if (p.lastTxid() > snapTxid) {
          segs.add(new Seg(s, p.firstTxid(), p.lastTxid()));
        }
      }
      segs.sort(java.util.Comparator.comparingLong(Seg::first).thenComparingLong(Seg::last));
      List<String> keys = new ArrayList<>();
      long bytes = snap.size();
      long covered = snapTxid;
      int next = 0;
      Seg furthest = null; // of the segments starting at or before covered + 1
      Seg smallestToTarget = null; // of those, the smallest that reaches the target
      while (covered < target) {
        while (next < segs.size() && segs.get(next).first() <= covered + 1) {
          Seg s = segs.get(next++);
          if (furthest == null || s.last() > furthest.last()
              || s.last() == furthest.last() && s.info().size() < furthest.info().size()) {
            furthest = s;
          }
          if (s.last() >= target && (smallestToTarget == null || s.info().size() < smallestToTarget.info().size())) {
            smallestToTarget = s;
          }
        }
        Seg pick = smallestToTarget != null ? smallestToTarget : furthest;
        if (pick == null || pick.last() <= covered) {
          break;
        }
        keys.add(pick.info().key());
        bytes += pick.info().size();
        covered = pick.last();
      }
      if (covered < target && next < segs.size()) {
        // A gap: segments go on after it, but the chain ends at `covered`. Asking for a later point must
        // fail loudly, never quietly restore an older state (a timestamp inside the chain is fine: the
        // chain reaches it). Every segment not yet reached starts past covered + 1.
        long resumesAt = segs.get(next).first();
        long reached = covered;
        // A later snapshot (a big transaction, a requested snapshot) continues the chain where segments
        // pause; a timestamp restore that did not take it as its base asked for a time before it.
        boolean snapshotContinues = o.timestamp() != null && snaps.stream()
            .mapToLong(sn -> layout.parse(sn.key()).orElseThrow().lastTxid())
            .anyMatch(t -> t > reached && t < resumesAt);
        boolean beyondChain = !snapshotContinues && (o.timestamp() == null || keys.isEmpty()
            || lastTimestamp(o.store(), keys.get(keys.size() - 1)) < o.timestamp().toEpochMilli());
        if (beyondChain) {
          throw new RestoreException(RestoreException.Kind.MISSING_OBJECT, "segments for txids " + (covered + 1) + ".."
              + (resumesAt - 1) + " of lineage " + l.id() + " are missing; the newest restorable point is txid "
              + covered, new ReplicaPosition(l.id(), covered), null);
        }
      }
      long last = covered;
      if (o.txid() != null && last < o.txid()) {
        throw new RestoreException(RestoreException.Kind.NO_SUCH_POINT, "lineage " + l.id() + " ends at txid " + last
            + ", before the requested txid " + o.txid() + " (txids count per lineage; Restore.list shows each lineage's range)",
            new ReplicaPosition(l.id(), last), null);
      }
      return new RestorePlan(l.id(), snap.key(), snapTxid, keys, o.txid() != null ? o.txid() : last, bytes);
    }

    /** A segment's last commit time, from its header (one small ranged read). */
    private static long lastTimestamp(ObjectStore store, String key) {
      try (InputStream in = store.get(key, 0, 512)) {
        return SegmentCodec.peekHeader(in, key).lastTimestampMillis();
      } catch (IOException e) {
        throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "cannot read the header of " + key + ": "
            + e.getMessage(), null, e);
      }
    }

    /** A snapshot's commit time, from its header (one small ranged read). */
    private static long snapshotTime(ObjectStore store, ObjectInfo snap) {
      try (InputStream in = store.get(snap.key(), 0, 512)) {
        return SnapshotCodec.readHeader(new DataInputStream(in), snap.key(), new long[1]).timestampMillis();
      } catch (IOException e) {
        throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "cannot read the header of " + snap.key() + ": "
            + e.getMessage(), null, e);
      }
    }
  }
}
