package io.litevault.replication;

import java.time.Duration;
import java.util.Map;

/**
 * What a {@link Handover} did.
 *
 * @param lastTxids each database's last transaction id: every write accepted before the handover, all
 *     of it in the bucket for a replicated database
 * @param drained how long the writes accepted before took to commit (new writes refused meanwhile)
 * @param shipped how long those commits took to reach the bucket, after {@code drained}
 * @param total from refusing new writes to the store's lock released: the successor could open from then
 */
public record HandoverReport(Map<String, Long> lastTxids, Duration drained, Duration shipped, Duration total) {
  public HandoverReport {
    lastTxids = Map.copyOf(lastTxids);
  }
}
