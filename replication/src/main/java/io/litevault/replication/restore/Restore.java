package io.litevault.replication.restore;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import io.litevault.bucket.OperationStats;
import io.litevault.bucket.fs.Fsync;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import java.io.IOException;
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
 * <li>plan ({@link Planner}): the lineage, the newest snapshot at or before the target, the shortest chain of
 *     segments and compacted ranges after it;
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
      out.add(new LineageSummary(l.id(), l.snapshots().size(), l.segments().size(), first, last,
          everyTxidFrom(layout, l, first), from, to, bytes, levels));
    }
    return out;
  }

  /**
   * Where the unbroken run of segments ending at the newest one starts: every txid from there restores. Before
   * it (segments dropped after {@code fineSegmentRetention}), only the points the compacted ranges end at.
   */
  private static long everyTxidFrom(BucketLayout layout, LineageCatalog.Lineage l, long firstTxid) {
    List<BucketLayout.Parsed> newestFirst = new ArrayList<>();
    for (ObjectInfo o : l.segments()) {
      newestFirst.add(layout.parse(o.key()).orElseThrow());
    }
    newestFirst.sort(java.util.Comparator.comparingLong(BucketLayout.Parsed::lastTxid).reversed());
    java.util.Set<Long> snapshots = new java.util.HashSet<>();
    for (ObjectInfo o : l.snapshots()) {
      snapshots.add(layout.parse(o.key()).orElseThrow().lastTxid());
    }
    long from = Long.MAX_VALUE;
    for (BucketLayout.Parsed p : newestFirst) {
      // A snapshot that took the commit after p with it (it was due before that commit's segment) holds
      // that txid: the run goes on across it.
      boolean bridged = p.lastTxid() == from - 2 && snapshots.contains(from - 1);
      if (from != Long.MAX_VALUE && p.lastTxid() < from - 1 && !bridged) {
        break; // a gap: the run ends here
      }
      from = Math.min(from, p.firstTxid());
    }
    return from == Long.MAX_VALUE || from <= firstTxid + 1 ? firstTxid : from;
  }

  /**
   * One lineage: its snapshots and segments and the txid and (upload) time range that can be restored.
   * Every txid from {@code everyTxidFrom} on restores (the segments keep each transaction); before it, where
   * fine segments were dropped, the ends of the compacted ranges. Otherwise the ranges only make restores
   * read fewer objects.
   *
   * @param everyTxidFrom the first txid of the unbroken run of segments that ends the lineage ({@code firstTxid}
   *     when they reach back to its first snapshot)
   * @param bytes all the lineage's objects, compacted ranges included
   * @param rangesByLevel how many compacted ranges each level holds (docs/FORMAT.md, "Compaction levels")
   */
  public record LineageSummary(String lineage, int snapshots, int segments, long firstTxid, long lastTxid,
      long everyTxidFrom, Instant firstUpload, Instant lastUpload, long bytes, Map<Integer, Integer> rangesByLevel) {
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
      Applied applied = null;
      java.util.Set<String> unusable = new java.util.HashSet<>();
      while (applied == null) {
        try {
          applied = apply(o, plan, tmp, pool);
        } catch (RangeFailed f) {
          // A range is a shortcut over finer objects: plan again without it (and start the file over); after
          // many, without any range.
          unusable.add(f.key);
          boolean giveUpRanges = unusable.size() >= MAX_UNUSABLE_RANGES;
          log.warn("compacted range {} is unusable ({}); planning again without {}", f.key, f.getCause().getMessage(),
              giveUpRanges ? "any range" : "it");
          plan = Planner.plan(o, unusable, !giveUpRanges);
          Files.newByteChannel(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING).close();
        }
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
   * half-written: the caller plans again without the range and starts over.
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

  /** Unusable ranges one restore plans around before it uses none (each costs a fresh start of the file). */
  private static final int MAX_UNUSABLE_RANGES = 16;

  /** A compacted range of the plan is missing or corrupt: {@link #run} plans again without it. */
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
}
