package io.litevault.replication.format;

/**
 * A restorable point in the bucket: a lineage and a transaction id within it. Restore it with
 * {@code RestoreOptions.builder(...).txid(txid)} (and {@code .lineage(lineage)} when it is not the newest);
 * the restore command turns it into its own flags.
 */
public record ReplicaPosition(String lineage, long txid) {}
