package io.litevault.replication.follow;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Continuation;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestorePlan;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.ReplicaDatabase;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower's one thread of work: polls the bucket for the segments after the last one applied, applies
 * them to the replica file, and rebuilds the file by a restore when the segments cannot carry it forward (a
 * gap a snapshot bridged, segments retention removed, a new lineage, far behind, a failed apply). It owns the
 * chain and the poll state; others see only what it publishes. Package-private.
 *
 * <p>A poll is one LIST request (start-after the last segment key applied) plus the GETs of new segments;
 * every {@link FollowerOptions#lineageCheckInterval()} it also lists the lineage's snapshots after its txid (a
 * snapshot that took commits no segment holds) and the lineages after its own. Intervals are measured on the
 * monotonic clock: a wall clock that steps back delays nothing.
 */
final class Tailer {
  private static final Logger log = LoggerFactory.getLogger(Tailer.class);
  /** Newer lineages without a snapshot looked past in one check (objects of a lineage being created, strays). */
  private static final int MAX_LINEAGES_LOOKED_AT = 8;

  /** What readers and waiters see: published under the replica's write lock, with the pages. */
  record State(ReplicaPosition position, long commitTimeMillis) {}

  /** The poll's counters as of the end of the last poll, for {@link Follower#health}. */
  /** @param caughtUpNanos {@link System#nanoTime} at the start of the last poll that found the bucket's end, or null */
  record Progress(long newestSeenTxid, Long caughtUpNanos, long polls, long applied, long rebuilds, String lastError) {}

  /** A listed segment key. */
  private record Listed(String key, BucketLayout.Parsed parsed) {}

  private final FollowerOptions options;
  private final ObjectStore store;
  private final BucketLayout layout;
  private final ReplicaDatabase replica;
  private final Consumer<State> publish;
  private Continuation chain;
  /** Where the next listing of segments starts: after the last segment key consumed. */
  private String startAfter;
  private long newestSeenTxid;
  /** Start of the last poll whose listing found no newer segment of the lineage (monotonic), or null. */
  private Long segmentsCheckedNanos;
  /** Start of the last check that found no newer snapshot or lineage (monotonic). */
  private long lineageCheckedNanos;
  private long lastLineageCheckNanos;
  private long lastRebuildAttemptNanos;
  private boolean rebuildAttempted;
  private boolean needsRebuild;
  /** The newer lineage the last check found, as its newest snapshot key, or null. */
  private String newerFound;
  /**
   * The newest snapshot key of a newer lineage a rebuild did not take (restore found it unusable): not
   * rebuilt for again while that lineage has no newer snapshot (the rebuild logged it).
   */
  private String passedOverSnapshot;
  private long polls;
  private long applied;
  private long rebuilds;
  private String lastError;
  private volatile Progress progress;

  Tailer(FollowerOptions options, ReplicaDatabase replica, Continuation chain, String startAfter, long restoredAtNanos,
      Consumer<State> publish) {
    this.options = options;
    this.store = options.store();
    this.layout = new BucketLayout(options.prefix());
    this.replica = replica;
    this.chain = chain;
    this.publish = publish;
    this.rebuilds = 1;
    this.startAfter = startAfter;
    this.newestSeenTxid = chain.position().txid();
    this.lastLineageCheckNanos = System.nanoTime();
    this.lineageCheckedNanos = restoredAtNanos; // the restore listed every lineage as it began
    this.progress = new Progress(newestSeenTxid, null, 0, 0, rebuilds, null);
  }

  /** One poll: never throws; a failure is kept for {@link #progress} and the next poll tries again. */
  void poll() {
    try {
      pollOnce(false);
    } finally {
      publishProgress();
    }
  }

  /**
   * A poll that also checks for newer snapshots and lineages, whatever the interval says: true when it ended
   * caught up with the bucket (nothing newer listed, nothing failed).
   */
  boolean pollToEnd() {
    try {
      pollOnce(true);
    } finally {
      publishProgress();
    }
    return lastError == null && !needsRebuild;
  }

  private void publishProgress() {
    Long caughtUp = segmentsCheckedNanos == null ? null
        : segmentsCheckedNanos - lineageCheckedNanos < 0 ? segmentsCheckedNanos : lineageCheckedNanos;
    progress = new Progress(newestSeenTxid, caughtUp, polls, applied, rebuilds, lastError);
  }

