package io.litevault.store;

import java.util.Set;

/**
 * What one COMMIT of a database's writer wrote, told to every {@link CommitListener}.
 *
 * <p>The frames of this transaction occupy {@code [walStart.offset(), walEnd.offset())} of the WAL
 * identified by {@code walEnd}'s salts. When {@code walStart.offset() == 32} and the salts differ from
 * the previous event's, SQLite restarted the WAL after a checkpoint (a new incarnation).
 *
 * @param database the database name
 * @param txid the store's transaction id: strictly increasing per database, 1 for the first commit
 *     after the store was opened (it restarts at each open; a replicator keeps its own durable ids)
 * @param walStart where this commit's first frame starts
 * @param walEnd the WAL position just past this commit's last frame (the commit frame)
 * @param pageSize the database page size in bytes
 * @param tables the tables the update hook saw change (may be incomplete, see {@link Database#cached})
 * @param writes how many write tasks committed in this transaction
 * @param commitTimeMillis wall-clock time of the commit
 */
public record CommitEvent(
    String database,
    long txid,
    WalPosition walStart,
    WalPosition walEnd,
    int pageSize,
    Set<String> tables,
    int writes,
    long commitTimeMillis) {

  /** Bytes of WAL this commit wrote. */
  public long walBytes() {
    return walEnd.offset() - walStart.offset();
  }
}
