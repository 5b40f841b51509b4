package io.litevault.replication.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Map;
import java.util.TreeMap;

/**
 * The net effect of consecutive transactions on a database file: the last version of every page they
 * wrote, the smallest size the database had meanwhile, and its size after the last one. Applying it
 * (shrink to the smallest size, write the pages in page order, cut to the final size) leaves the same
 * file, and the same {@link DatabaseChecksum}, as applying the transactions one by one: a page dropped
 * by a shrink is gone unless a later transaction wrote it again, and then that version is the one kept.
 *
 * <p>A restore applies a segment's 8,000 small transactions this way instead of 8,000 rounds of page
 * writes, truncations and hashing of every intermediate page version; the database checksum is then
 * verified once per segment (and at the transaction a point-in-time restore stops at), which still
 * verifies the whole chain.
 */
public final class NetEffect {
  private final TreeMap<Integer, byte[]> pages = new TreeMap<>();
  private int minPages = Integer.MAX_VALUE;
  private int sizePages = -1;
  /** Hashes of {@link #pages}' values in key order, once {@link #hash()} ran. */
  private long[] hashes;

  /** Adds the next transaction. */
  public void add(Segment.Txn t) {
    pages.putAll(t.pages());
    end(t.dbSizePages());
  }

  /**
   * For a decoder adding a transaction page by page: the array to read the next image of {@code pgno}
   * into — the previous image's own array when there is one (only the last image is kept).
   */
  public byte[] pageBuffer(int pgno, int pageSize) {
    hashes = null;
    return pages.computeIfAbsent(pgno, k -> new byte[pageSize]);
  }

  /** Ends a transaction added page by page (or by {@link #add}) that left {@code dbSizePages} pages. */
  public void end(int dbSizePages) {
    sizePages = dbSizePages;
    pages.tailMap(sizePages, false).clear();
    minPages = Math.min(minPages, sizePages);
    hashes = null;
  }

  public boolean isEmpty() {
    return sizePages < 0;
  }

  /** The smallest size, in pages, the database had after any of the transactions added. */
  public int minPages() {
    return minPages;
  }

  /** The size, in pages, after the last transaction added. */
  public int sizePages() {
    return sizePages;
  }

  /** How many pages the effect writes. */
  public int pageCount() {
    return pages.size();
  }

  /** The pages the effect writes, in page order, for {@link CompactedCodec#write}. */
  public CompactedCodec.PageCursor cursor() {
    java.util.Iterator<Map.Entry<Integer, byte[]>> it = pages.entrySet().iterator();
    return new CompactedCodec.PageCursor() {
      private Map.Entry<Integer, byte[]> current;

      @Override
      public boolean next() {
        current = it.hasNext() ? it.next() : null;
        return current != null;
      }

      @Override
      public int pgno() {
        return current.getKey();
      }

      @Override
      public byte[] page() {
        return current.getValue();
      }
    };
  }

  /** Computes the page hashes now (the restore does it on a download thread). */
  public NetEffect hash() {
    long[] h = new long[pages.size()];
    int i = 0;
    for (Map.Entry<Integer, byte[]> p : pages.entrySet()) {
      h[i++] = DatabaseChecksum.pageHash(p.getKey(), p.getValue());
    }
    hashes = h;
    return this;
  }

  /** Updates {@code state} as the transactions would have; returns the size in pages after them. */
  public int applyTo(DatabaseChecksum state) {
    if (hashes == null) {
      hash();
    }
    state.resize(Math.min(minPages, state.pages()));
    int i = 0;
    for (Integer pgno : pages.keySet()) {
      state.setHash(pgno, hashes[i++]);
    }
    state.resize(sizePages);
    return sizePages;
  }

  /**
   * Writes the effect into {@code file}, which holds {@code filePages} pages of {@code pageSize} bytes;
   * afterwards it holds exactly the final number of pages.
   */
  public void applyTo(FileChannel file, PageFileWriter writer, int filePages, int pageSize) throws IOException {
    if (minPages < filePages) {
      file.truncate((long) minPages * pageSize);
    }
    for (Map.Entry<Integer, byte[]> p : pages.entrySet()) {
      writer.write(p.getKey(), p.getValue());
    }
    writer.flush();
    long size = (long) sizePages * pageSize;
    if (file.size() > size) {
      file.truncate(size);
    } else if (file.size() < size) {
      // Only a page never written can be missing at the end (SQLite writes every page a database
      // grows by, so only a hand-made chain gets here): it reads as zeros, as in a file grown by holes.
      file.write(java.nio.ByteBuffer.allocate(1), size - 1);
    }
  }
}
