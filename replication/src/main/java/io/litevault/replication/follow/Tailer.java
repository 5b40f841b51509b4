package io.litevault.replication.follow;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Continuation;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.ReplicaDatabase;
import io.litevault.store.StoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower's one thread of work: polls the bucket for the segments after the last one applied, applies
 * them to the replica file, and rebuilds the file by a restore when the segments cannot carry it forward (a
 * gap a snapshot bridged, segments retention removed, a new lineage, a failed apply). It owns the chain and
 * the poll state; others see only what {@link #publish} hands out. Package-private.
 *
 * <p>A poll is one LIST request (start-after the last segment key applied), plus one for a newer lineage every
 * {@link FollowerOptions#lineageCheckInterval()} while idle, plus the GETs of new segments.
 */
final class Tailer {
  private static final Logger log = LoggerFactory.getLogger(Tailer.class);

  /** What readers and waiters see: published under the replica's write lock, with the pages. */
  record State(ReplicaPosition position, long commitTimeMillis) {}

  /** The poll's counters as of the end of the last poll, for {@link Follower#health}. */
  record Progress(long newestSeenTxid, Instant caughtUpAt, long polls, long applied, long rebuilds, String lastError) {}

  private final FollowerOptions options;
  private final ObjectStore store;
  private final BucketLayout layout;
  private final ReplicaDatabase replica;
  private final Consumer<State> publish;
  private Continuation chain;
  /** The last segment key consumed: the next listing starts after it. */
  private String startAfter;
  private long newestSeenTxid;
  private Instant caughtUpAt;
  private long lastLineageCheckMillis;
  private long lastRebuildAttemptMillis = Long.MIN_VALUE;
  private boolean needsRebuild;
  private long polls;
  private long applied;
  private long rebuilds;
  private String lastError;
  private volatile Progress progress;

  Tailer(FollowerOptions options, ReplicaDatabase replica, Continuation chain, long rebuilds, Consumer<State> publish) {
    this.options = options;
    this.store = options.store();
    this.layout = new BucketLayout(options.prefix());
    this.replica = replica;
    this.chain = chain;
    this.publish = publish;
    this.rebuilds = rebuilds;
    this.startAfter = layout.segmentsAfter(chain.position().lineage(), chain.position().txid());
    this.newestSeenTxid = chain.position().txid();
    this.lastLineageCheckMillis = options.clock().millis();
    this.progress = new Progress(newestSeenTxid, null, 0, 0, rebuilds, null);
  }

  /** One poll: never throws; a failure is kept for {@link #progress} and the next poll tries again. */
  void poll() {
    try {
      pollOnce();
    } finally {
      progress = new Progress(newestSeenTxid, caughtUpAt, polls, applied, rebuilds, lastError);
    }
  }

  /**
   * A poll that also looks for a newer lineage, whatever the interval says: true when it ended caught up with
   * the bucket (nothing newer listed, nothing failed).
   */
  boolean pollToEnd() {
    lastLineageCheckMillis = Long.MIN_VALUE / 2;
    poll();
    return lastError == null && !needsRebuild;
  }

  private void pollOnce() {
    polls++;
    long start = options.clock().millis();
    try {
      if (needsRebuild) {
        if (start - lastRebuildAttemptMillis < options.lineageCheckInterval().toMillis()) {
          return; // a failed rebuild is retried at the lineage-check pace, not at every poll
        }
        rebuild();
      }
      boolean continuous = tail();
      if (!continuous) {
        rebuild();
      } else if (start - lastLineageCheckMillis >= options.lineageCheckInterval().toMillis()) {
        lastLineageCheckMillis = start;
        if (newerLineageExists()) {
          rebuild();
        }
      }
      if (!needsRebuild) {
        caughtUpAt = Instant.ofEpochMilli(start);
      }
      lastError = null;
    } catch (ObjectStoreException | IOException | RestoreException | StoreException | IllegalStateException e) {
      lastError = e.getMessage();
      log.warn("follower of '{}': {}", options.prefix(), e.getMessage());
    }
  }

  /**
   * Applies the segments listed after the last one applied, in order; false at a gap the segments do not
   * bridge, or when more than {@link FollowerOptions#farBehindSegments()} are listed (the file must be rebuilt). A failure to prepare or apply one marks the file for a rebuild.
   */
  private boolean tail() throws IOException {
    String lineage = chain.position().lineage();
    List<ObjectInfo> listed;
    int far = options.farBehindSegments();
    try (Stream<ObjectInfo> s = store.listAfter(layout.segments(lineage), startAfter)) {
      listed = s.limit(far + 1L).toList();
    }
    if (listed.size() > far) {
      log.info("follower of '{}': more than {} segments after txid {}: rebuilding from the newest point instead",
          options.prefix(), far, chain.position().txid());
      return false;
    }
    for (ObjectInfo o : listed) {
      String key = o.key();
      Optional<BucketLayout.Parsed> p = layout.parse(key).filter(x -> !x.snapshot() && !x.compacted());
      if (p.isEmpty()) {
        startAfter = key; // not a segment (a stray object): skip it
        continue;
      }
      newestSeenTxid = Math.max(newestSeenTxid, p.get().lastTxid());
      long txid = chain.position().txid();
      if (p.get().firstTxid() > txid + 1) {
        log.info("follower of '{}': segment {} leaves a gap after txid {} (a snapshot took those commits, or "
            + "retention removed them): rebuilding from the bucket", options.prefix(), key, txid);
        return false;
      }
      if (p.get().lastTxid() > txid) {
        applyOne(key);
      }
      startAfter = key;
    }
    return true;
  }

  private void applyOne(String key) throws IOException {
    Optional<Continuation.Step> step;
    try {
      step = chain.prepare(store, key);
    } catch (RestoreException e) {
      needsRebuild = true; // a segment removed since the listing, or one that does not continue the file
      throw e;
    }
    if (step.isEmpty()) {
      return;
    }
    try {
      replica.update(file -> {
        chain.apply(step.get(), file);
        publish.accept(new State(chain.position(), chain.timestampMillis()));
      });
    } catch (IOException | RuntimeException e) {
      needsRebuild = true; // the file may be half-written: the replica refuses reads until the rebuild
      throw e;
    }
    applied++;
  }

  /** Whether a lineage newer than the followed one has objects: one LIST request of at most one key. */
  private boolean newerLineageExists() {
    String after = layout.lineage(chain.position().lineage()) + "~"; // '~' sorts after every character of a key
    try (Stream<ObjectInfo> newer = store.listAfter(layout.lineages(), after)) {
      return newer.findFirst().isPresent();
    }
  }

  /**
   * Restores the newest point of the bucket beside the file, then copies it in while readers wait: the
   * readers see the old database, then the new one, whole. Throws (keeping the old file served, or refused
   * if it was damaged) when the restore fails; the next poll tries again at the lineage-check pace.
   */
  private void rebuild() throws IOException {
    needsRebuild = true;
    lastRebuildAttemptMillis = options.clock().millis();
    Path temp = options.file().resolveSibling(options.file().getFileName() + ".rebuild");
    try {
      RestoreResult r = Restore.run(RestoreOptions.builder(store, options.prefix(), temp).force(true).build());
      Continuation fresh = Continuation.of(temp, new ReplicaPosition(r.lineage(), r.txid()),
          r.timestamp().toEpochMilli());
      replica.update(file -> {
        copy(temp, file);
        publish.accept(new State(fresh.position(), fresh.timestampMillis()));
      });
      chain = fresh;
      startAfter = layout.segmentsAfter(r.lineage(), r.txid());
      newestSeenTxid = r.txid();
      needsRebuild = false;
      rebuilds++;
      log.info("follower of '{}': rebuilt at txid {} of lineage {}", options.prefix(), r.txid(), r.lineage());
    } finally {
      Files.deleteIfExists(temp);
    }
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
