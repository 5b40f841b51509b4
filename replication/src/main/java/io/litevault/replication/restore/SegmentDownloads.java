package io.litevault.replication.restore;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.FormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;

/**
 * Step 3 of a restore: the plan's segments, downloaded and decoded ahead on the pool (at most
 * {@code parallelism} in memory), handed out in plan order. Package-private; one thread takes them.
 */
final class SegmentDownloads {
  /**
   * Small objects downloaded ahead beyond {@code parallelism}: a second of {@code REPLICATED} writes is
   * hundreds of segments of a few KiB, whose cost is the request's round trip, not memory; these many more in
   * flight hide it at a bounded cost ({@link #SMALL_BYTES} each).
   */
  static final int SMALL_EXTRA = 12;
  /** An object up to this size counts as small. */
  static final long SMALL_BYTES = 256 * 1024;

  /** A segment on its way. */
  private record Pending(String key, CompletableFuture<DownloadedSegment> prepared) {}

  private final ObjectStore store;
  private final List<String> keys;
  private final List<Long> sizes;
  private final BucketLayout layout;
  private final long targetTxid;
  private final Instant until;
  private final int parallelism;
  private final ExecutorService pool;
  private final Deque<Pending> ahead = new ArrayDeque<>();
  private int next;
  /** How far the segments handed to {@link DownloadedSegment#prepare} reach. */
  private long reached;

  /** The restore's temporary file: compacted ranges are downloaded beside it. */
  private final Path temp;
  private int ranges;

  SegmentDownloads(RestoreOptions o, RestorePlan plan, long snapshotTxid, ExecutorService pool, Path temp) {
    this.temp = temp;
    this.store = o.store();
    this.keys = plan.segments();
    this.sizes = plan.sizes();
    this.layout = new BucketLayout(o.prefix());
    this.targetTxid = plan.targetTxid();
    this.until = o.timestamp();
    this.parallelism = o.parallelism();
    this.pool = pool;
    this.reached = snapshotTxid;
  }

  /**
   * The next segment of the plan, once downloaded; starts the downloads after it first.
   *
   * @param chain where the chain stands, for naming the newest restorable point in an error
   * @throws RestoreException the segment is missing or corrupt
   */
  DownloadedSegment next(Chain chain) throws IOException {
    while (next < keys.size() && (ahead.size() < parallelism
        || ahead.size() < parallelism + SMALL_EXTRA && sizes.get(next) <= SMALL_BYTES)) {
      start(keys.get(next++));
    }
    Pending p = ahead.removeFirst();
    try {
      return p.prepared().join();
    } catch (CompletionException e) {
      throw failure(p.key(), e, chain);
    }
  }

  /**
   * What a failed download of {@code key} means to a restore standing at {@code chain}: a missing or corrupt
   * object (naming the newest restorable point), or the I/O failure itself.
   */
  static RuntimeException failure(String key, CompletionException e, Chain chain) throws IOException {
    Throwable c = e.getCause();
    if (c instanceof ObjectNotFoundException) {
      return chain.brokenAt(RestoreException.Kind.MISSING_OBJECT, (key.endsWith(".lvcr") ? "compacted range " : "segment ")
          + key + " is missing; the newest restorable point is txid " + chain.txid() + " of lineage " + chain.lineage(), c);
    }
    if (c instanceof FormatException || Undecodable.in(c) != null) {
      String what = c instanceof FormatException ? c.getMessage() : Undecodable.in(c).getMessage();
      return chain.brokenAt(RestoreException.Kind.CORRUPT_OBJECT, what + "; the newest restorable "
          + "point is txid " + chain.txid() + " of lineage " + chain.lineage(), c);
    }
    if (c instanceof RuntimeException re) {
      return re;
    }
    throw new IOException(c);
  }

  private void start(String key) {
    long skipThrough = reached;
    reached = Math.max(reached, layout.parse(key).map(BucketLayout.Parsed::lastTxid).orElse(reached));
    boolean range = layout.parse(key).map(BucketLayout.Parsed::compacted).orElse(false);
    Path staged = range ? temp.resolveSibling(temp.getFileName() + RestoreTarget.RANGE_MARK + ranges++) : null;
    ahead.add(new Pending(key, CompletableFuture.supplyAsync(() -> range
        ? DownloadedSegment.prepareRange(store, key, skipThrough, targetTxid, staged)
        : DownloadedSegment.prepare(store, key, skipThrough, targetTxid, until), pool)));
  }

  /**
   * Deletes the compacted ranges downloaded ahead and not taken (a restore that stopped early), once
   * their downloads end.
   */
  void close() {
    for (Pending p : ahead) {
      p.prepared().whenComplete((d, e) -> {
        if (d != null && d.range()) {
          DownloadedSegment.deleteQuietly(d.staged().file());
        }
      });
    }
    ahead.clear();
  }
}
