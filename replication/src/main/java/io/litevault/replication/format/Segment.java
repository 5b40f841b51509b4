package io.litevault.replication.format;

import io.litevault.store.WalPosition;
import java.util.List;
import java.util.Map;

/**
 * A segment: the pages of consecutive committed transactions of one lineage, as stored in one object.
 * Immutable once uploaded. See {@code docs/FORMAT.md}.
 *
 * @param lineage the lineage id
 * @param pageSize database page size
 * @param checksumBefore the database checksum before the first transaction
 * @param transactions the transactions, in txid order, consecutive
 * @param walEnd where the last transaction ended in the source's WAL (for the replicator's own resume
 *     after a restart; restore does not need it)
 */
public record Segment(String lineage, int pageSize, long checksumBefore, List<Txn> transactions, WalPosition walEnd) {
  /**
   * One transaction.
   *
   * @param txid the lineage's transaction id
   * @param timestampMillis commit time
   * @param dbSizePages database size after the commit
   * @param checksumAfter database checksum after the commit
   * @param pages page number to image (the transaction's last image of each page)
   */
  public record Txn(long txid, long timestampMillis, int dbSizePages, long checksumAfter, Map<Integer, byte[]> pages) {}

  public long firstTxid() {
    return transactions.get(0).txid();
  }

  public Txn last() {
    return transactions.get(transactions.size() - 1);
  }
}
