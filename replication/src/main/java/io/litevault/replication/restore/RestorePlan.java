package io.litevault.replication.restore;

import java.util.List;

/**
 * The objects a restore will download, in order: one snapshot, then segments forming an unbroken txid
 * chain up to the target, with the fewest objects. Consecutive segments may overlap (a retried upload
 * batched more commits under a new key); the restore cuts the transactions already applied.
 *
 * @param lineage the lineage restored from
 * @param snapshot the snapshot's key
 * @param snapshotTxid the snapshot's txid
 * @param segments the segment keys, in txid order
 * @param targetTxid the txid the restore ends at (for a timestamp target: the last segment's last txid,
 *     refined while applying)
 * @param bytes total bytes to download
 */
public record RestorePlan(String lineage, String snapshot, long snapshotTxid, List<String> segments, long targetTxid,
    long bytes) {
  public RestorePlan {
    segments = List.copyOf(segments);
  }

  public int objects() {
    return 1 + segments.size();
  }
}
