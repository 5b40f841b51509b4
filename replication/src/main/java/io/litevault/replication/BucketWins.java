package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.Fsync;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.LineageCatalog;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.litevault.store.Database;
import io.litevault.store.WalPosition;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bucket wins: a local file equal to an earlier point of the bucket's lineages lost commits the
 * bucket has (a power loss with {@code synchronous=NORMAL}, an older copy put back), and a new lineage
 * from it would hide them from "restore latest". A local file equal to no point the bucket keeps (an
 * empty file where the data was lost, a wrong path, a copy older than retention keeps, a change made
 * while nothing replicated it) is refused too: a new lineage from it would make "restore latest" return
 * it instead of the bucket's data. (A replicator closed while its store stays open leaves a gate that
 * keeps the WAL, so the files never move past the lineage behind its back: see
 * {@link Replicator#close()}.) Unless forks are allowed, or (a {@link MultiReplicator}'s destination) another
 * destination witnesses that the files descend from the tip ({@link Witnesses}), replication stops with
 * {@link LocalBehindBucketException}, naming both positions.
 *
 * <p>It also keeps the marker that tells such a loss from a legitimate departure: before the store
 * checkpoints unshipped frames (or they are found lost), the shipper records, fsynced in its work
 * directory, that the local files are leaving the lineage behind; after a restart a local state equal
 * to an earlier point of that lineage is then content that came back to it, not a loss. The marker also
 * records the state the break left the files in; a later open trusts it only if its files passed through
 * that state, so a marker left in a work directory whose database was replaced since vouches for nothing.
 */
final class BucketWins {
  private static final Logger log = LoggerFactory.getLogger(BucketWins.class);
  /** Where a clean close left the files: {@code <lineage> <txid> <checksum> <pages>}. */
  private static final String CLOSED = "closed-at";
  /** The marker's file name in the work directory. */
  private static final String BROKE_AWAY = "continuity-broken";
  /** The marker's content for a break while no lineage was held: {@code state <checksum> <pages> ...}. */
  private static final String STATE = "state ";
  /** The marker's second line: the state the files had when the break moved them on. */
  private static final String AFTER = "after ";
  /** An optional line: a new lineage whose snapshot was in flight at the break, and its txid. */
  private static final String PENDING = "pending ";
  /**
   * A line: the commit boundaries the files passed through (salts, offset, checksum, pages each): the WAL
   * at open when no lineage was held, and the WAL at each break. A bucket tip taken at one of them (same
   * WAL position, same content: an upload in flight at a break that landed with its answer lost, a new
   * lineage's snapshot) holds nothing the files lack. Content alone would not do: a row set back to what
   * it was makes an old state the tip again, after commits the files never had.
   */
  private static final String AT = "at ";

  /** The open databases (this process, this open) whose marker they wrote themselves. */
  private static final Set<Database> MARKED_THIS_OPEN =
      java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
  /** Where the replicators of each open database last were in a lineage, whichever replicator it was. */
  private static final Map<Database, Left> LAST_HELD =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /** A lineage and the last txid of it the files had. */
  record Left(String lineage, long txid) {}

  private final Database db;
  private final String database;
  private final ObjectStore store;
  private final BucketLayout layout;
  private final Path marker;
  private final boolean allowFork;
  /** A {@link MultiReplicator}'s other destinations, which may vouch that the files descend from the tip. */
  private final Witnesses witnesses;
  /** How many times {@link Witnesses.MovedOn} is asked again before the refusal stands. */
  static final int MAX_UNDECIDED = 3;
  /** Starts that found a witness moved on (the shipper's thread only). */
  private int undecided;


  BucketWins(Database db, ObjectStore store, BucketLayout layout, Path workDir, boolean allowFork,
      Witnesses witnesses) {
    this.db = db;
    this.database = db.name();
    this.store = store;
    this.layout = layout;
    this.marker = workDir.resolve(BROKE_AWAY);
    this.allowFork = allowFork;
    this.witnesses = witnesses;
  }

  /** A replicator of this open database holds {@code lineage} at {@code txid}: the files passed through it. */
  void held(String lineage, long txid) {
    LAST_HELD.put(db, new Left(lineage, txid));
  }

  /**
   * Where a replicator of this open database last was, or null: a replicator that failed to start after
   * another one closed still knows which lineage the files left, and at which txid (only this store moved them).
   */
  Left lastHeld() {
    return LAST_HELD.get(db);
  }

  /**
   * Called when the local files do not continue {@code tip}: returns (a new lineage may start) only when
   * forks are allowed or the files broke away from {@code tip}'s lineage on purpose; otherwise throws,
   * naming the lineage point one of {@code localStates} (the states the files may have been in when this
   * process opened them) equals, or saying it equals none the bucket keeps.
   */
  /** States read only when needed (the witnesses' check): they cost a read of the WAL. */
  interface States {
    List<DatabaseChecksum> get() throws IOException;
  }

  void refuseIfBehind(LineageCatalog.Tip tip, List<DatabaseChecksum> localStates, States sinceOpen) throws IOException {
    if (allowFork) {
      return;
    }
    Marker m = trustedMarker(localStates);
    if (m != null && m.reached(tip)) {
      // Whatever lineage it is: the bucket's newest state was taken from these files' own history (or is
      // their whole content then), so it holds nothing they did not have before the break.
      log.info("database '{}': the bucket's tip (lineage {}, txid {}) is a point these files reached before a "
          + "continuity break moved them on", database, tip.lineage(), tip.txid());
      return;
    }
    if (m != null && tip.lineage().equals(m.lineage)) {
      if (tip.txid() <= m.leftTxid) {
        log.info("database '{}': the local files moved on past lineage {} at txid {} after a continuity break",
            database, tip.lineage(), m.leftTxid);
        return;
      }
      // Another process continued the lineage after these files left it (a standby that took the
      // released lease): the files are compared by their own states, as if nothing were recorded.
      log.warn("database '{}': lineage {} grew to txid {} after these files left it at txid {}", database,
          tip.lineage(), tip.txid(), m.leftTxid);
      m = null;
    }
    // A break while no lineage was held moved the files on before they were ever compared with the
    // bucket: what is compared is the state they had before it, kept in the marker.
    List<DatabaseChecksum> states = m != null && m.states != null ? union(m.states, states(m.at)) : localStates;
    Map<String, LineageCatalog.Lineage> all = LineageCatalog.list(store, layout); // one listing for every lineage
    LineageCatalog.Lineage newest = all.get(tip.lineage());
    OptionalLong earlier = newest == null ? OptionalLong.empty() : EarlierPoint.find(store, layout, newest, states);
    if (earlier.isPresent() && earlier.getAsLong() < tip.txid()) {
      throw new LocalBehindBucketException(database, tip.lineage(), earlier.getAsLong(), tip.txid());
    }
    // A copy older than the newest lineage (a rollback past a lineage change) loses that lineage too.
    List<LineageCatalog.Lineage> older = new ArrayList<>(all.values());
    java.util.Collections.reverse(older);
    for (LineageCatalog.Lineage l : older) {
      if (l.id().compareTo(tip.lineage()) < 0 && (m == null || !l.id().equals(m.lineage))) {
        OptionalLong point = EarlierPoint.find(store, layout, l, states);
        if (point.isPresent()) {
          throw new LocalBehindBucketException(database, l.id(), point.getAsLong(), tip.lineage(), tip.txid());
        }
      }
    }
    // Matching nothing the bucket keeps: an empty file where the data was lost, a wrong path, an older
    // copy than retention keeps, or a change made while nothing replicated it. Content cannot tell
    // these apart, and a new lineage from the first three would make "restore latest" return the wrong
    // database; so the bucket wins here too, and a deliberate fork is the caller's explicit choice.
    // Or a file restored from a fresher sibling destination: one whose history holds this tip's commit
    // and then the file says so (Witnesses).
    Optional<Witnesses.Vouch> vouch;
    try {
      vouch = witnesses.isEmpty() ? Optional.empty() : witnesses.vouch(tip, union(states, sinceOpen.get()));
    } catch (Witnesses.MovedOn e) {
      if (++undecided < MAX_UNDECIDED) {
        throw e; // the start is retried, with the files read anew
      }
      vouch = Optional.empty(); // still behind a witness's tip after that: the files are older than it
    }
    if (vouch.isPresent()) {
      log.info("database '{}': the local files are no point this bucket keeps, but they descend from its tip "
          + "(lineage {}, txid {}): {}; starting a new lineage here", database, tip.lineage(), tip.txid(),
          vouch.get().why());
      return;
    }
    throw new LocalBehindBucketException(database, tip);
  }

  /**
   * Records, durably and before the files move on, that they are leaving {@code lineage} behind, and
   * the state {@code after} they have when the break moves them on (null when it could not be read).
   */
  void markBrokenAway(String lineage, long txid, Left pending, List<WalStates.Boundary> passed, DatabaseChecksum after)
      throws IOException {
    Marker kept = Files.exists(marker) ? trustedMarker(states(passed)) : null;
    if (kept != null) {
      // An earlier break the files descend from: what they passed through then stays known.
      write(new Marker(lineage, txid, null, after, pending != null ? pending : kept.pending, union(kept.at, passed)));
      return;
    }
    write(new Marker(lineage, txid, null, after, pending, passed));
  }

  /** {@code older} then {@code newer}, the newest {@link LocalStates#MAX_STATES} of them. */
  private static <T> List<T> union(List<T> older, List<T> newer) {
    List<T> all = new ArrayList<>(older);
    all.addAll(newer);
    return all.size() <= LocalStates.MAX_STATES ? all
        : new ArrayList<>(all.subList(all.size() - LocalStates.MAX_STATES, all.size()));
  }

  private static List<DatabaseChecksum> states(List<WalStates.Boundary> boundaries) {
    List<DatabaseChecksum> out = new ArrayList<>(boundaries.size());
    for (WalStates.Boundary b : boundaries) {
      out.add(b.state());
    }
    return out;
  }

  /**
   * A new lineage landed whose snapshot the files passed through, but a break since its pin moved them on
   * again: the record now names that lineage, left at {@code txid} (its snapshot), keeping the state the
   * latest break left.
   */
  void relabel(String lineage, long txid) throws IOException {
    Marker m = readMarker();
    if (m != null) {
      write(new Marker(lineage, txid, null, m.after, null, m.at));
    }
  }

  /**
   * Records, before the files move on, a break while no lineage was held (a replicator still starting,
   * or one that failed to start): the files were never compared with the bucket, so the states they had
   * before the break are kept, and compared later like local states (a power-loss rollback stays a
   * rollback, whatever the break wrote over it). A marker the files descend from (see
   * {@link #trustedMarker}: this open wrote it, or the files passed through the state it left) stays.
   */
  void markBrokenAwayFrom(List<WalStates.Boundary> before, Left pending, List<WalStates.Boundary> passed,
      DatabaseChecksum after) throws IOException {
    List<DatabaseChecksum> beforeStates = states(before);
    Marker kept = Files.exists(marker) ? trustedMarker(beforeStates) : null;
    if (kept != null) {
      // Written by this open, or by an earlier one whose break these files passed through (a second boot
      // during one outage): the files moved on from what it records, so it stands, with every break's
      // boundaries (an upload in flight at any of them may have landed) and this break's state.
      log.info("database '{}': a second continuity break before any lineage holds the files; the first one's "
          + "record stands", database);
      write(new Marker(kept.lineage, kept.leftTxid, kept.states, after, pending != null ? pending : kept.pending,
          union(kept.at, passed)));
      return;
    }
    write(new Marker(null, -1, beforeStates, after, pending, union(before, passed)));
  }

  private static String stateLine(List<DatabaseChecksum> states) {
    StringBuilder b = new StringBuilder(STATE.strip());
    for (DatabaseChecksum c : states) {
      b.append(' ').append(c.value()).append(' ').append(c.pages());
    }
    return b.toString();
  }

  /** What a marker says: the lineage left, or the states before a break while none was held. */
  private record Marker(String lineage, long leftTxid, List<DatabaseChecksum> states, DatabaseChecksum after,
      Left pending, List<WalStates.Boundary> at) {
    String firstLine() {
      return lineage != null ? lineage + " " + leftTxid : stateLine(states);
    }

    /**
     * Whether {@code tip} is a point these files reached: taken at one of their commit boundaries (same
     * WAL position and content), equal to their whole content at the latest break, or the pending lineage.
     */
    boolean reached(LineageCatalog.Tip tip) {
      if (pending != null && tip.lineage().equals(pending.lineage()) && tip.txid() <= pending.txid()) {
        return true;
      }
      for (WalStates.Boundary b : at) {
        if (b.is(tip)) {
          return true;
        }
      }
      // The files' whole content when the latest break moved them on: a tip equal to it holds exactly what
      // they had then. Not an earlier state of theirs by content (their state at open, an earlier break's):
      // they moved on from it, and the bucket may have too (a standby that set a row back to an old value).
      return after != null && after.value() == tip.checksumAfter() && after.pages() == tip.dbSizePages();
    }
  }

  /**
   * The marker, if the files still descend from the break it records: written by this open database
   * (only this store moved the files since), or its {@code after} state is one of {@code localStates}
   * (the files passed through the state the break left). A marker from an earlier open whose files were
   * replaced since (an older copy put back, the work directory kept) is ignored, with a warning: it
   * would vouch for files it never saw.
   */
  private Marker trustedMarker(List<DatabaseChecksum> localStates) throws IOException {
    Marker m = readMarker();
    if (m == null || MARKED_THIS_OPEN.contains(db)) {
      return m;
    }
    if (m.after != null) {
      for (DatabaseChecksum c : localStates) {
        if (c.value() == m.after.value() && c.pages() == m.after.pages()) {
          return m;
        }
      }
    }
    log.warn("database '{}': ignoring {} in the work directory: the local files do not descend from the break it "
        + "records (replaced since?)", database, BROKE_AWAY);
    return null;
  }

  private Marker readMarker() throws IOException {
    if (!Files.exists(marker)) {
      return null;
    }
    try {
      return parse(Files.readAllLines(marker));
    } catch (RuntimeException e) {
      log.warn("database '{}': ignoring an unreadable {} in the work directory: {}", database, BROKE_AWAY, e.toString());
      return null;
    }
  }

  private static Marker parse(List<String> lines) {
    if (lines.isEmpty() || lines.get(0).isBlank()) {
      return null;
    }
    DatabaseChecksum after = null;
    Left pending = null;
    List<WalStates.Boundary> at = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] a = line.strip().split(" ");
      if (line.startsWith(AFTER)) {
        after = DatabaseChecksum.summary(Long.parseLong(a[1]), Integer.parseInt(a[2]));
      } else if (line.startsWith(PENDING)) {
        pending = new Left(a[1], Long.parseLong(a[2]));
      } else if (line.startsWith(AT)) {
        for (int i = 1; i + 4 < a.length; i += 5) {
          at.add(new WalStates.Boundary(Long.parseLong(a[i]), Long.parseLong(a[i + 1]), Long.parseLong(a[i + 2]),
              Long.parseLong(a[i + 3]), Integer.parseInt(a[i + 4])));
        }
      }
    }
    String first = lines.get(0).strip();
    if (!first.startsWith(STATE.strip())) {
      String[] l = first.split(" ");
      return new Marker(l[0], l.length > 1 ? Long.parseLong(l[1]) : -1, null, after, pending, at); // -1: older
    }
    return new Marker(null, -1, states(first.split(" ")), after, pending, at);
  }

  /** The checksum/pages pairs after the first word of a line. */
  private static List<DatabaseChecksum> states(String[] words) {
    List<DatabaseChecksum> out = new ArrayList<>();
    for (int i = 1; i + 1 < words.length; i += 2) {
      out.add(DatabaseChecksum.summary(Long.parseLong(words[i]), Integer.parseInt(words[i + 1])));
    }
    return out;
  }

  private void write(Marker m) {
    if (m.lineage == null && m.states == null) {
      return;
    }
    try {
      StringBuilder text = new StringBuilder(m.firstLine()).append('\n');
      if (m.after != null) {
        text.append(AFTER).append(m.after.value()).append(' ').append(m.after.pages()).append('\n');
      }
      if (m.pending != null) {
        text.append(PENDING).append(m.pending.lineage()).append(' ').append(m.pending.txid()).append('\n');
      }
      text.append(AT.strip());
      for (WalStates.Boundary b : m.at) {
        text.append(' ').append(b.salt1()).append(' ').append(b.salt2()).append(' ').append(b.offset()).append(' ')
            .append(b.checksum()).append(' ').append(b.pages());
      }
      text.append('\n');
      writeWhole(marker, text.toString());
      MARKED_THIS_OPEN.add(db);
    } catch (IOException e) {
      log.warn("database '{}': could not record {} in {}", database, marker.getFileName(), marker, e);
    }
  }

  /**
   * Writes {@code file} whole or not at all: beside it, fsynced, renamed over it (a kill -9 inside
   * Files.writeString over it would leave it truncated or torn), then the directory fsynced.
   */
  private static void writeWhole(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, text);
    try (FileChannel ch = FileChannel.open(next, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Fsync.directory(file.getParent());
  }

  /**
   * Records, as a replicator closes, where the files are in the bucket and their content there: a store
   * closed cleanly then checkpoints everything shipped into the main file and drops the WAL, and with it
   * every WAL position that could tie the files to the bucket's history.
   */
  void recordClosed(Left at, DatabaseChecksum state) {
    try {
      writeWhole(marker.resolveSibling(CLOSED),
          at.lineage() + " " + at.txid() + " " + state.value() + " " + state.pages() + "\n");
    } catch (IOException e) {
      log.warn("database '{}': could not record where the files were at close: {}", database, e.toString());
    }
  }

  /**
   * Where a clean close left these files, when they are unchanged since: the WAL held nothing at open and
   * the main file ({@code atOpen}'s first boundary) has the content recorded at that close. Then the files
   * were at that lineage and txid by identity, not by a content match with the bucket (which a standby
   * setting a row back to an old value could fake). Null otherwise.
   */
  Left closedAt(List<WalStates.Boundary> atOpen, WalPosition walAtOpen) {
    Path file = marker.resolveSibling(CLOSED);
    if (atOpen.isEmpty() || walAtOpen.offset() > WalHeader.BYTES || !Files.exists(file)) {
      return null;
    }
    try {
      String[] w = Files.readString(file).strip().split(" ");
      WalStates.Boundary main = atOpen.get(0);
      if (main.checksum() == Long.parseLong(w[2]) && main.pages() == Integer.parseInt(w[3])) {
        return new Left(w[0], Long.parseLong(w[1]));
      }
    } catch (IOException | RuntimeException e) {
      log.warn("database '{}': ignoring an unreadable {}: {}", database, CLOSED, e.toString());
    }
    return null;
  }

  /**
   * A new lineage holds the files, or they were found to continue the lineage: the break is behind us.
   * The deletion is made durable before anything is shipped on: a power loss that brought the record
   * back would excuse a rollback of what is shipped next.
   */
  void forgetBreak() throws IOException {
    if (Files.deleteIfExists(marker)) {
      Fsync.directory(marker.getParent());
    }
  }
}
