package io.litevault.replication.torture;

import io.litevault.replication.Durability;
import java.util.List;

/**
 * What a running workload tells about itself. In one JVM {@link History} listens directly; a child JVM of
 * a kill schedule prints the same events as lines ({@link EventLines}) that the parent parses into its
 * History, so the oracle knows what the killed process had committed and acknowledged.
 */
interface Recorder {
  /** The store was opened (epoch {@code epoch}); {@code tags} is its write log at open, in commit order. */
  void opened(int epoch, List<String> tags, long millis);

  /** A step begins ({@code index} is 0-based in the whole schedule). */
  void step(int index, String description);

  void submitted(String tag, Durability durability, long millis);

  /** A write committed (LOCAL) or was acknowledged (REPLICATED) as row {@code seq} of the write log. */
  void committed(String tag, long seq);

  /** A REPLICATED write's future completed. */
  void acked(String tag, long millis);

  /** At a quiescent point: the content hash of the state after write {@code lastTag}, at store txid {@code txid}. */
  void state(int epoch, long txid, String lastTag, String hash, long millis);

  /** {@code Replicator.positionOf(txid)} of replicator instance {@code instance}. */
  void position(int instance, int epoch, long txid, String lineage, long replicaTxid);

  /** A check failed while running (a stall, a failed concurrent restore, a step that threw). */
  void failure(String check, String message);
}
