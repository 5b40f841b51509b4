package io.litevault.replication;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bucket wins: a local file equal to an earlier point of the bucket's lineages lost commits the
 * bucket has (a power loss with {@code synchronous=NORMAL}, an older copy put back), and a new lineage
 * from it would hide them from "restore latest". A local file equal to no point the bucket keeps (an
 * empty file where the data was lost, a wrong path, a copy older than retention keeps, a change made
 * while nothing replicated it) is refused too: a new lineage from it would make "restore latest" return
 * it instead of the bucket's data. Unless forks are allowed, replication stops with
 * {@link LocalBehindBucketException}, naming both positions.
 *
 * <p>It also keeps the marker that tells such a loss from a legitimate departure: before the store
 * checkpoints unshipped frames (or they are found lost), the shipper records, fsynced in its work
 * directory, that the local files are leaving the lineage behind; after a restart a local state equal
 * to an earlier point of that lineage is then content that came back to it, not a loss.
 */
final class BucketWins {
  private static final Logger log = LoggerFactory.getLogger(BucketWins.class);
  /** The marker's file name in the work directory. */
  private static final String BROKE_AWAY = "continuity-broken";
  /** The file that records a replicator closed while its database stayed open. */
  private static final String DETACHED = "detached";

  private final String database;
  private final ObjectStore store;
  private final BucketLayout layout;
  private final Path marker;
  private final Path detached;
  private final boolean allowFork;

  BucketWins(String database, ObjectStore store, BucketLayout layout, Path workDir, boolean allowFork) {
    this.database = database;
    this.store = store;
    this.layout = layout;
    this.marker = workDir.resolve(BROKE_AWAY);
    this.detached = workDir.resolve(DETACHED);
    this.allowFork = allowFork;
  }

  /**
   * Called when the local files do not continue {@code tip}: returns (a new lineage may start) only when
   * forks are allowed or this process broke away from {@code tip}'s lineage on purpose; otherwise throws,
   * naming the lineage point one of {@code localStates} (the states the file may have been in at start)
   * equals, or saying it equals none the bucket keeps.
   */
  void refuseIfBehind(LineageCatalog.Tip tip, List<DatabaseChecksum> localStates) throws IOException {
    if (allowFork) {
      return;
    }
    if (brokeAway(tip.lineage())) {
      log.info("database '{}': the local files moved on past lineage {} after a continuity break", database,
          tip.lineage());
      return;
    }
    Map<String, LineageCatalog.Lineage> all = LineageCatalog.list(store, layout); // one listing for every lineage
    LineageCatalog.Lineage newest = all.get(tip.lineage());
    OptionalLong earlier = newest == null ? OptionalLong.empty() : EarlierPoint.find(store, layout, newest, localStates);
    if (earlier.isPresent() && earlier.getAsLong() < tip.txid()) {
      throw new LocalBehindBucketException(database, tip.lineage(), earlier.getAsLong(), tip.txid());
    }
    // A copy older than the newest lineage (a rollback past a lineage change) loses that lineage too.
    List<LineageCatalog.Lineage> older = new ArrayList<>(all.values());
    java.util.Collections.reverse(older);
    for (LineageCatalog.Lineage l : older) {
      if (l.id().compareTo(tip.lineage()) < 0 && !brokeAway(l.id())) {
        OptionalLong point = EarlierPoint.find(store, layout, l, localStates);
        if (point.isPresent()) {
          throw new LocalBehindBucketException(database, l.id(), point.getAsLong(), tip.lineage(), tip.txid());
        }
      }
    }
    // Matching nothing the bucket keeps: an empty file where the data was lost, a wrong path, an older
    // copy than retention keeps, or a change made while nothing replicated it. Content cannot tell
    // these apart, and a new lineage from the first three would make "restore latest" return the wrong
    // database; so the bucket wins here too, and a deliberate fork is the caller's explicit choice.
    // Closing a replicator while its database stays open is such a choice: commits made meanwhile are
    // the application's, not a loss.
    if (detachedFrom(tip.lineage())) {
      log.info("database '{}': written while replication was detached from lineage {}", database, tip.lineage());
      return;
    }
    throw new LocalBehindBucketException(database, tip);
  }

  /** Records, durably and before the files move on, that they are leaving {@code lineage} behind. */
  void markBrokenAway(String lineage) {
    write(marker, lineage);
  }

  private void write(Path file, String lineage) {
    if (lineage == null) {
      return;
    }
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, lineage + "\n");
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Fsync.directory(file.getParent());
    } catch (IOException e) {
      log.warn("database '{}': could not record {} in {}: {}", database, file.getFileName(), file, e.toString());
    }
  }

  /**
   * Records that replication was closed while the database stayed open at {@code lineage}: commits from
   * now on are the application's own, and a later start that finds files matching no point of the
   * bucket takes them for that, not for a lost file. Weaker than a break: an earlier point is still refused.
   */
  void markDetached(String lineage) {
    write(detached, lineage);
  }

  /** A new lineage holds the files: the break is behind us. */
  void forgetBreak() throws IOException {
    Files.deleteIfExists(marker);
    Files.deleteIfExists(detached);
  }

  /** The files continue the lineage again: a detach left nothing behind. */
  void forgetDetach() throws IOException {
    Files.deleteIfExists(detached);
  }

  private boolean brokeAway(String fromLineage) throws IOException {
    return Files.exists(marker) && Files.readString(marker).strip().equals(fromLineage);
  }

  private boolean detachedFrom(String fromLineage) throws IOException {
    return Files.exists(detached) && Files.readString(detached).strip().equals(fromLineage);
  }
}
