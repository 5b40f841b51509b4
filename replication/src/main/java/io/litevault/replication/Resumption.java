package io.litevault.replication;

import io.litevault.replication.format.LineageCatalog;
import io.litevault.store.CommitEvent;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.ReadPin;
import io.litevault.store.ReplicationPort;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, under a {@link ReadPin} at a start, whether the shipper continues the bucket's newest lineage
 * (its tip) and what it has to catch up: the files must continue the tip ({@link ResumePoint}; else
 * {@link BucketWins} refuses files behind the bucket, or lets a new lineage start), and this process must
 * be safe to write into it (its own lineage, or a lease whose last holder is known to be gone). When no
 * break was announced since the resume began, the files did not move away, so a break recorded earlier
 * is forgotten here. Then it reads the commits after the tip: one segment's worth, or too many (a
 * snapshot catches those up).
 *
 * <p>Called only by {@link Shipper}'s resume, on its thread, which passes what it needs (the lineage it
 * created, the break count when the resume began, its break counter and first pending commit as
 * suppliers read at the moment they were read before) and applies the answer to its own state: this
 * class holds none. Logs stay under the shipper's logger, as before they moved here.
 */
final class Resumption {
  private static final Logger log = LoggerFactory.getLogger(Shipper.class);

  /**
   * What to catch up after the tip: the commits' {@code items}, one segment's worth, or, when {@code items}
   * is null, {@code frames} frames, more than a segment holds: a snapshot instead.
   */
  record CatchUp(long frames, List<SegmentBatch.Item> items) {
    boolean bySnapshot() {
      return items == null;
    }
  }

  private final String database;
  private final DatabaseFiles files;
  private final ReplicationPort port;
  private final BucketWins bucketWins;
  private final Lease lease;
  private final ReplicatorOptions options;
  private final SegmentBatch.WalOpener wals;
  /** The shipper's count of the store's forced checkpoints. */
  private final IntSupplier breaks;
  /** The first commit the shipper has not shipped yet, or null. */
  private final Supplier<CommitEvent> firstPending;

  Resumption(String database, DatabaseFiles files, ReplicationPort port, BucketWins bucketWins, Lease lease,
      ReplicatorOptions options, SegmentBatch.WalOpener wals, IntSupplier breaks, Supplier<CommitEvent> firstPending) {
    this.database = database;
    this.files = files;
    this.port = port;
    this.bucketWins = bucketWins;
    this.lease = lease;
    this.options = options;
    this.wals = wals;
    this.breaks = breaks;
    this.firstPending = firstPending;
  }

  /**
   * Where the pinned files continue {@code tip}, when this process may write into its lineage
   * ({@code createdLineage}: the one it started, if any); empty to start a new lineage. Throws
   * {@link LocalBehindBucketException} when the files are behind the bucket. With no break since
   * {@code breaksAtResume} (the count when the resume began), forgets the break recorded earlier.
   */
  Optional<ResumePoint> continues(LineageCatalog.Tip tip, ReadPin pin, String createdLineage, int breaksAtResume)
      throws IOException {
    Optional<ResumePoint> point = ResumePoint.find(tip, pin, files);
    if (point.isEmpty()) {
      bucketWins.refuseIfBehind(tip, LocalStates.atStart(files, pin, port.walAtOpen(), firstPending.get()),
          () -> LocalStates.upToPin(files, pin));
      log.info("database '{}': local files do not continue lineage {} at txid {} (a fork was allowed, or this "
          + "process broke away from it): starting a new lineage", database, tip.lineage(), tip.txid());
      return Optional.empty();
    }
    if (!lease.continuationSafe() && !tip.lineage().equals(createdLineage)) {
      log.info("database '{}': lineage {} belongs to a process whose lease expired but which may still be running "
          + "elsewhere: starting a new lineage from the same state instead of writing beside it", database, tip.lineage());
      return Optional.empty();
    }
    if (breaks.getAsInt() == breaksAtResume) {
      // The files continue the lineage: a break recorded earlier did not move them (a checkpoint a reader
      // kept from running, a kill -9 before it), and a marker left standing would excuse a later rollback.
      // Forgotten before either catch-up (a segment, or a snapshot for a long one): both continue it.
      bucketWins.forgetBreak();
    }
    return point;
  }

  /**
   * The commits from WAL offset {@code catchUpFrom} up to {@code pin}, which lies past it: as segment items,
   * or, more than one segment's worth, only their frame count.
   */
  CatchUp catchUp(ReadPin pin, long catchUpFrom) throws IOException {
    WalReader wal = wals.open(pin.position());
    long frames = (pin.position().offset() - catchUpFrom) / wal.header().frameSize();
    if (frames * wal.header().pageSize() > options.maxSegmentBytes()) {
      // More than one segment's worth to catch up: a snapshot of the lineage streams it from disk
      // instead of reading it all into the heap.
      return new CatchUp(frames, null);
    }
    List<SegmentBatch.Item> items = new ArrayList<>();
    for (WalTransaction tx : wal.read(catchUpFrom, pin.position().offset())) {
      items.add(new SegmentBatch.Item(tx, -1, options.clock().millis()));
    }
    return new CatchUp(frames, items);
  }
}
