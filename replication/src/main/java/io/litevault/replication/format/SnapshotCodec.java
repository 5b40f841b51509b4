package io.litevault.replication.format;

import io.litevault.bucket.ObjectStoreException;
import io.litevault.store.WalPosition;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes and reads snapshot objects (big-endian; docs/FORMAT.md), streaming, so a database of any size
 * passes with one page (or one chunk's decompression window) in memory. Version 2, written:
 *
 * <pre>
 * header:  magic "LVSN" | u16 version=2 | u8 codec | u8 flags=0 | u32 pageSize | u32 dbSizePages
 *          | u64 txid | u64 timestampMillis | u64 payloadLength | u32 walSalt1 | u32 walSalt2
 *          | u64 walOffset | u8 lineageLength | lineage (ASCII) | u32 chunkPages | u32 chunkCount
 * index:   chunkCount x (u64 compressedLength | u32 CRC-32C of the chunk's bytes | u64 XOR of its page hashes)
 *          | u32 CRC-32C of header and index
 * payload: payloadLength bytes: the chunks, each pages [i*chunkPages+1 .. ] compressed on their own
 * trailer: u64 database checksum | u32 CRC-32C of every byte before it
 * </pre>
 *
 * A restore reads the header and index with the first bytes of the object, then fetches the chunks with
 * ranged GETs and decodes them on several threads ({@link #layout}, {@link #readChunk}): every byte it
 * uses is covered by the index's CRC or its chunk's. Version 1 (one compressed stream of every page,
 * without chunk fields and index) is still read, sequentially.
 *
 * The snapshot is first written to a local file (payload length and index are patched in afterwards),
 * then uploaded from it: a retried upload re-reads the file, and memory stays bounded.
 */
public final class SnapshotCodec {
  static final int MAGIC = 0x4C56534E; // "LVSN"
  /** One compressed stream of every page: read, no longer written. */
  static final int VERSION_STREAM = 1;
  /** Independently compressed chunks behind an index: written since 2026-12-02. */
  static final int VERSION_CHUNKED = 2;
  /**
   * Uncompressed page bytes per chunk: a 1 GiB database is 256 chunks, fetched and decoded on several
   * threads; a database of a few MiB is one or two, and restores with the object's first GET.
   */
  public static final int CHUNK_BYTES = 4 << 20;
  /**
   * The largest header and index a reader accepts: 2^32 pages of 512 bytes in {@link #CHUNK_BYTES} chunks
   * index in 10 MiB; a larger count is a damaged header, not an allocation to attempt.
   */
  static final long MAX_LAYOUT_BYTES = 16L << 20;
  /** One index entry: compressed length u64, CRC-32C u32, page-hash XOR u64. */
  static final int INDEX_ENTRY_BYTES = 20;
  private static final int PAYLOAD_LENGTH_OFFSET = 4 + 2 + 1 + 1 + 4 + 4 + 8 + 8;

  private SnapshotCodec() {}

  /** Supplies page {@code pgno} (1-based) of the database being snapshotted. */
  @FunctionalInterface
  public interface PageSource {
    byte[] page(int pgno) throws IOException;
  }

  /** Receives the pages of a snapshot being read, in page order (the array is reused: copy to keep). */
  @FunctionalInterface
  public interface PageSink {
    /** {@code hash}: {@link DatabaseChecksum#pageHash} of the page, already computed for the trailer check. */
    void page(int pgno, byte[] page, long hash) throws IOException;
  }

  /** {@code walEnd}: the source WAL position the snapshot was taken at (for the replicator's resume). */
  public record Header(Codec codec, int pageSize, int dbSizePages, long txid, long timestampMillis, WalPosition walEnd,
      String lineage) {}

  /**
   * One chunk of a version-2 snapshot: pages {@code firstPage} to {@code firstPage + pages - 1}, stored
   * at {@code offset} from the payload's start, {@code length} bytes whose CRC-32C is {@code crc}, holding
   * pages whose {@link DatabaseChecksum#pageHash} values XOR to {@code pageHashXor}.
   */
  public record Chunk(int firstPage, int pages, long offset, long length, int crc, long pageHashXor) {}

  /**
   * Where a version-2 snapshot's pages are: its header, its chunks, and {@code payloadStart}, the byte
   * offset of the first chunk in the object (the header, index and index CRC come before it).
   */
  public record Layout(Header header, List<Chunk> chunks, long payloadStart) {}

  /** Pages per chunk at {@code pageSize}: {@link #CHUNK_BYTES} of them, at least one. */
  public static int chunkPages(int pageSize) {
    return Math.max(1, CHUNK_BYTES / pageSize);
  }

  /** Writes a snapshot to {@code file}; returns the database checksum (also in the trailer). */
  public static long write(Path file, Header h, PageSource pages) throws IOException {
    return write(file, h, pages, chunkPages(h.pageSize()));
  }

  /** As {@link #write(Path, Header, PageSource)}, with {@code chunkPages} pages per chunk (tests use small ones). */
  public static long write(Path file, Header h, PageSource pages, int chunkPages) throws IOException {
    if (chunkPages < 1) {
      throw new IllegalArgumentException("chunkPages must be >= 1, got " + chunkPages);
    }
    int count = chunkCount(h.dbSizePages(), chunkPages);
    List<long[]> index = new ArrayList<>(count); // length, CRC, XOR
    long checksum = 0;
    long indexStart;
    long payloadLength;
    try (OutputStream fileOut = Files.newOutputStream(file);
        CountingOutputStream counted = new CountingOutputStream(new BufferedOutputStream(fileOut, 1 << 16));
        DataOutputStream out = new DataOutputStream(counted)) {
      writeHeader(out, h, VERSION_CHUNKED);
      out.writeInt(chunkPages);
      out.writeInt(count);
      indexStart = counted.count;
      out.write(new byte[count * INDEX_ENTRY_BYTES + 4]); // the index and its CRC, patched below
      long payloadStart = counted.count;
      for (int c = 0; c < count; c++) {
        int first = c * chunkPages + 1;
        int last = Math.min(h.dbSizePages(), first + chunkPages - 1);
        long start = counted.count;
        CRC32C crc = new CRC32C();
        long xor = 0;
        CheckedOutputStream chunk = new CheckedOutputStream(out, crc);
        try (OutputStream z = h.codec().compress(chunk)) { // closing z ends the frame, not the file
          for (int pgno = first; pgno <= last; pgno++) {
            byte[] page = pages.page(pgno);
            if (page.length != h.pageSize()) {
              throw new IOException("page " + pgno + " is " + page.length + " bytes, expected " + h.pageSize());
            }
            xor ^= DatabaseChecksum.pageHash(pgno, page);
            z.write(page);
          }
        }
        checksum ^= xor;
        index.add(new long[] {counted.count - start, crc.getValue(), xor});
      }
      payloadLength = counted.count - payloadStart;
      out.writeLong(checksum);
    }
    patch(file, payloadLength, indexStart, index);
    appendCrc(file);
    return checksum;
  }

  private static int chunkCount(int dbSizePages, int chunkPages) {
    return dbSizePages == 0 ? 0 : (dbSizePages - 1) / chunkPages + 1;
  }

  private static void writeHeader(DataOutputStream out, Header h, int version) throws IOException {
    out.writeInt(MAGIC);
    out.writeShort(version);
    out.writeByte(h.codec().id);
    out.writeByte(0);
    out.writeInt(h.pageSize());
    out.writeInt(h.dbSizePages());
    out.writeLong(h.txid());
    out.writeLong(h.timestampMillis());
    out.writeLong(0); // payload length, patched afterwards
    out.writeInt((int) h.walEnd().salt1());
    out.writeInt((int) h.walEnd().salt2());
    out.writeLong(h.walEnd().offset());
    byte[] lineage = h.lineage().getBytes(StandardCharsets.US_ASCII);
    out.writeByte(lineage.length);
    out.write(lineage);
  }

  /** Patches the payload length, the index and the CRC of header and index into the written file. */
  private static void patch(Path file, long payloadLength, long indexStart, List<long[]> index) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(PAYLOAD_LENGTH_OFFSET);
      raf.writeLong(payloadLength);
      ByteBuffer entries = ByteBuffer.allocate(index.size() * INDEX_ENTRY_BYTES);
      for (long[] e : index) {
        entries.putLong(e[0]).putInt((int) e[1]).putLong(e[2]);
      }
      raf.seek(indexStart);
      raf.write(entries.array());
      byte[] head = new byte[Math.toIntExact(indexStart) + entries.capacity()];
      raf.seek(0);
      raf.readFully(head);
      CRC32C crc = new CRC32C();
      crc.update(head);
      raf.writeInt((int) crc.getValue()); // right after the index
    }
  }

  /** Appends the CRC-32C of every byte of {@code file}. */
  private static void appendCrc(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        crc.update(buf, 0, n);
      }
    }
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file, java.nio.file.StandardOpenOption.APPEND))) {
      out.writeInt((int) crc.getValue());
    }
  }

  /**
   * Reads a snapshot, handing each page to {@code sink}, and verifies the database checksum and the CRC;
   * a caller must treat what the sink received as garbage if this throws.
   */
  public static Header read(InputStream source, String name, PageSink sink) throws IOException {
    CRC32C crc = new CRC32C();
    BufferedInputStream buffered = new BufferedInputStream(source, 1 << 16);
    DataInputStream in = new DataInputStream(new CheckedInputStream(buffered, crc));
    try {
      long[] payloadLength = new long[1];
      int[] version = new int[1];
      Header h = readHeader(in, name, payloadLength, version);
      long checksum = version[0] == VERSION_STREAM ? readStream(in, h, payloadLength[0], sink)
          : readChunks(in, crc, h, payloadLength[0], name, sink);
      long stored = in.readLong();
      int computedCrc = (int) crc.getValue();
      int storedCrc = new DataInputStream(buffered).readInt(); // the CRC does not cover itself
      if (storedCrc != computedCrc) {
        throw new FormatException(name + ": CRC-32C mismatch (the object is corrupt or truncated)");
      }
      if (stored != checksum) {
        throw new FormatException(name + ": database checksum mismatch");
      }
      return h;
    } catch (IOException | RuntimeException e) {
      throw typed(e, name);
    }
  }

  /** Version 1's payload: one compressed stream of every page. */
  private static long readStream(DataInputStream in, Header h, long payloadLength, PageSink sink) throws IOException {
    long checksum = 0;
    BoundedInputStream bounded = new BoundedInputStream(in, payloadLength);
    DataInputStream p = new DataInputStream(h.codec().decompress(bounded));
    byte[] page = new byte[h.pageSize()];
    for (int pgno = 1; pgno <= h.dbSizePages(); pgno++) {
      p.readFully(page);
      long hash = DatabaseChecksum.pageHash(pgno, page);
      checksum ^= hash;
      sink.page(pgno, page, hash);
    }
    bounded.skipRest();
    return checksum;
  }

  /** Version 2's chunk fields, index and chunks, in order; {@code crc} has seen every byte so far. */
  private static long readChunks(DataInputStream in, CRC32C crc, Header h, long payloadLength, String name,
      PageSink sink) throws IOException {
    List<Chunk> chunks = readIndex(in, crc, h, payloadLength, name);
    long checksum = 0;
    for (Chunk c : chunks) {
      BoundedInputStream bounded = new BoundedInputStream(in, c.length());
      checksum ^= readChunk(bounded, h, c, name, sink);
      bounded.skipRest();
    }
    return checksum;
  }

  /**
   * The chunk fields, the index and its CRC (which {@code crc}, having seen every byte from the magic on,
   * must match), as chunks.
   */
  private static List<Chunk> readIndex(DataInputStream in, CRC32C crc, Header h, long payloadLength, String name)
      throws IOException {
    int chunkPages = in.readInt();
    int count = in.readInt();
    checkChunks(h, chunkPages, count, name);
    long[][] entries = new long[count][];
    for (int c = 0; c < count; c++) {
      entries[c] = new long[] {in.readLong(), Integer.toUnsignedLong(in.readInt()), in.readLong()};
    }
    int computed = (int) crc.getValue();
    if (in.readInt() != computed) {
      throw new FormatException(name + ": CRC-32C mismatch in the header or chunk index");
    }
    return chunks(h, chunkPages, entries, payloadLength, name);
  }

  /** The chunk fields agree with the size, and the index is one a writer could have made. */
  private static void checkChunks(Header h, int chunkPages, int count, String name) throws FormatException {
    if (chunkPages < 1 || count != chunkCount(h.dbSizePages(), chunkPages)) {
      throw new FormatException(name + ": inconsistent chunk fields (" + count + " chunks of " + chunkPages
          + " pages for " + h.dbSizePages() + " pages)");
    }
    if ((long) count * INDEX_ENTRY_BYTES > MAX_LAYOUT_BYTES) {
      throw new FormatException(name + ": a chunk index of " + count + " entries is beyond any snapshot written");
    }
  }

  private static List<Chunk> chunks(Header h, int chunkPages, long[][] entries, long payloadLength, String name)
      throws FormatException {
    List<Chunk> chunks = new ArrayList<>(entries.length);
    long offset = 0;
    for (int c = 0; c < entries.length; c++) {
      long firstPage = (long) c * chunkPages + 1; // in longs: a header may claim 2^31 - 1 pages
      int first = Math.toIntExact(firstPage);
      int pages = (int) (Math.min(h.dbSizePages(), firstPage + chunkPages - 1) - firstPage + 1);
      if (entries[c][0] < 0 || entries[c][0] > payloadLength - offset) {
        throw new FormatException(name + ": chunk " + c + " runs past the payload");
      }
      chunks.add(new Chunk(first, pages, offset, entries[c][0], (int) entries[c][1], entries[c][2]));
      offset += entries[c][0];
    }
    if (offset != payloadLength) {
      throw new FormatException(name + ": the chunks hold " + offset + " bytes, the payload " + payloadLength);
    }
    return chunks;
  }

  /**
   * Decodes one chunk from exactly its {@code c.length()} bytes, handing its pages to {@code sink} in
   * order, and checks its CRC-32C, its length and its pages' hash XOR; returns that XOR.
   */
  public static long readChunk(InputStream compressed, Header h, Chunk c, String name, PageSink sink)
      throws IOException {
    try {
      CRC32C crc = new CRC32C();
      CountingInputStream counted = new CountingInputStream(new CheckedInputStream(compressed, crc));
      DataInputStream p = new DataInputStream(h.codec().decompress(counted));
      byte[] page = new byte[h.pageSize()];
      long xor = 0;
      int last = c.firstPage() + (c.pages() - 1); // no overflow: the chunk ends at or before page 2^31 - 1
      for (int pgno = c.firstPage(); pgno <= last && pgno > 0; pgno++) {
        p.readFully(page);
        long hash = DatabaseChecksum.pageHash(pgno, page);
        xor ^= hash;
        sink.page(pgno, page, hash);
      }
      counted.transferTo(java.io.OutputStream.nullOutputStream()); // what the decompressor left: the CRC covers it
      if (counted.count != c.length() || (int) crc.getValue() != c.crc()) {
        throw new FormatException(name + ": chunk of pages " + c.firstPage() + ".. is corrupt or truncated ("
            + counted.count + " of " + c.length() + " bytes, CRC-32C " + ((int) crc.getValue() == c.crc() ? "ok" : "mismatch") + ")");
      }
      if (xor != c.pageHashXor()) {
        throw new FormatException(name + ": chunk of pages " + c.firstPage() + ".. does not hold the pages it names");
      }
      return xor;
    } catch (IOException | RuntimeException e) {
      throw typed(e, name);
    }
  }

  /**
   * The bytes from the object's start that {@link #layout} needs (header, index, index CRC), or -1 for a
   * version-1 snapshot (no chunks: read it whole with {@link #read}). {@code head} must hold the header.
   */
  public static long layoutBytes(byte[] head, String name) throws IOException {
    try {
      DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(head));
      int[] version = new int[1];
      Header h = readHeader(in, name, new long[1], version);
      if (version[0] == VERSION_STREAM) {
        return -1;
      }
      int lineageBytes = h.lineage().length();
      long headerBytes = PAYLOAD_LENGTH_OFFSET + 8 + 4 + 4 + 8 + 1 + lineageBytes;
      int chunkPages = in.readInt();
      int count = in.readInt();
      checkChunks(h, chunkPages, count, name);
      return headerBytes + 8 + (long) count * INDEX_ENTRY_BYTES + 4;
    } catch (IOException | RuntimeException e) {
      throw typed(e, name);
    }
  }

  /** The layout of a version-2 snapshot from its first {@link #layoutBytes} bytes, whose CRC it checks. */
  public static Layout layout(byte[] bytes, String name) throws IOException {
    try {
      CRC32C crc = new CRC32C();
      DataInputStream in = new DataInputStream(new CheckedInputStream(new java.io.ByteArrayInputStream(bytes), crc));
      long[] payloadLength = new long[1];
      int[] version = new int[1];
      Header h = readHeader(in, name, payloadLength, version);
      if (version[0] != VERSION_CHUNKED) {
        throw new FormatException(name + ": not a chunked snapshot");
      }
      List<Chunk> chunks = readIndex(in, crc, h, payloadLength[0], name);
      long payloadStart = PAYLOAD_LENGTH_OFFSET + 8 + 4 + 4 + 8 + 1 + h.lineage().length() + 8
          + (long) chunks.size() * INDEX_ENTRY_BYTES + 4;
      return new Layout(h, chunks, payloadStart);
    } catch (IOException | RuntimeException e) {
      throw typed(e, name);
    }
  }

  /**
   * A failure while reading {@code name} as a typed exception: the bucket's own failures as they are;
   * anything else (a truncated object, a decompressor choking on damaged bytes, reported by zstd and
   * LZ4 as IOException or their own runtime exceptions) as {@link FormatException}: a corrupt object.
   */
  private static IOException typed(Exception e, String name) {
    if (e instanceof FormatException f) {
      return f;
    }
    if (e.getCause() instanceof ObjectStoreException || e instanceof ObjectStoreException) {
      if (e instanceof RuntimeException r) {
        throw r; // the bucket failed: not a statement about the object's content
      }
      return (IOException) e;
    }
    if (e instanceof EOFException) {
      return new FormatException(name + ": truncated snapshot");
    }
    return new FormatException(name + ": unreadable payload (" + e + ")");
  }

  /** Reads the header; {@code payloadLength[0]} receives the payload's length. */
  public static Header readHeader(DataInputStream in, String name, long[] payloadLength) throws IOException {
    return readHeader(in, name, payloadLength, new int[1]);
  }

  /** As above; {@code version[0]} receives the format version (1 or 2). */
  static Header readHeader(DataInputStream in, String name, long[] payloadLength, int[] versionOut) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new FormatException(String.format("%s: not a Litevault snapshot (magic 0x%08x)", name, magic));
    }
    int version = in.readUnsignedShort();
    if (version != VERSION_STREAM && version != VERSION_CHUNKED) {
      throw new UnsupportedVersionException(name, "snapshot", version, VERSION_STREAM, VERSION_CHUNKED);
    }
    versionOut[0] = version;
    Codec codec = Codec.byId(in.readUnsignedByte());
    in.readUnsignedByte();
    int pageSize = in.readInt();
    int size = in.readInt();
    long txid = in.readLong();
    long ts = in.readLong();
    payloadLength[0] = in.readLong();
    WalPosition walEnd = new WalPosition(Integer.toUnsignedLong(in.readInt()), Integer.toUnsignedLong(in.readInt()), in.readLong());
    byte[] lineage = new byte[in.readUnsignedByte()];
    in.readFully(lineage);
    if (pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1 || size < 0 || payloadLength[0] < 0) {
      throw new FormatException(name + ": inconsistent snapshot header");
    }
    return new Header(codec, pageSize, size, txid, ts, walEnd, new String(lineage, StandardCharsets.US_ASCII));
  }

  private static final class CountingOutputStream extends java.io.FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }

  /** Counts the bytes read through it. */
  private static final class CountingInputStream extends java.io.FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(n);
      count += skipped;
      return skipped;
    }
  }

  /** At most {@code limit} bytes of the underlying stream; never closes it. */
  private static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long left;

    BoundedInputStream(InputStream in, long limit) {
      this.in = in;
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    void skipRest() throws IOException {
      while (left > 0) {
        long n = in.skip(left);
        if (n <= 0) {
          if (in.read() < 0) {
            throw new EOFException();
          }
          n = 1;
        }
        left -= n;
      }
    }

    @Override
    public void close() {
      // the outer stream is closed by its owner
    }
  }
}
