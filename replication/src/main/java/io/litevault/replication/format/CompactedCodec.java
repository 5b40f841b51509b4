package io.litevault.replication.format;

import io.litevault.bucket.ObjectStoreException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * Writes and reads compacted objects (object version 2, big-endian; version 1 is still read; docs/FORMAT.md, "Compacted range"):
 * the net effect of the consecutive transactions {@code firstTxid..lastTxid} of a lineage — the last image
 * of every page they wrote, the smallest size the database had meanwhile and its size after — at a
 * compaction level. Applied to the state after {@code firstTxid - 1} it gives exactly the state after
 * {@code lastTxid} (see {@link NetEffect}), so a restore reads one object instead of every segment of the
 * range; the intermediate states are not in it, so a restore to a txid inside the range uses the fine
 * segments.
 *
 * <pre>
 * header:  magic "LVCR" | u16 version=2 | u8 codec | u8 level | u32 pageSize | u64 firstTxid | u64 lastTxid
 *          | u64 firstTimestampMillis | u64 lastTimestampMillis | u64 maxTimestampMillis (version 2 only)
 *          | u64 checksumBefore | u64 checksumAfter
 *          | u32 minPages | u32 dbSizePagesAfter | u32 pageCount | u8 lineageLength | lineage (ASCII)
 * payload: chunks of at most 256 pages, each u32 chunkPages | u32 compressedLength | compressedLength bytes
 *          of codec-compressed chunkPages x (u32 pgno | page); pgno strictly ascending across chunks, each
 *          ≤ dbSizePagesAfter; the chunks' pages add up to pageCount
 * trailer: u32 CRC-32C of every byte before it
 * </pre>
 * Chunks are compressed independently and carry their length, so a reader never reads past one (a
 * decompressor may buffer ahead) and several can be decoded at once.
 * Streaming both ways: a writer hands pages in order from wherever it keeps them (a compaction of a day
 * may touch every page of a large database), and a reader passes each page on as it decodes it. The
 * header holds all a planner needs; the checksums chain the object to its neighbours as a segment's do.
 */
public final class CompactedCodec {
  static final int MAGIC = 0x4C564352; // "LVCR"
  static final int VERSION = 2;
  /** Version 1 had no {@code maxTimestampMillis}. */
  static final int VERSION_1 = 1;
  /**
   * {@link Header#maxTimestampMillis} of a version-1 object: unknown, so no time target is ever at or after it
   * (a restore to a time then uses the finer objects).
   */
  public static final long MAX_TIMESTAMP_UNKNOWN = Long.MAX_VALUE;
  /** Pages per chunk: 1 MiB of 4 KiB pages, the memory a writer or reader holds at once. */
  static final int CHUNK_PAGES = 256;

  private CompactedCodec() {}

  /**
   * What a compacted object says about itself.
   *
   * @param level the compaction level (1 and up; the fine segments are level 0)
   * @param maxTimestampMillis the latest commit time of any of its transactions: a clock that steps back makes
   *     it later than {@code lastTimestampMillis}. A restore to a time applies the range whole only when this
   *     is at or before that time ({@link #MAX_TIMESTAMP_UNKNOWN} for version 1)
   * @param minPages the smallest size, in pages, the database had during the range (at most its size after)
   * @param pageCount how many pages the payload holds
   */
  public record Header(Codec codec, int level, int pageSize, long firstTxid, long lastTxid, long firstTimestampMillis,
      long lastTimestampMillis, long maxTimestampMillis, long checksumBefore, long checksumAfter, int minPages,
      int dbSizePagesAfter, int pageCount, String lineage) {

    public Header {
      if (level < 1 || level > 255) {
        throw new IllegalArgumentException("compaction level must be in [1, 255], was " + level);
      }
      if (pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1) {
        throw new IllegalArgumentException("page size must be a power of two in [512, 65536], was " + pageSize);
      }
      if (firstTxid < 1 || lastTxid < firstTxid) {
        throw new IllegalArgumentException("txid range " + firstTxid + ".." + lastTxid + " is empty or starts below 1");
      }
      if (minPages < 0 || minPages > dbSizePagesAfter || pageCount < 0 || pageCount > dbSizePagesAfter) {
        throw new IllegalArgumentException("inconsistent sizes: minPages " + minPages + ", dbSizePagesAfter "
            + dbSizePagesAfter + ", pageCount " + pageCount);
      }
      if (maxTimestampMillis < Math.max(firstTimestampMillis, lastTimestampMillis)) {
        throw new IllegalArgumentException("maxTimestampMillis " + maxTimestampMillis + " is before the first or last "
            + "transaction's (" + firstTimestampMillis + ", " + lastTimestampMillis + ")");
      }
      if (lineage.isEmpty() || lineage.length() > 255) {
        throw new IllegalArgumentException("lineage id must be 1 to 255 characters, was '" + lineage + "'");
      }
    }
  }

