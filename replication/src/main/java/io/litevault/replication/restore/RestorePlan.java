package io.litevault.replication.restore;

import io.litevault.bucket.Operation;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The objects a restore will download, in order: one snapshot, then segments forming an unbroken txid
 * chain up to the target, with the fewest objects. Consecutive segments may overlap (a retried upload
 * batched more commits under a new key); the restore cuts the transactions already applied.
 *
 * @param lineage the lineage restored from
 * @param snapshot the snapshot's key
 * @param snapshotTxid the snapshot's txid
 * @param segments the keys to apply after the snapshot, in txid order: segments and compacted ranges
 *     ({@code .lvcr}, see {@link #ranges()})
 * @param sizes the listed size of each of {@code segments}, in bytes
 * @param targetTxid the txid the restore ends at (for a timestamp target: the last segment's last txid,
 *     refined while applying)
 * @param bytes total bytes to download
 * @param newestTxid the newest txid any object of the lineage names (from the same listing): beyond
 *     {@code targetTxid} for a latest-state plan means segments in between are missing
 * @param listing how long listing the prefix took
 * @param planning how long choosing the objects took after the listing (for a timestamp target this includes
 *     the small ranged reads of snapshot and segment headers)
 * @param requests the requests planning sent to the store, by kind (the listing's and any header reads)
 */
public record RestorePlan(String lineage, String snapshot, long snapshotTxid, List<String> segments, List<Long> sizes,
    long targetTxid, long bytes, long newestTxid, Duration listing, Duration planning, Map<Operation, Long> requests) {
  public RestorePlan {
    segments = List.copyOf(segments);
    sizes = List.copyOf(sizes);
    if (sizes.size() != segments.size()) {
      throw new IllegalArgumentException(sizes.size() + " sizes for " + segments.size() + " objects");
    }
    java.util.EnumMap<Operation, Long> copy = new java.util.EnumMap<>(Operation.class);
    copy.putAll(requests);
    requests = java.util.Collections.unmodifiableMap(copy);
  }

  public int objects() {
    return 1 + segments.size();
  }

  /** How many of {@link #segments()} are compacted ranges. */
  public int ranges() {
    return (int) segments.stream().filter(k -> k.endsWith(".lvcr")).count();
  }
}
