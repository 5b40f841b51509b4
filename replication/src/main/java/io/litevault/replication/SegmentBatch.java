package io.litevault.replication;

import io.litevault.store.CommitEvent;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Picks the next segment's worth of the commits waiting to ship and reads their frames: consecutive
 * commits from the shipped position on, in one WAL incarnation, up to the segment size. It reads and
 * decides; it changes nothing (the shipper acts on its answer).
 */
final class SegmentBatch {
  private SegmentBatch() {}

  /** One transaction to ship; {@code storeTxid} is the store's id when it ends a commit event, else -1. */
  record Item(WalTransaction tx, long storeTxid, long timestampMillis) {}

  /** What to do next. */
  sealed interface Next permits Ship, Gap, TooBig, Unreadable, Nothing {}

  /** Ship {@code items}, which end at WAL position {@code end} and at the store's commit {@code lastEventTxid}. */
  record Ship(List<Item> items, WalPosition end, long lastEventTxid) implements Next {}

  /** {@code event} does not start where the commits before it ended ({@code shipped}): frames were missed. */
  record Gap(CommitEvent event, WalPosition shipped) implements Next {}

  /** The first waiting commit alone is larger than a segment: it goes as a snapshot, streamed from disk. */
  record TooBig() implements Next {}

  /** The frames of {@code event} can no longer be read as written: overwritten or checkpointed unshipped. */
  record Unreadable(CommitEvent event, WalFormatException why) implements Next {}

  /** Nothing waits. */
  record Nothing() implements Next {}

  /** Opens the WAL incarnation a position belongs to (checking its salts). */
  interface WalOpener {
    WalReader open(WalPosition at) throws IOException;
  }

  /** The next batch of {@code pending}, shipped so far up to {@code shipped}. */
  static Next collect(Iterable<CommitEvent> pending, WalPosition shipped, long maxSegmentBytes, WalOpener wals)
      throws IOException {
    List<Item> items = new ArrayList<>();
    long bytes = 0;
    WalPosition end = shipped;
    WalReader wal = null;
    long lastEventTxid = -1;
    for (CommitEvent e : pending) {
      if (!contiguous(end, e.walStart())) {
        return new Gap(e, end);
      }
      // The size from the WAL offsets, before reading anything: a huge transaction is never read whole
      // into the heap.
      long size = (e.walEnd().offset() - e.walStart().offset())
          / (WalHeader.FRAME_HEADER_BYTES + e.pageSize()) * e.pageSize();
      if (size > maxSegmentBytes) {
        if (items.isEmpty()) {
          return new TooBig();
        }
        break;
      }
      if (!items.isEmpty() && bytes + size > maxSegmentBytes) {
        break;
      }
      List<WalTransaction> txs;
      try {
        if (wal == null || !wal.header().matches(e.walEnd())) {
          if (!items.isEmpty()) {
            break; // one WAL incarnation per upload keeps the bookkeeping simple
          }
          wal = wals.open(e.walEnd());
        }
        txs = wal.read(e.walStart().offset(), e.walEnd().offset());
      } catch (WalFormatException unreadable) {
        return new Unreadable(e, unreadable);
      }
      for (int i = 0; i < txs.size(); i++) {
        items.add(new Item(txs.get(i), i == txs.size() - 1 ? e.txid() : -1, e.commitTimeMillis()));
      }
      bytes += size;
      end = e.walEnd();
      lastEventTxid = e.txid();
    }
    return items.isEmpty() ? new Nothing() : new Ship(items, end, lastEventTxid);
  }

  /**
   * Whether a commit starting at {@code start} follows {@code shipped}: at the same offset of the same
   * WAL, or at the first frame of a new WAL ("The WAL header is 32 bytes in size", fileformat2.html 4.1).
   */
  static boolean contiguous(WalPosition shipped, WalPosition start) {
    // Offset 0 in a WAL is "no frame yet", as is 32 (just the header): a snapshot read right after a
    // TRUNCATE checkpoint emptied the -wal file reports the new salts at 0, and the next commit starts at 32.
    return shipped.sameWal(start) ? Math.max(shipped.offset(), WalHeader.BYTES) == start.offset()
        : start.offset() == WalHeader.BYTES;
  }
}
