package io.litevault.replication;

import java.util.List;

/**
 * Where a {@link MultiReplicator} stands: each destination's own {@link ReplicationHealth} (lineage,
 * position, lag, last error), and the store txid the quorum holds.
 *
 * @param database the database name
 * @param quorum how many destinations a REPLICATED write waits for
 * @param replicatedStoreTxid the newest store txid that at least {@code quorum} destinations hold (-1: none yet)
 * @param destinations each destination, in the configured order
 * @param fencedBy why writes are refused, when another process took a destination's lease (null otherwise):
 *     then no write, LOCAL or REPLICATED, is accepted, whatever the other destinations do
 */
public record MultiReplicationHealth(String database, int quorum, long replicatedStoreTxid,
    List<Destination> destinations, String fencedBy) {

  /** One destination: its name and its replicator's health. */
  public record Destination(String name, ReplicationHealth health) {}

  public MultiReplicationHealth {
    destinations = List.copyOf(destinations);
  }

  /** Every destination is healthy (running, its last upload attempt succeeded). */
  public boolean healthy() {
    return destinations.stream().allMatch(d -> d.health().healthy());
  }

  /** Not fenced, and at least {@code quorum} destinations are healthy: REPLICATED writes are being acknowledged. */
  public boolean quorumHealthy() {
    return fencedBy == null && destinations.stream().filter(d -> d.health().healthy()).count() >= quorum;
  }

  /** The destination named {@code name}. */
  public ReplicationHealth destination(String name) {
    return destinations.stream().filter(d -> d.name().equals(name)).findFirst().map(Destination::health)
        .orElseThrow(() -> new IllegalArgumentException("no destination '" + name + "'"));
  }
}
