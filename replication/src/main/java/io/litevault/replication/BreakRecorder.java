package io.litevault.replication;

import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.store.CommitEvent;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.ReadPin;
import io.litevault.store.ReplicationPort;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records where the local files were in the bucket when they leave it behind: gathers what a continuity
 * record needs (the lineage and txid last reached, a new lineage's snapshot in flight, the commit
 * boundaries the files pass through, the state a break leaves, the files fsynced first) and hands it to
 * {@link BucketWins}, which owns the records' format and files. It owns one piece of state, the point
 * last reached, which {@link Shipper} sets each time a segment or snapshot lands or a lineage resumes.
 *
 * <p>Called through {@link Shipper}'s {@code markBrokenAway}, {@code recordClosed} and {@code recordHeld}
 * by {@link Replicator} (on the store's writer thread just before a forced checkpoint, and as the
 * replicator closes or parts), and by {@link Shipper} on its own thread when the files leave a lineage
 * there (another writer's bytes, frames lost). What it reads of the shipper's state (the first pending
 * commit, a new lineage's snapshot in flight) the shipper passes in as suppliers, read when a break is
 * recorded. A record that cannot be made is logged, never thrown: the break goes on without it.
 */
final class BreakRecorder {
  /** The shipper's logger: these messages moved here with the code, under the category they always had. */
  private static final Logger log = LoggerFactory.getLogger(Shipper.class);

  private final String database;
  private final DatabaseFiles files;
  private final ReplicationPort port;
  private final BucketWins bucketWins;
  /** The first commit the shipper has not shipped yet, or null. */
  private final Supplier<CommitEvent> firstPending;
  /** A new lineage's snapshot read but not known to be in the bucket (its lineage and txid), or null. */
  private final Supplier<BucketWins.Left> newLineageInFlight;

  /**
   * The lineage and txid the files last reached in the bucket, set together (a break on the writer thread
   * reads them as one): what a continuity record names. Null until a lineage is held.
   */
  private volatile BucketWins.Left reached;

  BreakRecorder(String database, DatabaseFiles files, ReplicationPort port, BucketWins bucketWins,
      Supplier<CommitEvent> firstPending, Supplier<BucketWins.Left> newLineageInFlight) {
    this.database = database;
    this.files = files;
    this.port = port;
    this.bucketWins = bucketWins;
    this.firstPending = firstPending;
    this.newLineageInFlight = newLineageInFlight;
  }

  /** The files reached {@code txid} of {@code lineage} in the bucket (a landed upload, a resumed tip). */
  void reached(String lineage, long txid) {
    reached = new BucketWins.Left(lineage, txid);
  }

  /**
   * Called once the replicator's thread has ended: where the files are in the bucket, for a process that
   * finds them unchanged after a clean close (see {@link BucketWins#closedAt}). {@code checksum} is the
   * shipper's state there (null before any lineage was held).
   */
  void recordClosed(DatabaseChecksum checksum) {
    BucketWins.Left r = reached;
    if (r != null && checksum != null) {
      bucketWins.recordClosed(r, checksum);
    }
  }

  /** Called as the replicator parts: where it was, for a later replicator of this open store. */
  void recordHeld() {
    BucketWins.Left r = reached;
    if (r != null) {
      bucketWins.held(r.lineage(), r.txid());
    }
  }

  /**
   * Records, durably and before the files move on, that the local database is leaving the current
   * lineage behind on purpose (see {@link BucketWins}), called on the store's writer thread just before a
   * forced checkpoint: {@code walEnd} is where the WAL ends then, the state the checkpoint leaves.
   */
  void markBrokenAway(WalPosition walEnd) {
    syncFiles();
    markBrokenAway(passed(walEnd));
  }

  /** As above, from the shipper's thread (the files are read under a pin). */
  void markBrokenAwayHere() {
    syncFiles();
    List<WalStates.Boundary> passed = List.of();
    try (ReadPin pin = ReadPins.take(port)) {
      passed = passed(pin.mainFileComplete() ? Shipper.NOTHING : pin.position());
    } catch (Exception e) {
      log.warn("database '{}': could not read the state a continuity break leaves", database, e);
    }
    markBrokenAway(passed);
  }

  /**
   * The states at every commit boundary up to {@code end} (the last is the state the break leaves): an
   * upload in flight at the break may land with its answer lost, and its tip is one of them.
   */
  private List<WalStates.Boundary> passed(WalPosition end) {
    try {
      return WalStates.boundaries(files, end, LocalStates.MAX_STATES);
    } catch (IOException | RuntimeException e) {
      log.warn("database '{}': could not read the states a continuity break leaves", database, e);
      return List.of();
    }
  }

  private void markBrokenAway(List<WalStates.Boundary> passed) {
    DatabaseChecksum after = passed.isEmpty() ? null : passed.get(passed.size() - 1).state();
    BucketWins.Left left = reached != null ? reached : bucketWins.lastHeld();
    // A new lineage's snapshot in flight may land (or have landed with its answer lost) after this record:
    // it is named too, so the next start does not take that lineage for one the files never reached.
    BucketWins.Left pending = newLineageInFlight.get();
    try {
      if (left == null) {
        List<WalStates.Boundary> before = LocalStates.beforeBreak(files, port.walAtOpen(), firstPending.get());
        left = bucketWins.closedAt(before, port.walAtOpen()); // files a clean close left, unchanged since
        if (left == null) {
          // No lineage known: keep the states the files may have had when this process opened them (see
          // LocalStates), to compare with the bucket later.
          bucketWins.markBrokenAwayFrom(before, pending, passed, after);
          return;
        }
      }
      bucketWins.markBrokenAway(left.lineage(), left.txid(), pending, passed, after);
    } catch (IOException | RuntimeException e) {
      log.warn("database '{}': could not record the state before a continuity break", database, e);
    }
  }

  /**
   * Makes the files' present state durable before a marker says they held it: with synchronous=NORMAL the
   * WAL is synced only before a checkpoint, so a power loss after the marker and before the checkpoint's
   * sync would roll the files back behind what the marker vouches for (a rollback then taken for a
   * departure: acknowledged REPLICATED writes lost from "restore latest").
   */
  private void syncFiles() {
    try {
      files.sync(io.litevault.store.DatabaseFiles.Kind.WAL);
      files.sync(io.litevault.store.DatabaseFiles.Kind.DATABASE);
    } catch (IOException | RuntimeException e) {
      log.warn("database '{}': could not sync the files before recording a continuity break", database, e);
    }
  }
}
