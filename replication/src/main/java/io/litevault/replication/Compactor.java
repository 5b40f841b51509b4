package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.Codec;
import io.litevault.replication.format.CompactedCodec;
import io.litevault.replication.format.Segment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the segments the shipper has landed into compacted ranges, one open range per level
 * ({@link CompactionLevels}), and uploads a range when its window ends (a segment belongs to the window of
 * its first transaction, so ranges hold whole segments): {@code levels/<LL>/<first>-<last>.lvcr}
 * ({@link CompactedCodec}). It is fed the segments the shipper just uploaded, from memory, so compaction
 * costs PUTs and local writes, never a GET.
 *
 * <p>Ranges follow the chain: each starts right after the txid the one before it (of its level) ended at,
 * or right after the point the shipper started from (a snapshot, a resume). Anything that breaks the
 * chain (a snapshot, a new lineage, a segment that does not continue the last one) drops the open ranges
 * ({@link #restartAt}); after a crash they are simply gone. Neither loses anything: a range is only ever a
 * shortcut over segments that are all in the bucket, and a restore uses the finer objects where no range
 * fits. For the same reason an upload that fails drops its range (counted in
 * {@link ReplicationMetrics#rangeErrors()}) instead of holding the shipper up; only a lost lease stops it.
 *
 * <p>Not uploaded, because a restore gains nothing from them: a range holding exactly one segment (the
 * segment is as good), and a range holding the same transactions as the last range the level below closed,
 * at the same moment or earlier (a quiet database closes the finer window by the clock first, and its coarser
 * windows, closing later with nothing added, would upload the same net effect again at each level: a burst
 * then a pause made the demo upload its whole run twice, at 10 min and 1 h).
 *
 * <p>Owned by the shipper thread; not thread-safe.
 */
final class Compactor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Compactor.class);

  /** One level's open range and the window it belongs to. */
  private static final class Open {
    final RangeAccumulator range;
    final long window;
    /** How many segments gave transactions to the range, and the txids of the first of them. */
    int segments;
    long segmentFirst;
    long segmentLast;

    /** Notes that segment {@code s} gives the range transactions. */
    void from(Segment s) {
      if (segments == 0 || segmentFirst != s.firstTxid()) {
        segments++;
        if (segments == 1) {
          segmentFirst = s.firstTxid();
          segmentLast = s.last().txid();
        }
      }
    }

    /** Whether the range holds exactly the transactions of one segment: that segment serves as well. */
    boolean isOneSegment() {
      return segments == 1 && range.firstTxid() == segmentFirst && range.lastTxid() == segmentLast;
    }

    Open(RangeAccumulator range, long window) {
      this.range = range;
      this.window = window;
    }
  }

  private final String database;
  /** Null when compaction is off. */
  private final CompactionLevels levels;
  private final int count;
  private final ObjectStore store;
  private final Lease lease;
  private final BucketLayout layout;
  private final Path workDir;
  private final Codec codec;
  private final ReplicationMetrics metrics;
  private final Open[] open;
  /** Per level, the window of the last transaction added: windows never go back (see CompactionLevels). */
  private final long[] lastWindow;
  /** Per level, the txids of the last range it closed since the ranges started over ({@code -1}: none). */
  private final long[] closedFirst;
  private final long[] closedLast;
  private String lineage;
  private long txid = -1;
  private long checksum;

  Compactor(String database, CompactionLevels levels, ObjectStore store, Lease lease, BucketLayout layout, Path workDir,
      Codec codec, ReplicationMetrics metrics) {
    this.database = database;
    this.levels = levels;
    this.store = store;
    this.lease = lease;
    this.layout = layout;
    this.workDir = workDir;
    this.codec = codec;
    this.metrics = metrics;
    this.count = levels == null ? 0 : levels.count();
    this.open = new Open[count + 1];
    this.lastWindow = new long[count + 1];
    java.util.Arrays.fill(lastWindow, Long.MIN_VALUE);
    this.closedFirst = new long[count + 1];
    this.closedLast = new long[count + 1];
    java.util.Arrays.fill(closedFirst, -1);
    java.util.Arrays.fill(closedLast, -1);
  }

  /**
   * Ranges start over after {@code txid} of {@code lineage}, whose database checksum is {@code checksum}:
   * the open ones are dropped (not uploaded).
   */
  void restartAt(String lineage, long txid, long checksum) {
    drop();
    this.lineage = lineage;
    this.txid = txid;
    this.checksum = checksum;
  }

  /**
   * Adds a segment the bucket now has; uploads each range whose window ended before one of its
   * transactions. A segment that does not continue what was added (another lineage, a gap, another
   * checksum) starts the ranges over after it.
   *
   * @throws LeaseException the lease was lost while uploading: the shipper stops
   */
  void landed(Segment s) {
    if (count == 0) {
      return;
    }
    if (!s.lineage().equals(lineage) || s.firstTxid() != txid + 1 || s.checksumBefore() != checksum) {
      restartAt(s.lineage(), s.last().txid(), s.last().checksumAfter());
      return;
    }
    try {
      add(s);
    } catch (IOException e) {
      // The work directory failed (a full disk): the ranges are a shortcut, the segment is landed.
      log.warn("database '{}': compaction dropped its open ranges: {}", database, e.toString());
      metrics.rangeErrors.increment();
      restartAt(s.lineage(), s.last().txid(), s.last().checksumAfter());
    }
  }

  /** When the first open range's window ends (clock millis); {@code Long.MAX_VALUE} with none open. */
  long nextWindowEnd() {
    long end = Long.MAX_VALUE;
    for (int level = 1; level <= count; level++) {
      if (open[level] != null) {
        end = Math.min(end, levels.end(level, open[level].window));
      }
    }
    return end;
  }

  /**
   * Uploads the open ranges whose window ended by {@code nowMillis}: on a quiet database the last window
   * closes by the clock instead of waiting for the next commit, so a restore finds the tail compacted.
   * A segment landing later belongs to a later window (windows never go back), so this never splits one.
   */
  void closeEnded(long nowMillis) {
    closeWhere(level -> levels.end(level, open[level].window) <= nowMillis);
  }

  /** Uploads every open range as it is (partial windows), then starts over after the last transaction. */
  void flush() {
    closeWhere(level -> true);
  }

  /** Closes (uploading what is worth it) the open ranges of the levels {@code due} picks, finest first. */
  private void closeWhere(java.util.function.IntPredicate due) {
    for (int level = 1; level <= count; level++) {
      Open o = open[level];
      if (o != null && due.test(level)) {
        open[level] = null;
        finish(level, o);
      }
    }
  }

  /**
   * Adds a whole segment to each level's open range, first closing (and uploading) a range whose window
   * ended before the segment's first transaction. Ranges hold whole segments, so each ends where a segment
   * ends and the next segment starts right after it: a restore lists only the segments after the ranges
   * it uses (docs/FORMAT.md, "Planning with ranges"). A segment is about one upload interval, so its later
   * transactions spill past a window's end by that much at most.
   */
  private void add(Segment s) throws IOException {
    long firstCommit = s.transactions().get(0).timestampMillis();
    for (int level = 1; level <= count; level++) {
      long window = levels.window(level, firstCommit, lastWindow[level]);
      lastWindow[level] = window;
      Open o = open[level];
      if (o != null && window > o.window) {
        open[level] = null;
        finish(level, o);
      }
      if (open[level] == null) {
        open[level] = new Open(new RangeAccumulator(workDir.resolve("range-" + level + ".pages"), level, lineage,
            s.pageSize(), checksum), window);
      }
      for (Segment.Txn t : s.transactions()) {
        open[level].range.add(t);
      }
      open[level].from(s);
    }
    txid = s.last().txid();
    checksum = s.last().checksumAfter();
  }

  /**
   * Uploads a closed range unless it is worthless (see the class comment) and deletes its file; notes the
   * txids it covers, for the level above to compare with.
   */
  private void finish(int level, Open o) {
    try (RangeAccumulator r = o.range) {
      boolean sameAsBelow = level > 1 && !r.isEmpty() && r.firstTxid() == closedFirst[level - 1]
          && r.lastTxid() == closedLast[level - 1];
      closedFirst[level] = r.isEmpty() ? -1 : r.firstTxid();
      closedLast[level] = r.isEmpty() ? -1 : r.lastTxid();
      if (r.isEmpty() || o.isOneSegment() || sameAsBelow) {
        return;
      }
      upload(level, r);
    } catch (IOException e) {
      log.warn("database '{}': could not delete a compaction file: {}", database, e.toString());
    }
  }

  private void upload(int level, RangeAccumulator r) {
    String key = layout.compacted(lineage, level, r.firstTxid(), r.lastTxid());
    Path file = workDir.resolve("range-" + level + ".lvcr");
    try {
      try (OutputStream out = Files.newOutputStream(file)) {
        CompactedCodec.write(out, r.header(codec), r.cursor());
      }
      long size = Files.size(file);
      lease.renewIfDue();
      try (InputStream in = Files.newInputStream(file)) {
        // A plain put: the key names the txids, so every writer of it writes the same net effect.
        store.put(key, in, size);
      }
      metrics.rangesUploaded.increment();
      metrics.rangeBytesUploaded.add(size);
    } catch (LeaseException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      metrics.rangeErrors.increment();
      log.warn("database '{}': compacted range {} not uploaded (restores use the finer objects): {}", database, key,
          e.toString());
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        log.warn("database '{}': could not delete {}: {}", database, file, e.toString());
      }
    }
  }

  /** Drops the open ranges, deleting their files. */
  private void drop() {
    for (int level = 1; level < open.length; level++) {
      if (open[level] != null) {
        try {
          open[level].range.close();
        } catch (IOException e) {
          log.warn("database '{}': could not delete a compaction file: {}", database, e.toString());
        }
        open[level] = null;
      }
      lastWindow[level] = Long.MIN_VALUE;
      closedFirst[level] = -1;
      closedLast[level] = -1;
    }
  }

  @Override
  public void close() {
    drop();
  }
}