  /** Supplies the pages of a compacted range in strictly ascending page order. */
  public interface PageCursor {
    /** Advances to the next page; false after the last. */
    boolean next() throws IOException;

    int pgno();

    /** The current page's bytes (may be reused by the next {@link #next}). */
    byte[] page();
  }

  /** Receives the pages of a compacted object being read, in page order (the array is reused: copy to keep). */
  @FunctionalInterface
  public interface PageSink {
    void page(int pgno, byte[] page) throws IOException;
  }

  /** Writes a compacted object to {@code out} (not closed); the cursor must yield exactly {@code h.pageCount()} pages. */
  public static void write(OutputStream out, Header h, PageCursor pages) throws IOException {
    CRC32C crc = new CRC32C();
    DataOutputStream d = new DataOutputStream(new CheckedOutputStream(out, crc));
    writeHeader(d, h);
    d.flush();
    ChunkWriter chunks = new ChunkWriter(d, h);
    while (pages.next()) {
      chunks.add(pages.pgno(), pages.page());
    }
    int written = chunks.finish();
    if (written != h.pageCount()) {
      throw new IllegalArgumentException(written + " pages written, the header says " + h.pageCount());
    }
    d.flush();
    new DataOutputStream(out).writeInt((int) crc.getValue());
    out.flush();
  }

  private static void writeHeader(DataOutputStream d, Header h) throws IOException {
    d.writeInt(MAGIC);
    d.writeShort(VERSION);
    d.writeByte(h.codec().id);
    d.writeByte(h.level());
    d.writeInt(h.pageSize());
    d.writeLong(h.firstTxid());
    d.writeLong(h.lastTxid());
    d.writeLong(h.firstTimestampMillis());
    d.writeLong(h.lastTimestampMillis());
    d.writeLong(h.maxTimestampMillis());
    d.writeLong(h.checksumBefore());
    d.writeLong(h.checksumAfter());
    d.writeInt(h.minPages());
    d.writeInt(h.dbSizePagesAfter());
    d.writeInt(h.pageCount());
    byte[] lineage = h.lineage().getBytes(StandardCharsets.US_ASCII);
    d.writeByte(lineage.length);
    d.write(lineage);
  }

  /**
   * Reads a compacted object, handing each page to {@code sink}, and verifies its structure and CRC; a
   * caller must treat what the sink received as garbage if this throws. The checksums chain: a caller
   * applying the range checks {@code checksumBefore} against its state and {@code checksumAfter} after.
   */
  public static Header read(InputStream source, String name, PageSink sink) throws IOException {
    CRC32C crc = new CRC32C();
    BufferedInputStream buffered = new BufferedInputStream(source, 1 << 16);
    DataInputStream in = new DataInputStream(new CheckedInputStream(buffered, crc));
    try {
      Header h = readHeader(in, name);
      readPages(in, h, name, sink);
      int computed = (int) crc.getValue();
      int stored = new DataInputStream(buffered).readInt(); // the CRC does not cover itself
      if (stored != computed) {
        throw new FormatException(name + ": CRC-32C mismatch (the object is corrupt or truncated)");
      }
      return h;
    } catch (EOFException e) {
      throw new FormatException(name + ": truncated compacted object");
    } catch (FormatException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      if (e instanceof ObjectStoreException || e.getCause() instanceof ObjectStoreException) {
        throw e; // the bucket failed: not a statement about the object's content
      }
      throw new FormatException(name + ": unreadable compacted object (" + e + ")");
    }
  }

