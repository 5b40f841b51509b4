package io.litevault.replication.format;

/**
 * A restorable point in the bucket: a lineage and a transaction id within it. Restore with
 * {@code --txid <txid>} (and the lineage, when it is not the newest).
 */
public record ReplicaPosition(String lineage, long txid) {}
