package io.litevault.replication;

import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.Codec;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.Segment;
import io.litevault.replication.format.SegmentCodec;
import io.litevault.replication.format.SegmentFormat;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A segment built but not yet known to be in the bucket: its key, its bytes, and the chain state after
 * it. A failed put may have stored it with its answer lost, so it is retried as is — same key, same bytes —
 * before anything else is shipped: batching more commits into the retry would leave overlapping segments
 * behind.
 *
 * @param items the transactions it holds, with the store's commit ids they end
 * @param end the WAL position after its last frame
 * @param lastEventTxid the store's id of the last commit event it covers, or -1
 */
record PreparedSegment(String key, byte[] body, Segment segment, DatabaseChecksum after, List<SegmentBatch.Item> items,
    WalPosition end, long lastEventTxid) {

  /**
   * Builds the segment of {@code items} that follows txid {@code lastTxid} of {@code lineage}, whose state is
   * {@code before} (not changed), in {@code format}; nothing is uploaded.
   */
  static PreparedSegment build(List<SegmentBatch.Item> items, WalPosition end, long lastEventTxid, String lineage,
      long lastTxid, DatabaseChecksum before, BucketLayout layout, Codec codec, SegmentFormat format)
      throws IOException {
    DatabaseChecksum next = before.copy();
    long first = next.value();
    List<Segment.Txn> txns = new ArrayList<>(items.size());
    long txid = lastTxid;
    int pageSize = 0;
    for (SegmentBatch.Item item : items) {
      WalTransaction tx = item.tx();
      next.resize(tx.dbSizePages());
      tx.pages().forEach(next::set);
      next.resize(tx.dbSizePages());
      txid++;
      txns.add(new Segment.Txn(txid, item.timestampMillis(), tx.dbSizePages(), next.value(), tx.pages()));
      pageSize = tx.pages().values().iterator().next().length;
    }
    Segment segment = new Segment(lineage, pageSize, first, txns, end);
    // Version 1 through the two-argument encode, the one releases before version 2 have too (Review20Test runs
    // this class against such a release's SegmentCodec, as after a rollback).
    byte[] body = format == SegmentFormat.V1 ? SegmentCodec.encode(segment, codec)
        : SegmentCodec.encode(segment, codec, format);
    return new PreparedSegment(layout.segment(lineage, segment.firstTxid(), txid), body, segment, next, items, end,
        lastEventTxid);
  }
}