  private void pollOnce(boolean checkLineage) {
    polls++;
    long now = System.nanoTime();
    long interval = options.lineageCheckInterval().toNanos();
    try {
      if (needsRebuild) {
        if (rebuildAttempted && now - lastRebuildAttemptNanos < interval && !checkLineage) {
          return; // a failed rebuild is retried at the lineage-check pace, not at every poll
        }
        rebuild(now);
      }
      if (!tail()) {
        rebuild(now);
      } else if (checkLineage || now - lastLineageCheckNanos >= interval) {
        lastLineageCheckNanos = now;
        if (snapshotAfterChain() || newerLineage()) {
          rebuild(now);
        } else {
          lineageCheckedNanos = now;
        }
      }
      if (!needsRebuild) {
        segmentsCheckedNanos = now;
      }
      lastError = null;
    } catch (IOException | RuntimeException e) {
      // Never thrown out of a scheduled task (the executor would never run it again): kept and retried.
      lastError = e.getMessage() == null ? e.toString() : e.getMessage();
      log.warn("follower of '{}': {}", options.prefix(), lastError);
    }
  }

  /**
   * Applies the segments listed after the last one consumed, in order; false at a gap the segments do not
   * bridge, or when more than {@link FollowerOptions#farBehindSegments()} are to apply (the file must be
   * rebuilt). Keys that are not segments (an upload in progress, a stray) are skipped but not consumed: the
   * listing starts after segment keys only, so one sorting after a segment not yet listed cannot hide it.
   */
  private boolean tail() throws IOException {
    String lineage = chain.position().lineage();
    long txid = chain.position().txid();
    List<Listed> listed = new ArrayList<>();
    int toApply = 0;
    try (Stream<ObjectInfo> s = store.listAfter(layout.segments(lineage), startAfter)) {
      var it = s.iterator();
      while (it.hasNext()) {
        String key = it.next().key();
        Optional<BucketLayout.Parsed> p = layout.parse(key).filter(x -> !x.snapshot() && !x.compacted()
            && key.endsWith(".lvsg"));
        if (p.isEmpty()) {
          continue;
        }
        listed.add(new Listed(key, p.get()));
        if (p.get().lastTxid() > txid && ++toApply > options.farBehindSegments()) {
          log.info("follower of '{}': more than {} segments after txid {}: rebuilding from the newest point instead",
              options.prefix(), options.farBehindSegments(), txid);
          return false;
        }
      }
    }
    for (Listed l : listed) {
      newestSeenTxid = Math.max(newestSeenTxid, l.parsed().lastTxid());
      long at = chain.position().txid();
      if (l.parsed().lastTxid() > at) {
        if (l.parsed().firstTxid() > at + 1) {
          log.info("follower of '{}': segment {} leaves a gap after txid {} (a snapshot took those commits, or "
              + "retention removed them): rebuilding from the bucket", options.prefix(), l.key(), at);
          return false;
        }
        applyOne(l.key());
      }
      startAfter = l.key();
    }
    return true;
  }

  /**
   * Downloads, verifies and writes one segment. A segment the chain refuses (missing, corrupt, another
   * database) marks the file for a rebuild, with the file untouched and still served; a failed write leaves it
   * damaged (reads refused) until the rebuild. A failed download is only retried.
   */
  private void applyOne(String key) throws IOException {
    Continuation.Step step;
    try {
      Optional<Continuation.Step> prepared = chain.prepare(store, key);
      if (prepared.isEmpty()) {
        return;
      }
      step = prepared.get();
      chain.verify(step);
    } catch (RestoreException | IllegalStateException e) {
      needsRebuild = true;
      throw e;
    }
    try {
      replica.update(file -> {
        chain.write(step, file);
        publish.accept(new State(chain.position(), chain.timestampMillis()));
      });
    } catch (IOException | RuntimeException e) {
      needsRebuild = true;
      throw e;
    }
    applied++;
  }

  /**
   * Whether the lineage holds a snapshot after the chain's txid: it took commits no segment holds (a snapshot
   * due under load goes ahead of them), and an idle primary uploads no later segment that would show the gap.
   */
  private boolean snapshotAfterChain() {
    ReplicaPosition at = chain.position();
    try (Stream<ObjectInfo> s = store.listAfter(layout.snapshots(at.lineage()), layout.snapshot(at.lineage(), at.txid()))) {
      return s.anyMatch(o -> layout.parse(o.key()).filter(BucketLayout.Parsed::snapshot)
          .filter(p -> p.lastTxid() > at.txid()).isPresent());
    }
  }

