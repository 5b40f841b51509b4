package io.litevault.replication;

import io.litevault.replication.format.Codec;
import io.litevault.replication.format.CompactedCodec;
import io.litevault.replication.format.Segment;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.Map;

/**
 * The net effect of a growing range of consecutive transactions, kept on disk so that a range as long as
 * a compaction window (hours of a large database) costs no heap: a sparse file in the replicator's work
 * directory holding page n at byte {@code (n - 1) * pageSize}, a bitmap of the pages written, the smallest
 * size the database had and its size after the last transaction. What it holds becomes one compacted
 * object ({@link CompactedCodec}); the same as {@link io.litevault.replication.format.NetEffect} computes in
 * memory for a segment. Built from what the shipper already has in hand when it ships a segment, so
 * compaction costs PUTs and local writes, never GETs.
 *
 * <p>Not durable on purpose: after a crash the range it held is simply not compacted (a restore then uses
 * the finer objects), so nothing is fsynced. Owned by the shipper thread; not thread-safe.
 */
final class RangeAccumulator implements Closeable {
  private final Path file;
  private final FileChannel channel;
  private final int level;
  private final String lineage;
  private final int pageSize;
  private final long checksumBefore;
  private final BitSet written = new BitSet();
  private long firstTxid = -1;
  private long lastTxid;
  private long firstTimestampMillis;
  private long lastTimestampMillis;
  /** The latest commit time seen: later than the last one's when the clock stepped back meanwhile. */
  private long maxTimestampMillis = Long.MIN_VALUE;
  private long checksumAfter;
  private int minPages = Integer.MAX_VALUE;
  private int sizePages = -1;

  /**
   * An empty range of {@code lineage} at {@code level}, starting after a state whose database checksum is
   * {@code checksumBefore}; its pages go to {@code file} (created, replaced if left by a crash).
   */
  RangeAccumulator(Path file, int level, String lineage, int pageSize, long checksumBefore) throws IOException {
    this.file = file;
    this.level = level;
    this.lineage = lineage;
    this.pageSize = pageSize;
    this.checksumBefore = checksumBefore;
    this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  /** Adds the next transaction of the lineage (txids must follow each other). */
  void add(Segment.Txn t) throws IOException {
    if (firstTxid >= 0 && t.txid() != lastTxid + 1) {
      throw new IllegalArgumentException("transaction " + t.txid() + " does not follow " + lastTxid);
    }
    for (Map.Entry<Integer, byte[]> p : t.pages().entrySet()) {
      writePage(p.getKey(), p.getValue());
    }
    // As NetEffect.end: pages past the new size are gone unless a later transaction writes them again.
    if (t.dbSizePages() < written.length() - 1) {
      written.clear(t.dbSizePages() + 1, written.length());
    }
    sizePages = t.dbSizePages();
    minPages = Math.min(minPages, sizePages);
    if (firstTxid < 0) {
      firstTxid = t.txid();
      firstTimestampMillis = t.timestampMillis();
    }
    lastTxid = t.txid();
    lastTimestampMillis = t.timestampMillis();
    maxTimestampMillis = Math.max(maxTimestampMillis, t.timestampMillis());
    checksumAfter = t.checksumAfter();
  }

  private void writePage(int pgno, byte[] page) throws IOException {
    if (page.length != pageSize) {
      throw new IllegalArgumentException("page " + pgno + " is " + page.length + " bytes, not " + pageSize);
    }
    ByteBuffer b = ByteBuffer.wrap(page);
    long at = (long) (pgno - 1) * pageSize;
    while (b.hasRemaining()) {
      at += channel.write(b, at);
    }
    written.set(pgno);
  }

  boolean isEmpty() {
    return firstTxid < 0;
  }

  long firstTxid() {
    return firstTxid;
  }

  long lastTxid() {
    return lastTxid;
  }

  /** The header of the compacted object this range makes. */
  CompactedCodec.Header header(Codec codec) {
    if (isEmpty()) {
      throw new IllegalStateException("an empty range makes no compacted object");
    }
    return new CompactedCodec.Header(codec, level, pageSize, firstTxid, lastTxid, firstTimestampMillis,
        lastTimestampMillis, maxTimestampMillis, checksumBefore, checksumAfter, minPages, sizePages, pageCount(), lineage);
  }

  private int pageCount() {
    return written.cardinality() - (written.get(0) ? 1 : 0);
  }

  /** The range's pages in page order, read back from the file (one page buffer, reused). */
  CompactedCodec.PageCursor cursor() {
    return new CompactedCodec.PageCursor() {
      private final byte[] page = new byte[pageSize];
      private int pgno;

      @Override
      public boolean next() throws IOException {
        pgno = written.nextSetBit(pgno + 1);
        if (pgno < 0) {
          return false;
        }
        ByteBuffer b = ByteBuffer.wrap(page);
        long at = (long) (pgno - 1) * pageSize;
        while (b.hasRemaining()) {
          int n = channel.read(b, at);
          if (n < 0) {
            throw new IOException(file + ": page " + pgno + " is missing from the range file");
          }
          at += n;
        }
        return true;
      }

      @Override
      public int pgno() {
        return pgno;
      }

      @Override
      public byte[] page() {
        return page;
      }
    };
  }

  /** Closes and deletes the file. */
  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
