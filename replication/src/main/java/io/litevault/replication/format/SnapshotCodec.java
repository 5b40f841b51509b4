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

/**
 * Writes and reads snapshot objects (format version 1, big-endian; docs/FORMAT.md), streaming, so a
 * database of any size passes with one page in memory:
 *
 * <pre>
 * header:  magic "LVSN" | u16 version=1 | u8 codec | u8 flags=0 | u32 pageSize | u32 dbSizePages
 *          | u64 txid | u64 timestampMillis | u64 payloadLength | u32 walSalt1 | u32 walSalt2
 *          | u64 walOffset | u8 lineageLength | lineage (ASCII)
 * payload: payloadLength bytes: codec-compressed pages 1..dbSizePages, in order
 * trailer: u64 database checksum | u32 CRC-32C of every byte before it
 * </pre>
 * The snapshot is first written to a local file (its payload length is patched in afterwards), then
 * uploaded from it: a retried upload re-reads the file, and memory stays bounded.
 */
public final class SnapshotCodec {
  static final int MAGIC = 0x4C56534E; // "LVSN"
  static final int VERSION = 1;
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

  /** Writes a snapshot to {@code file}; returns the database checksum (also in the trailer). */
  public static long write(Path file, Header h, PageSource pages) throws IOException {
    long checksum = 0;
    long payloadStart;
    try (OutputStream fileOut = Files.newOutputStream(file);
        CountingOutputStream counted = new CountingOutputStream(new BufferedOutputStream(fileOut, 1 << 16));
        DataOutputStream out = new DataOutputStream(counted)) {
      out.writeInt(MAGIC);
      out.writeShort(VERSION);
      out.writeByte(h.codec().id);
      out.writeByte(0);
      out.writeInt(h.pageSize());
      out.writeInt(h.dbSizePages());
      out.writeLong(h.txid());
      out.writeLong(h.timestampMillis());
      out.writeLong(0); // payload length, patched below
      out.writeInt((int) h.walEnd().salt1());
      out.writeInt((int) h.walEnd().salt2());
      out.writeLong(h.walEnd().offset());
      byte[] lineage = h.lineage().getBytes(StandardCharsets.US_ASCII);
      out.writeByte(lineage.length);
      out.write(lineage);
      out.flush();
      payloadStart = counted.count;
      try (OutputStream z = h.codec().compress(out)) {
        for (int pgno = 1; pgno <= h.dbSizePages(); pgno++) {
          byte[] page = pages.page(pgno);
          if (page.length != h.pageSize()) {
            throw new IOException("page " + pgno + " is " + page.length + " bytes, expected " + h.pageSize());
          }
          checksum ^= DatabaseChecksum.pageHash(pgno, page);
          z.write(page);
        }
      }
      out.flush();
      long payloadLength = counted.count - payloadStart;
      out.writeLong(checksum);
      out.flush();
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
        raf.seek(PAYLOAD_LENGTH_OFFSET);
        raf.writeLong(payloadLength);
      }
    }
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
    return checksum;
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
      Header h = readHeader(in, name, payloadLength);
      long checksum = 0;
      BoundedInputStream bounded = new BoundedInputStream(in, payloadLength[0]);
      DataInputStream p = new DataInputStream(h.codec().decompress(bounded));
      byte[] page = new byte[h.pageSize()];
      for (int pgno = 1; pgno <= h.dbSizePages(); pgno++) {
        p.readFully(page);
        long hash = DatabaseChecksum.pageHash(pgno, page);
        checksum ^= hash;
        sink.page(pgno, page, hash);
      }
      bounded.skipRest();
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
    } catch (EOFException e) {
      throw new FormatException(name + ": truncated snapshot");
    } catch (FormatException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      if (e.getCause() instanceof ObjectStoreException || e instanceof ObjectStoreException) {
        throw e; // the bucket failed: not a statement about the object's content
      }
      // The decompressor choked on damaged bytes (zstd and LZ4 report it as IOException or their own
      // runtime exceptions): a corrupt object, typed as such.
      throw new FormatException(name + ": unreadable payload (" + e + ")");
    }
  }

  /** Reads the header; {@code payloadLength[0]} receives the payload's length. */
  public static Header readHeader(DataInputStream in, String name, long[] payloadLength) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new FormatException(String.format("%s: not a Litevault snapshot (magic 0x%08x)", name, magic));
    }
    int version = in.readUnsignedShort();
    if (version != VERSION) {
      throw new FormatException(name + ": snapshot format version " + version + " is not supported (this code reads "
          + VERSION + "): use a newer Litevault");
    }
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