  /**
   * Whether a lineage newer than the followed one has a snapshot (restore takes the newest such one). One LIST
   * when there is none; a newer lineage without a snapshot yet (being created, or a stray) is looked past.
   */
  private boolean newerLineage() {
    String after = layout.lineage(chain.position().lineage()) + "~"; // '~' sorts after every character of a key
    for (int i = 0; i < MAX_LINEAGES_LOOKED_AT; i++) {
      Optional<String> next;
      try (Stream<ObjectInfo> newer = store.listAfter(layout.lineages(), after)) {
        next = newer.findFirst().map(o -> o.key().substring(layout.lineages().length()))
            .map(rest -> rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest);
      }
      if (next.isEmpty()) {
        return false;
      }
      String lineage = next.get();
      Optional<String> snapshot = newestSnapshot(lineage);
      if (snapshot.isPresent() && !snapshot.get().equals(passedOverSnapshot)) {
        newerFound = snapshot.get();
        return true;
      }
      after = layout.lineage(lineage) + "~";
    }
    return false;
  }

  /**
   * The newest snapshot of {@code lineage}, by key. Only keys the layout reads as snapshots count: an upload
   * in progress may be listed under its own key with a suffix (S3Proxy does), and is not a snapshot yet.
   */
  private Optional<String> newestSnapshot(String lineage) {
    try (Stream<ObjectInfo> snapshots = store.listAfter(layout.snapshots(lineage), layout.snapshots(lineage))) {
      return snapshots.map(ObjectInfo::key).filter(k -> k.endsWith(".lvsn")
          && layout.parse(k).filter(BucketLayout.Parsed::snapshot).isPresent()).reduce((a, b) -> b);
    }
  }

  /**
   * Restores the newest point of the bucket beside the file, then copies it in while readers wait: the
   * readers see the old database, then the new one, whole. Throws (keeping the old file served, or refused
   * if it was damaged) when the restore fails; the next poll tries again at the lineage-check pace.
   */
  private void rebuild(long now) throws IOException {
    needsRebuild = true;
    rebuildAttempted = true;
    lastRebuildAttemptNanos = now;
    String before = chain.position().lineage();
    Path temp = options.file().resolveSibling(options.file().getFileName() + ".rebuild");
    try {
      RestoreOptions o = RestoreOptions.builder(store, options.prefix(), temp).force(true).build();
      RestorePlan plan = Restore.plan(o);
      RestoreResult r = Restore.run(o, plan);
      Continuation fresh = Continuation.of(temp, new ReplicaPosition(r.lineage(), r.txid()),
          r.timestamp().toEpochMilli());
      replica.update(file -> {
        copy(temp, file);
        publish.accept(new State(fresh.position(), fresh.timestampMillis()));
      });
      chain = fresh;
      startAfter = startAfter(layout, plan, r);
      newestSeenTxid = r.txid();
      needsRebuild = false;
      rebuilds++;
      lastLineageCheckNanos = now;
      lineageCheckedNanos = now;
      if (r.lineage().equals(before) && newerFound != null) {
        passedOverSnapshot = newerFound;
        log.warn("follower of '{}': the restore kept lineage {} although a newer one has snapshot {}; not "
            + "rebuilding for it again until that lineage has a newer snapshot", options.prefix(), before, newerFound);
      }
      newerFound = null;
      log.info("follower of '{}': rebuilt at txid {} of lineage {}", options.prefix(), r.txid(), r.lineage());
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Where the listing starts after a restore: before every segment that starts where the last one the restore
   * applied starts (a retry of it may hold more commits under a key that sorts after it), or before those
   * starting at the restored txid when the restore ended on a snapshot or a compacted range.
   */
  static String startAfter(BucketLayout layout, RestorePlan plan, RestoreResult r) {
    List<String> keys = plan.segments();
    // Only a segment of the restored lineage that ends at the restored txid: a restore that planned again
    // (an unusable range) may have ended elsewhere than the plan, and a key from another lineage or past the
    // restored txid would skip segments of this one.
    Optional<BucketLayout.Parsed> last = keys.isEmpty() ? Optional.empty()
        : layout.parse(keys.get(keys.size() - 1)).filter(p -> !p.snapshot() && !p.compacted()
            && p.lineage().equals(r.lineage()) && p.firstTxid() <= r.txid() && p.lastTxid() == r.txid());
    long from = last.map(BucketLayout.Parsed::firstTxid).orElse(r.txid());
    return layout.segments(r.lineage()) + BucketLayout.hex(from);
  }

  private static void copy(Path from, FileChannel to) throws IOException {
    try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ)) {
      long size = in.size();
      long done = 0;
      while (done < size) {
        done += to.transferFrom(in, done, size - done);
      }
      to.truncate(size);
    }
  }

  Progress progress() {
    return progress;
  }
}