  private static void readPages(DataInputStream in, Header h, String name, PageSink sink) throws IOException {
    byte[] page = new byte[h.pageSize()];
    int read = 0;
    int last = 0;
    while (read < h.pageCount()) {
      int chunkPages = in.readInt();
      int length = in.readInt();
      if (chunkPages < 1 || chunkPages > CHUNK_PAGES || chunkPages > h.pageCount() - read || length < 0
          || length > CHUNK_PAGES * (h.pageSize() + 4) * 2 + 1024) {
        throw new FormatException(name + ": inconsistent chunk (" + chunkPages + " pages in " + length + " bytes)");
      }
      byte[] compressed = new byte[length];
      in.readFully(compressed);
      try (DataInputStream p = new DataInputStream(h.codec().decompress(new java.io.ByteArrayInputStream(compressed)))) {
        for (int i = 0; i < chunkPages; i++) {
          int pgno = p.readInt();
          if (pgno <= last || pgno > h.dbSizePagesAfter()) {
            throw new FormatException(name + ": page " + pgno + " after page " + last + " in a range of "
                + h.dbSizePagesAfter() + " pages");
          }
          p.readFully(page);
          sink.page(pgno, page);
          last = pgno;
        }
        if (p.read() >= 0) {
          throw new FormatException(name + ": a chunk holds more than its " + chunkPages + " pages");
        }
      }
      read += chunkPages;
    }
  }

  /** Collects pages into chunks and writes each, compressed, with its page count and length. */
  private static final class ChunkWriter {
    private final DataOutputStream out;
    private final Header h;
    private final java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
    private int inChunk;
    private int written;
    private int last;

    ChunkWriter(DataOutputStream out, Header h) {
      this.out = out;
      this.h = h;
    }

    void add(int pgno, byte[] page) throws IOException {
      if (pgno <= last || pgno > h.dbSizePagesAfter() || page.length != h.pageSize()) {
        throw new IllegalArgumentException("page " + pgno + " (" + page.length + " bytes) after page " + last
            + " does not fit a compacted range of " + h.dbSizePagesAfter() + " pages of " + h.pageSize() + " bytes");
      }
      raw.write(pgno >>> 24);
      raw.write(pgno >>> 16);
      raw.write(pgno >>> 8);
      raw.write(pgno);
      raw.write(page);
      last = pgno;
      written++;
      if (++inChunk == CHUNK_PAGES) {
        flushChunk();
      }
    }

    int finish() throws IOException {
      flushChunk();
      return written;
    }

    private void flushChunk() throws IOException {
      if (inChunk == 0) {
        return;
      }
      java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream(raw.size() / 2 + 64);
      try (OutputStream z = h.codec().compress(compressed)) {
        raw.writeTo(z);
      }
      out.writeInt(inChunk);
      out.writeInt(compressed.size());
      compressed.writeTo(out);
      raw.reset();
      inChunk = 0;
    }
  }

  /** Reads the header (the planner needs no more). */
  public static Header readHeader(DataInputStream in, String name) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new FormatException(String.format("%s: not a Litevault compacted object (magic 0x%08x)", name, magic));
    }
    int version = in.readUnsignedShort();
    if (version != VERSION && version != VERSION_1) {
      throw new UnsupportedVersionException(name, "compacted object", version, VERSION_1, VERSION);
    }
    Codec codec = Codec.byId(in.readUnsignedByte());
    int level = in.readUnsignedByte();
    int pageSize = in.readInt();
    long first = in.readLong();
    long last = in.readLong();
    long firstTs = in.readLong();
    long lastTs = in.readLong();
    long maxTs = version == VERSION_1 ? MAX_TIMESTAMP_UNKNOWN : in.readLong();
    long before = in.readLong();
    long after = in.readLong();
    int minPages = in.readInt();
    int size = in.readInt();
    int count = in.readInt();
    byte[] lineage = new byte[in.readUnsignedByte()];
    in.readFully(lineage);
    try {
      return new Header(codec, level, pageSize, first, last, firstTs, lastTs, maxTs, before, after, minPages, size, count,
          new String(lineage, StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new FormatException(name + ": inconsistent compacted header (" + e.getMessage() + ")");
    }
  }
}
