package io.litevault.replication;

/**
 * Where replication stands.
 *
 * @param database the database name
 * @param running whether the replicator thread runs
 * @param lineage the current lineage, or null before the first snapshot
 * @param lastTxid the newest lineage txid in the bucket
 * @param replicatedStoreTxid the newest store txid (see {@code CommitEvent#txid}) whose data is in the bucket;
 *     -1 before the first snapshot lands (0 is the database as the store opened it)
 * @param lagTransactions store transactions committed but not yet in the bucket
 * @param lagMillis age of the oldest commit not yet in the bucket (0 when caught up)
 * @param lastError the last upload error, or null after a success
 */
public record ReplicationHealth(String database, boolean running, String lineage, long lastTxid,
    long replicatedStoreTxid, long lagTransactions, long lagMillis, String lastError) {

  /** Healthy: running, and the last upload attempt succeeded. */
  public boolean healthy() {
    return running && lastError == null;
  }
}
