package io.litevault.replication.restore;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import io.litevault.bucket.OperationStats;
import io.litevault.bucket.fs.Fsync;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.ReplicaPosition;
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
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a replicated database from a bucket (the MinIO replica or any backup tier: a tier is just
 * another prefix). Cost grows with the segments since the last snapshot, not with history. The steps, each
 * in one place:
 * <ol>
 * <li>plan ({@link Planner}): the lineage, the newest snapshot at or before the target, the segments after it;
 * <li>fetch the snapshot ({@link SnapshotFetch}) into a temporary file beside the output;
 * <li>fetch the segments ({@link SegmentDownloads}, {@link DownloadedSegment}): downloaded, CRC-checked and
 *     decoded ahead on a pool;
 * <li>cut at the target ({@link Cut}): a segment's transactions up to the txid or time asked for;
 * <li>verify the chain and the checksum ({@link Chain}): each segment continues the database checksum of the
 *     one before, and its applied transactions produce the checksum it records; then write the pages
 *     ({@link PageFile});
 * <li>SQLite's integrity check, then the atomic rename into place ({@link RestoreTarget}).
 * </ol>
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
      long bytes = l.all().stream().mapToLong(ObjectInfo::size).sum();
      java.util.TreeMap<Integer, Integer> levels = new java.util.TreeMap<>();
      for (ObjectInfo o : l.ranges()) {
        levels.merge(layout.parse(o.key()).orElseThrow().level(), 1, Integer::sum);
      }
      Instant from = l.snapshots().get(0).lastModified();
      Instant to = from;
      for (ObjectInfo o : l.segments()) {
        to = o.lastModified().isAfter(to) ? o.lastModified() : to;
      }
      for (ObjectInfo o : l.snapshots()) {
        to = o.lastModified().isAfter(to) ? o.lastModified() : to;
      }
      out.add(new LineageSummary(l.id(), l.snapshots().size(), l.segments().size(), first, last, from, to, bytes,
          levels));
    }
    return out;
  }

  /**
   * One lineage: its snapshots and segments and the txid and (upload) time range that can be restored.
   * Every txid in the range restores (the segments keep each transaction); the compacted ranges only make
   * restores read fewer objects.
   *
   * @param bytes all the lineage's objects, compacted ranges included
   * @param rangesByLevel how many compacted ranges each level holds (docs/FORMAT.md, "Compaction levels")
   */
  public record LineageSummary(String lineage, int snapshots, int segments, long firstTxid, long lastTxid,
      Instant firstUpload, Instant lastUpload, long bytes, Map<Integer, Integer> rangesByLevel) {
    public LineageSummary {
      rangesByLevel = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(rangesByLevel));
    }

    /** Compacted ranges of every level. */
    public int ranges() {
      return rangesByLevel.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

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
    return run(o, null);
  }

  /**
   * Restores as {@code o} says, from a plan {@link #plan} already made with the same options (so the
   * prefix is listed once, not again): what a caller that looks at the plan first (a dry run, a check for
   * missing segments) then restores uses. The objects may have changed since the plan was made: a
   * missing or corrupt one fails the restore as in {@link #run(RestoreOptions)}.
   *
   * @param plan {@code Restore.plan(o)}, or null to plan here
   * @throws RestoreException as {@link #run(RestoreOptions)}
   * @throws ObjectStoreException the bucket failed
   */
  public static RestoreResult run(RestoreOptions o, RestorePlan plan) {
    long t0 = System.nanoTime();
    RestoreTarget target = new RestoreTarget(o.output(), o.force(), o.discardStaleWal());
    Path output = target.output();
    target.check(); // before anything is downloaded; again just before the rename
    Map<Operation, OperationStats> before = o.store().metrics().snapshot();
    long planStart = System.nanoTime();
    RestorePlan given = plan; // a plan made before this call: its requests are not in the count since `before`
    if (plan == null) {
      plan = Planner.plan(o);
    }
    long planned = System.nanoTime();
    Path tmp = createTemp(target);
    // Ctrl-C (or any orderly exit) mid-restore removes the temporary file; a kill -9 leaves it to the
    // next restore's orphan cleanup.
    Thread cleanup = new Thread(() -> deleteTemp(tmp), "litevault-restore-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    ExecutorService pool = downloadPool(o.parallelism() + SegmentDownloads.SMALL_EXTRA);
    try {
      long applyStart = System.nanoTime();
      Applied applied;
      try {
        applied = apply(o, plan, tmp, pool);
      } catch (RangeFailed f) {
        // A range is only a shortcut over segments the bucket keeps too: do without ranges.
        log.warn("compacted range {} is unusable ({}); restoring from the segments instead", f.key,
            f.getCause().getMessage());
        plan = Planner.plan(o, false);
        Files.newByteChannel(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING).close();
        applied = apply(o, plan, tmp, pool);
      }
      long synced = System.nanoTime();
      check(tmp, o.integrityCheck(), plan.lineage(), applied.txid());
      long checked = System.nanoTime();
      target.install(tmp);
      long installed = System.nanoTime();
      Map<String, Duration> phases = new LinkedHashMap<>();
      phases.put("listing", plan.listing());
      // planning: the planner's own work, plus what was done here before and after it (the output check,
      // the temporary file, the orphan cleanup)
      phases.put("planning", plan.planning().plus(Duration.ofNanos(applyStart - t0 - (planned - planStart))));
      phases.put("snapshot", Duration.ofNanos(applied.snapshotDone() - applyStart));
      phases.put("segments", Duration.ofNanos(applied.segmentsDone() - applied.snapshotDone()));
      phases.put("fsync", Duration.ofNanos(synced - applied.segmentsDone()));
      phases.put("integrityCheck", Duration.ofNanos(checked - synced));
      phases.put("rename", Duration.ofNanos(installed - checked));
      Map<Operation, Long> requests = requestsSince(o.store(), before);
      if (given != null) {
        given.requests().forEach((op, n) -> requests.merge(op, n, Long::sum));
      }
      if (log.isDebugEnabled()) {
        log.debug("restore phases: {}; requests: {}", phases, requests);
      }
      // a plan made before this call counts its own listing in the time too
      Duration took = Duration.ofNanos(installed - t0 - (planned - planStart)).plus(plan.listing()).plus(plan.planning());
      log.info("restored {} to {} at txid {} ({} objects, {} bytes, {} ms)", plan.lineage(), output, applied.txid(),
          plan.objects(), plan.bytes(), took.toMillis());
      return new RestoreResult(plan.lineage(), applied.txid(), Instant.ofEpochMilli(applied.timestampMillis()), plan.bytes(),
          plan.objects(), took, output, phases, requests);
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

  /** The empty temporary file beside the output, once orphans of killed restores are removed. */
  private static Path createTemp(RestoreTarget target) {
    Path tmp = target.temp();
    try {
      Fsync.createDirectories(target.directory());
      target.cleanOrphans();
      Files.createFile(tmp);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw new RestoreException(RestoreException.Kind.OUTPUT_IN_USE, "another restore to " + target.output() + " is "
          + "running in this process (its temporary file " + tmp + " exists); wait for it to finish", null, e);
    } catch (IOException e) {
      throw new RestoreException(RestoreException.Kind.IO, "restore to " + target.output() + " failed: " + e, null, e);
    }
    return tmp;
  }

  /** Daemon threads that download and decode segments ahead. */
  private static ExecutorService downloadPool(int parallelism) {
    return Executors.newFixedThreadPool(parallelism, r -> {
      Thread t = new Thread(r, "litevault-restore-download");
      t.setDaemon(true);
      return t;
    });
  }

  /** Deletes a restore's temporary file and SQLite's side files of it (after an install, only the latter exist). */
  private static void deleteTemp(Path tmp) {
    try {
      Files.deleteIfExists(tmp);
      for (String suffix : RestoreTarget.SIDE_FILES) {
        Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + suffix));
      }
      try (java.nio.file.DirectoryStream<Path> ranges = Files.newDirectoryStream(tmp.toAbsolutePath().getParent(),
          tmp.getFileName() + RestoreTarget.RANGE_MARK + "*")) {
        for (Path r : ranges) {
          Files.deleteIfExists(r);
        }
      }
    } catch (IOException e) {
      log.warn("could not delete {}", tmp, e);
    }
  }

  /**
   * What the segments reached, and when each phase ended (System.nanoTime, for the debug log).
   *
   * @param txid the last transaction applied
   * @param timestampMillis its commit time
   */
  private record Applied(long txid, long timestampMillis, long snapshotDone, long segmentsDone) {}

  /**
   * Steps 2 to 5 into {@code tmp}: {@link SnapshotFetch fetch the snapshot}, then for each segment of the
   * plan, in order: {@link SegmentDownloads take it} (downloaded and decoded ahead on the pool),
   * {@link Chain#verifyLink verify it continues the chain}, {@link Cut cut it at the target},
   * {@link Chain#verifyChecksum verify the checksum} the cut produces, {@link PageFile write its pages} once,
   * in page order; stop at the target. Then fsync.
   */
  private static Applied apply(RestoreOptions o, RestorePlan plan, Path tmp, ExecutorService pool) throws IOException {
    try (FileChannel file = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      SnapshotFetch.Base base = SnapshotFetch.fetch(o.store(), plan, file, pool, o.parallelism());
      long snapshotDone = System.nanoTime();
      Chain chain = new Chain(plan, base);
      PageFile pages = new PageFile(file, base.header());
      SegmentDownloads downloads = new SegmentDownloads(o, plan, base.header().txid(), pool, tmp);
      try {
        for (String key : plan.segments()) {
          if (applyOne(o, plan, key, downloads, chain, pages)) {
            break;
          }
        }
      } finally {
        downloads.close();
      }
      long segmentsDone = System.nanoTime();
      pages.force();
      return new Applied(chain.txid(), chain.timestampMillis(), snapshotDone, segmentsDone);
    }
  }

  /** One object of the plan: take it, verify its link, cut it, verify the checksum, write; true at the target. */
  private static boolean applyOne(RestoreOptions o, RestorePlan plan, String key, SegmentDownloads downloads,
      Chain chain, PageFile pages) throws IOException {
    if (key.endsWith(".lvcr")) {
      try {
        applyRange(key, downloads, chain, pages);
        return false;
      } catch (RestoreException e) {
        if (e.kind() == RestoreException.Kind.MISSING_OBJECT || e.kind() == RestoreException.Kind.CORRUPT_OBJECT) {
          throw new RangeFailed(key, e);
        }
        throw e;
      }
    }
    DownloadedSegment segment = downloads.next(chain);
    chain.verifyLink(key, segment);
    Cut cut = Cut.of(segment, chain.txid(), plan.targetTxid(), o.timestamp());
    if (!cut.isEmpty()) {
      chain.verifyChecksum(key, cut);
      pages.write(cut);
      chain.extend(key, segment, cut);
    }
    return cut.reachesTarget();
  }

  /**
   * A compacted range: its link verified, its pages streamed from the downloaded file into the database
   * file and the database checksum, then the checksum it records verified. A failure leaves the file
   * half-written: the caller starts over without ranges.
   */
  private static void applyRange(String key, SegmentDownloads downloads, Chain chain, PageFile pages)
      throws IOException {
    DownloadedSegment range = downloads.next(chain);
    try {
      chain.verifyLink(key, range);
      chain.applyRange(key, range, state -> pages.writeRange(range.staged(), key, state));
    } finally {
      DownloadedSegment.deleteQuietly(range.staged().file());
    }
  }

  /** A compacted range of the plan is missing or corrupt: {@link #run} restores without ranges instead. */
  private static final class RangeFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String key;

    RangeFailed(String key, RestoreException cause) {
      super(cause.getMessage(), cause);
      this.key = key;
    }
  }

  /** The requests {@code store} sent since {@code before}, by kind (kinds with none left out). */
  static Map<Operation, Long> requestsSince(ObjectStore store, Map<Operation, OperationStats> before) {
    Map<Operation, Long> out = new EnumMap<>(Operation.class);
    store.metrics().snapshot().forEach((op, now) -> {
      long n = now.requests() - before.get(op).requests();
      if (n > 0) {
        out.put(op, n);
      }
    });
    return out;
  }

  /** Step 6: SQLite's own check of the restored file ({@code none} skips it). */
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
      return plan(o, o.compactedRanges());
    }

    /** As {@link #plan(RestoreOptions)}; without compacted ranges when {@code useRanges} is false. */
    static RestorePlan plan(RestoreOptions o, boolean useRanges) {
      Map<Operation, OperationStats> before = o.store().metrics().snapshot();
      long t0 = System.nanoTime();
      BucketLayout layout = new BucketLayout(o.prefix());
      RestorePlan p = null;
      Duration listing;
      if (useRanges) {
        // The newest lineage's snapshots and ranges and the segments after them: no history it skips.
        java.util.Optional<LineageCatalog.Lineage> narrow = NarrowListing.list(o, layout);
        listing = Duration.ofNanos(System.nanoTime() - t0);
        p = narrow.map(l -> planIn(o, layout, l, true)).orElse(null);
      } else {
        listing = Duration.ZERO;
      }
      if (p == null) {
        long t1 = System.nanoTime();
        Map<String, LineageCatalog.Lineage> all = LineageCatalog.list(o.store(), layout);
        listing = listing.plus(Duration.ofNanos(System.nanoTime() - t1));
        p = choose(o, layout, all, useRanges);
      }
      Duration planning = Duration.ofNanos(System.nanoTime() - t0).minus(listing);
      return new RestorePlan(p.lineage(), p.snapshot(), p.snapshotTxid(), p.segments(), p.sizes(), p.targetTxid(), p.bytes(),
          p.newestTxid(), listing, planning, requestsSince(o.store(), before));
    }

    /** The plan from a listing of the prefix (timing and request counts left empty). */
    private static RestorePlan choose(RestoreOptions o, BucketLayout layout, Map<String, LineageCatalog.Lineage> all,
        boolean useRanges) {
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
        RestorePlan p = planIn(o, layout, l, useRanges);
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
    private static RestorePlan planIn(RestoreOptions o, BucketLayout layout, LineageCatalog.Lineage l, boolean useRanges) {
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
      List<Long> sizes = new ArrayList<>();
      long bytes = snap.size();
      long covered = snapTxid;
      int next = 0;
      Seg furthest = null; // of the segments starting at or before covered + 1
      Seg smallestToTarget = null; // of those, the smallest that reaches the target
      Map<Long, Seg> ranges = o.timestamp() == null && useRanges ? ranges(layout, l, snapTxid, target) : Map.of();
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
        Seg range = ranges.get(covered + 1);
        if (smallestToTarget == null && range != null && (pick == null || range.last() > pick.last())) {
          pick = range; // a compacted range reaching further than any segment: applied whole
        }
        if (pick == null || pick.last() <= covered) {
          break;
        }
        keys.add(pick.info().key());
        sizes.add(pick.info().size());
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
      long newest = covered;
      for (Seg s : segs) {
        newest = Math.max(newest, s.last());
      }
      for (ObjectInfo sn : snaps) {
        newest = Math.max(newest, layout.parse(sn.key()).orElseThrow().lastTxid());
      }
      return new RestorePlan(l.id(), snap.key(), snapTxid, keys, sizes, o.txid() != null ? o.txid() : last, bytes, newest,
          Duration.ZERO, Duration.ZERO, Map.of());
    }

    /**
     * The compacted ranges a plan from snapshot txid {@code snapTxid} toward {@code target} may use, by
     * first txid: for each, the one reaching furthest without passing the target. A range is applied whole,
     * so it must start right after the txid reached and end at or before the target; any level will do.
     */
    private static Map<Long, Seg> ranges(BucketLayout layout, LineageCatalog.Lineage l, long snapTxid, long target) {
      Map<Long, Seg> best = new java.util.HashMap<>();
      for (ObjectInfo r : l.ranges()) {
        BucketLayout.Parsed p = layout.parse(r.key()).orElseThrow();
        if (p.firstTxid() > snapTxid && p.lastTxid() <= target) {
          best.merge(p.firstTxid(), new Seg(r, p.firstTxid(), p.lastTxid()),
              (a, b) -> b.last() > a.last() || b.last() == a.last() && b.info().size() < a.info().size() ? b : a);
        }
      }
      return best;
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
