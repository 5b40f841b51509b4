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
 * it instead of the bucket's data, unless it is the same file (device and inode) that held the
 * lineage, moved on while nothing replicated it. Unless forks are allowed, replication stops with
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
  /** The file that records which database file (device, inode) held which lineage. */
  private static final String LOCAL_FILE = "local-file";

  private final String database;
  private final ObjectStore store;
  private final BucketLayout layout;
  private final Path marker;
  private final Path localFile;
  private final Path databaseFile;
  private final boolean allowFork;

  BucketWins(String database, Path databaseFile, ObjectStore store, BucketLayout layout, Path workDir, boolean allowFork) {
    this.database = database;
    this.store = store;
    this.layout = layout;
    this.marker = workDir.resolve(BROKE_AWAY);
    this.localFile = workDir.resolve(LOCAL_FILE);
    this.databaseFile = databaseFile;
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
    // One exception: the very file (device and inode) that held this lineage's state moved on while
    // nothing replicated it (migrations or writes before the replicator attached, a detached
    // replicator, a close while the bucket was down). A lost disk, a wrong path or a copy put in its
    // place is another file.
    if (sameFileAs(tip.lineage())) {
      log.info("database '{}': the file that held lineage {} changed while nothing replicated it", database,
          tip.lineage());
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
   * Records, fsynced, that this database file (its device and inode) holds {@code lineage}'s state: a
   * later start that finds it matching no point the bucket keeps knows it is the same file moved on,
   * not another file put in its place.
   */
  void recordLocalFile(String lineage) {
    String key = fileKey();
    if (key != null) {
      write(localFile, lineage + " " + key);
    }
  }

  /** A new lineage holds the files: the break is behind us. */
  void forgetBreak() throws IOException {
    Files.deleteIfExists(marker);
  }

  private boolean brokeAway(String fromLineage) throws IOException {
    return Files.exists(marker) && Files.readString(marker).strip().equals(fromLineage);
  }

  private boolean sameFileAs(String lineage) throws IOException {
    String key = fileKey();
    return key != null && Files.exists(localFile) && Files.readString(localFile).strip().equals(lineage + " " + key);
  }

  /** The database file's identity on this machine ({@code (dev=…,ino=…)} on Linux), or null if unknown. */
  private String fileKey() {
    try {
      Object key = Files.readAttributes(databaseFile, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
      return key == null ? null : key.toString().replace(' ', '_');
    } catch (IOException e) {
      return null;
    }
  }
}
