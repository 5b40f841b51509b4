package io.litevault.replication.format;

import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * A checksum of a whole database that can be updated page by page: the XOR, over every page, of a
 * 64-bit hash of (page number, page bytes) — the idea of LTX's checksum. Segments carry it before and
 * after, so a restore verifies the whole chain, not just each object.
 *
 * <p>The page hash is CRC-32C in the high half and CRC-32 in the low half, both over the big-endian page
 * number followed by the page: both are hardware-accelerated in the JDK (many GB/s), and together give
 * 64 bits, so an accidental match is out of reach. The checksum is not a defence against an attacker.
 */
public final class DatabaseChecksum {
  private long[] hashes = new long[0];
  private int pages;
  private long value;

  /** The hash of one page. */
  public static long pageHash(int pgno, byte[] page) {
    byte[] n = {(byte) (pgno >>> 24), (byte) (pgno >>> 16), (byte) (pgno >>> 8), (byte) pgno};
    CRC32C c = new CRC32C();
    c.update(n);
    c.update(page);
    CRC32 d = new CRC32();
    d.update(n);
    d.update(page);
    return (c.getValue() << 32) | d.getValue();
  }

  /** Sets page {@code pgno} (1-based) to {@code page}. */
  public void set(int pgno, byte[] page) {
    setHash(pgno, pageHash(pgno, page));
  }

  /** Sets page {@code pgno} (1-based) to a page whose {@link #pageHash} is {@code h}. */
  public void setHash(int pgno, long h) {
    ensure(pgno);
    value ^= hashes[pgno - 1] ^ h;
    hashes[pgno - 1] = h;
    pages = Math.max(pages, pgno);
  }

  /** Sets the database size in pages: pages past it are dropped from the checksum. */
  public void resize(int dbSizePages) {
    for (int i = dbSizePages; i < pages; i++) {
      value ^= hashes[i];
      hashes[i] = 0;
    }
    ensure(dbSizePages);
    pages = dbSizePages;
  }

  public long value() {
    return value;
  }

  public int pages() {
    return pages;
  }

  /** A checksum known only by its value and size: for comparing with others, not for updating. */
  public static DatabaseChecksum summary(long value, int pages) {
    DatabaseChecksum c = new DatabaseChecksum();
    c.value = value;
    c.pages = pages;
    return c;
  }

  public DatabaseChecksum copy() {
    DatabaseChecksum c = new DatabaseChecksum();
    c.hashes = Arrays.copyOf(hashes, hashes.length);
    c.pages = pages;
    c.value = value;
    return c;
  }

  private void ensure(int pgno) {
    if (pgno > hashes.length) {
      hashes = Arrays.copyOf(hashes, Math.max(pgno, hashes.length * 2 + 16));
    }
  }
}
