package io.litevault.replication.restore;

import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.ReplicaPosition;
import java.util.Locale;

/**
 * Where the restore's chain stands, and its checks (step 5, verify chain and checksum): each segment must
 * continue it (no gap, the database checksum before it equal to the chain's), a segment overlapping what is
 * applied must record the same database after every transaction they share, and the transactions applied
 * must produce the checksum the segment records. Package-private; one thread uses it.
 */
final class Chain {
  private final String lineage;
  /** The object the chain starts from (a snapshot, or a file restored earlier): named in errors. */
  private final String base;
  private final DatabaseChecksum state;
  private long txid;
  private long timestampMillis;
  /**
   * What the chain has verified last (the snapshot, then each segment applied): the checksums after txids
   * {@code verifiedBase..}, for comparing a segment that overlaps it.
   */
  private String verifiedKey;
  private long verifiedBase;
  private long[] verifiedChecksums;

  /** A chain starting at the snapshot: its txid, time and checksum. */
  Chain(RestorePlan plan, SnapshotFetch.Base base) {
    this(plan.lineage(), plan.snapshot(), base.state(), base.header().txid(), base.header().timestampMillis());
  }

  /**
   * A chain at txid {@code txid} of {@code lineage}, where the database is {@code state}; {@code base} names
   * where that state came from in errors.
   */
  Chain(String lineage, String base, DatabaseChecksum state, long txid, long timestampMillis) {
    this.lineage = lineage;
    this.base = base;
    this.state = state;
    this.txid = txid;
    this.timestampMillis = timestampMillis;
    this.verifiedKey = base;
    this.verifiedBase = txid;
    this.verifiedChecksums = new long[] {state.value()};
  }

  /** The last transaction applied. */
  long txid() {
    return txid;
  }

  long timestampMillis() {
    return timestampMillis;
  }

  String lineage() {
    return lineage;
  }

  /** A failure past which nothing is restorable: names {@link #txid()} as the newest point. */
  RestoreException brokenAt(RestoreException.Kind kind, String message, Throwable cause) {
    return new RestoreException(kind, message, new ReplicaPosition(lineage, txid), cause);
  }

  /**
   * Checks that segment {@code key} continues the chain: no gap, the checksum before it, and agreement on
   * every transaction it shares with what is applied.
   */
  void verifyLink(String key, DownloadedSegment s) {
    long first = s.header().firstTxid();
    if (first > txid + 1) { // a plan never has a gap; a hand-made one may
      throw brokenAt(RestoreException.Kind.MISSING_OBJECT, "segment " + key + " starts at txid " + first
          + " but the chain before it ends at txid " + txid + "; the newest restorable point is txid " + txid, null);
    }
    if (first == txid + 1 && s.header().checksumBefore() != state.value()) {
      throw brokenAt(RestoreException.Kind.CORRUPT_OBJECT, "segment " + key + " does not continue the "
          + "chain (database checksum before it differs); the newest restorable point is txid " + txid, null);
    }
    // A segment overlapping what is applied (a retried upload batched more commits under a new key):
    // both must record the same database after every transaction they share.
    long lastShared = Math.min(txid, s.header().lastTxid());
    for (long t = Math.max(first - 1, verifiedBase); t <= lastShared; t++) {
      if (!s.records(t)) {
        continue; // inside a compacted range, which records only its ends
      }
      long theirs = verifiedChecksums[(int) (t - verifiedBase)];
      long ours = s.checksumAfter(t);
      if (ours != theirs) {
        throw disagreement(verifiedKey, key, t, theirs, ours);
      }
    }
  }

  /** Applies {@code cut} to the database checksum and checks it gives the checksum the segment records. */
  void verifyChecksum(String key, Cut cut) {
    cut.effect().applyTo(state);
    if (state.value() != cut.checksumAfter()) {
      throw brokenAt(RestoreException.Kind.CORRUPT_OBJECT, "segment " + key + ": transactions up to "
          + cut.lastTxid() + " do not produce the database checksum recorded; the newest restorable point is txid "
          + txid, null);
    }
  }

  /** Writes a range's pages and updates a database checksum with them: {@link PageFile#writeRange}. */
  @FunctionalInterface
  interface RangeWriter {
    void write(DatabaseChecksum state) throws java.io.IOException;
  }

  /**
   * Applies compacted range {@code key}, linked already ({@link #verifyLink}): {@code writer} streams its
   * pages into the file and the database checksum, which must then equal what the range records; the
   * chain moves past it.
   */
  void applyRange(String key, DownloadedSegment range, RangeWriter writer) throws java.io.IOException {
    writer.write(state);
    if (state.value() != range.header().checksumAfter()) {
      throw brokenAt(RestoreException.Kind.CORRUPT_OBJECT, "compacted range " + key + " does not produce the "
          + "database checksum it records; the newest restorable point is txid " + txid, null);
    }
    txid = range.header().lastTxid();
    timestampMillis = range.header().lastTimestampMillis();
    verifiedKey = key;
    verifiedBase = txid;
    verifiedChecksums = new long[] {range.header().checksumAfter()};
  }

  /** Moves the chain past {@code cut} of segment {@code key}, once its pages are written. */
  void extend(String key, DownloadedSegment s, Cut cut) {
    txid = cut.lastTxid();
    timestampMillis = cut.lastTimestampMillis();
    verifiedKey = key;
    verifiedBase = s.header().firstTxid() - 1;
    verifiedChecksums = new long[(int) (txid - verifiedBase + 1)];
    for (int t = 0; t < verifiedChecksums.length; t++) {
      verifiedChecksums[t] = s.checksumAfter(verifiedBase + t);
    }
  }

  /** Two objects of the chain record different databases after the same transaction {@code t}. */
  private RestoreException disagreement(String earlier, String later, long t, long earlierSum, long laterSum) {
    String what = String.format(Locale.ROOT, "txid %d (database checksum after it %016x in %s, %016x in %s)",
        t, earlierSum, earlier, laterSum, later);
    if (earlier.equals(base)) {
      return brokenAt(RestoreException.Kind.CORRUPT_OBJECT, "segment " + later + " does not continue the "
          + "chain from snapshot " + earlier + ": they disagree about " + what + "; the newest restorable point is txid "
          + txid, null);
    }
    return brokenAt(RestoreException.Kind.CONFLICTING_SEGMENTS, "segments " + earlier + " and " + later
        + " overlap and disagree about " + what + ": the bucket holds two different versions of the same transactions, "
        + "which replication never writes (a foreign or damaged object). Restore txid " + txid
        + ", the newest point the chain through " + earlier + " verifies, or inspect both objects and remove the one "
        + "that does not belong", null);
  }
}
