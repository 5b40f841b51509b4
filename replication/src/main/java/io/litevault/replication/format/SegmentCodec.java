package io.litevault.replication.format;

import io.litevault.store.WalPosition;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

/**
 * Writes and reads segment objects (format versions 1 and 2, big-endian; docs/FORMAT.md). Version 1 is
 * written unless a replicator is told otherwise ({@link SegmentFormat}): releases before version 2 do not
 * read version 2, and one rolled back to must be able to continue the lineage.
 *
 * <pre>
 * header:  magic "LVSG" | u16 version (1, 2) | u8 codec | u8 flags=0 | u32 pageSize | u32 txnCount
 *          | u64 firstTxid | u64 lastTxid | u64 lastTimestampMillis | u64 checksumBefore
 *          | u64 checksumAfter | u32 dbSizePagesAfter | u32 walSalt1 | u32 walSalt2 | u64 walOffset
 *          | u8 lineageLength | lineage (ASCII)
 * payload: codec-compressed, per transaction: u64 txid | u64 timestampMillis | u32 dbSizePages
 *          | u64 checksumAfter | u32 pageCount | pageCount x (u32 pgno | page)           (version 1)
 *          | u64 checksumAfter | u32 pageCount | pageCount x (u32 pgno | u8 form | page)   (version 2)
 *          form 0: the page image; form 1: its XOR with the previous image of the same page number in this
 *          segment (there must be one)
 * trailer: u32 CRC-32C of every byte before it
 * </pre>
 * Why version 2 XORs: a segment holds every transaction's image of a page, and a later image of a hot page
 * (a counter's leaf, an index's root) differs from the one before in a few hundred of its 4,096 bytes; the
 * XOR is mostly zeros, which zstd squeezes far better than a second near-copy it would have to find as a
 * match. With version 2 on, the writer chooses per image ({@link #XOR_DISTANCE}), and writes version 2 only
 * when it is smaller ({@link #encode(Segment, Codec, SegmentFormat)}); on the demo's segments: about 60% fewer
 * bytes, and decoding is faster, not slower (benchmarks/RESULTS.md, "Bytes per write").
 * The header repeats what a lister needs (txid range, time, checksums) so a plan can be made from
 * headers alone; the trailer makes any flipped byte detectable.
 */
public final class SegmentCodec {
  static final int MAGIC = 0x4C565347; // "LVSG"
  static final int VERSION = 2;
  /**
   * Version 1 stores every image of a page whole; written by default, and with version 2 on when version 2
   * would not be smaller.
   */
  static final int VERSION_1 = 1;

  private SegmentCodec() {}

  /** Version 2 page forms: the image itself, or its XOR with the page's previous image in the segment. */
  private static final int FORM_IMAGE = 0;
  private static final int FORM_XOR = 1;

  /**
   * A later image is XORed only when the page's previous image is at least this many payload bytes back, and
   * the XOR has fewer non-zero bytes than the image ({@link #xorIsSparser}). Closer than that zstd level 1
   * finds the previous image as a match itself, and does better than on the XOR: a match survives cells
   * that moved inside the page, an XOR of moved text does not (a test's small segments came out 20-60%
   * larger XORed throughout). Measured on the demo's segments (benchmarks/RESULTS.md, "Bytes per write"):
   * XOR whenever sparser -59.7%, from 32 KiB back -59.5%, from 128 KiB -58.4%, from 512 KiB -47.3%; zstd's
   * own window is not what limits it (zstd-1 with an 8 MiB window: -0.1%). A writer-side choice: a reader
   * follows each image's form byte whatever the rule was.
   */
  static final int XOR_DISTANCE = 32 * 1024;

  /**
   * Fills {@code xor} with {@code before ^ image}; true if it has fewer non-zero bytes than {@code image}
   * (a page reused for unrelated, mostly empty content is cheaper whole).
   */
  private static boolean xorIsSparser(byte[] before, byte[] image, byte[] xor) {
    int xorNonZero = 0;
    int imageNonZero = 0;
    for (int i = 0; i < xor.length; i++) {
      byte x = (byte) (before[i] ^ image[i]);
      xor[i] = x;
      xorNonZero += x == 0 ? 0 : 1;
      imageNonZero += image[i] == 0 ? 0 : 1;
    }
    return xorNonZero < imageNonZero;
  }

  /**
   * Encodes {@code s} as format version 1, exactly as every release before version 2 did: what a replicator
   * writes by default ({@link SegmentFormat#V1}), so that a release rolled back to can continue the lineage.
   * The signature is that release's too (a test runs it against this build's other classes).
   */
  public static byte[] encode(Segment s, Codec codec) throws IOException {
    return encode(s, codec, VERSION_1, 0);
  }

  /**
   * Encodes {@code s} in {@code format}. {@link SegmentFormat#V2}: the smaller of version 1 and version 2 —
   * when no page has two images in it, version 1 (nothing to XOR); else both, keeping the smaller. Whether
   * XORs pay depends on whether zstd would have found the previous image anyway, which the workload decides
   * (the demo's counters: version 2 is 60% smaller; a test's rows that grow and move inside their pages:
   * 10-20% larger), so the writer measures instead of guessing. The second encoding costs zstd level 1 once
   * more (about 2-3 ms per MiB of payload).
   */
  public static byte[] encode(Segment s, Codec codec, SegmentFormat format) throws IOException {
    byte[] whole = encode(s, codec);
    if (format == SegmentFormat.V1 || !repeatsAPage(s)) {
      return whole;
    }
    byte[] xored = encode(s, codec, VERSION, XOR_DISTANCE);
    return xored.length < whole.length ? xored : whole;
  }

  private static boolean repeatsAPage(Segment s) {
    if (s.transactions().size() < 2) {
      return false;
    }
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (Segment.Txn t : s.transactions()) {
      for (Integer pgno : t.pages().keySet()) {
        if (!seen.add(pgno)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Encodes {@code s} in format version {@code version} (1 or 2), XORing images at least {@code xorDistance}
   * payload bytes after the page's previous one (version 2); tests write version 1, and other distances, to
   * check that what any writer may write is read.
   */
  static byte[] encode(Segment s, Codec codec, int version, int xorDistance) throws IOException {
    if (version != VERSION && version != VERSION_1) {
      throw new IllegalArgumentException("segment format version " + version);
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream(64 * 1024);
    DataOutputStream out = new DataOutputStream(buf);
    Segment.Txn last = s.last();
    out.writeInt(MAGIC);
    out.writeShort(version);
    out.writeByte(codec.id);
    out.writeByte(0);
    out.writeInt(s.pageSize());
    out.writeInt(s.transactions().size());
    out.writeLong(s.firstTxid());
    out.writeLong(last.txid());
    out.writeLong(last.timestampMillis());
    out.writeLong(s.checksumBefore());
    out.writeLong(last.checksumAfter());
    out.writeInt(last.dbSizePages());
    out.writeInt((int) s.walEnd().salt1());
    out.writeInt((int) s.walEnd().salt2());
    out.writeLong(s.walEnd().offset());
    byte[] lineage = s.lineage().getBytes(StandardCharsets.US_ASCII);
    out.writeByte(lineage.length);
    out.write(lineage);
    Map<Integer, byte[]> previous = version == VERSION_1 ? null : new HashMap<>();
    Map<Integer, Integer> previousAt = version == VERSION_1 ? null : new HashMap<>(); // payload offsets
    byte[] xor = new byte[s.pageSize()];
    try (OutputStream z = codec.compress(out); DataOutputStream p = new DataOutputStream(z)) {
      for (Segment.Txn t : s.transactions()) {
        p.writeLong(t.txid());
        p.writeLong(t.timestampMillis());
        p.writeInt(t.dbSizePages());
        p.writeLong(t.checksumAfter());
        p.writeInt(t.pages().size());
        for (Map.Entry<Integer, byte[]> e : t.pages().entrySet()) {
          byte[] image = e.getValue();
          if (image.length != s.pageSize()) {
            throw new IllegalArgumentException("page " + e.getKey() + " of transaction " + t.txid() + " has "
                + image.length + " bytes, the segment's page size is " + s.pageSize());
          }
          p.writeInt(e.getKey());
          if (previous == null) {
            p.write(image);
            continue;
          }
          byte[] before = previous.put(e.getKey(), image);
          Integer at = previousAt.put(e.getKey(), p.size());
          if (before != null && p.size() - at >= xorDistance && xorIsSparser(before, image, xor)) {
            p.writeByte(FORM_XOR);
            p.write(xor);
          } else {
            p.writeByte(FORM_IMAGE);
            p.write(image);
          }
        }
      }
    }
    out.flush();
    CRC32C crc = new CRC32C();
    crc.update(buf.toByteArray());
    out.writeInt((int) crc.getValue());
    return buf.toByteArray();
  }

  /** The header fields. */
  public record Header(Codec codec, int pageSize, int txnCount, long firstTxid, long lastTxid, long lastTimestampMillis,
      long checksumBefore, long checksumAfter, int dbSizePagesAfter, WalPosition walEnd, String lineage) {}

  /** Reads a whole segment, verifying magic, version, CRC and the internal consistency of its header. */
  public static Segment decode(byte[] object, String name) throws FormatException {
    List<Segment.Txn> txns = new ArrayList<>();
    Header h = parse(object, name, new TxnSink() {
      private long txid;
      private long ts;
      private int size;
      private long after;
      private Map<Integer, byte[]> pages;

      @Override
      public void begin(long txid, long timestampMillis, int dbSizePages, long checksumAfter) {
        this.txid = txid;
        this.ts = timestampMillis;
        this.size = dbSizePages;
        this.after = checksumAfter;
        this.pages = new LinkedHashMap<>();
      }

      @Override
      public byte[] page(int pgno, int pageSize) {
        byte[] page = new byte[pageSize];
        pages.put(pgno, page);
        return page;
      }

      @Override
      public void end() {
        txns.add(new Segment.Txn(txid, ts, size, after, pages));
      }
    });
    return new Segment(h.lineage(), h.pageSize(), h.checksumBefore(), txns, h.walEnd());
  }

  /**
   * Reads a whole segment for its net effect only (for a restore that applies all of it): the last image
   * of each page, read in place over the previous one, so 8,000 transactions of one hot page cost one
   * page of memory, not 8,000. Verifies exactly what {@link #decode} verifies.
   */
  public static NetSegment decodeNet(byte[] object, String name) throws FormatException {
    NetEffect effect = new NetEffect();
    long[][] checksums = {new long[16]};
    int[] count = {0};
    Header h = parse(object, name, new TxnSink() {
      private int size;

      @Override
      public void begin(long txid, long timestampMillis, int dbSizePages, long checksumAfter) {
        size = dbSizePages;
        if (count[0] == checksums[0].length) {
          checksums[0] = java.util.Arrays.copyOf(checksums[0], count[0] * 2);
        }
        checksums[0][count[0]++] = checksumAfter;
      }

      @Override
      public byte[] page(int pgno, int pageSize) {
        return effect.pageBuffer(pgno, pageSize);
      }

      @Override
      public void end() {
        effect.end(size);
      }
    });
    return new NetSegment(h, effect, java.util.Arrays.copyOf(checksums[0], count[0]));
  }

  /**
   * A segment read by {@link #decodeNet}: its (verified) header, the net effect of all its transactions,
   * and the database checksum after each of them, in txid order (to compare with an overlapping segment).
   */
  public record NetSegment(Header header, NetEffect effect, long[] checksumsAfter) {}

  /** Receives the transactions of a segment being parsed, in order. */
  private interface TxnSink {
    void begin(long txid, long timestampMillis, int dbSizePages, long checksumAfter);

    /** The array the next image of page {@code pgno} is read into. */
    byte[] page(int pgno, int pageSize);

    void end();
  }

  /** Verifies the CRC, parses every transaction into {@code sink}, and checks them against the header. */
  private static Header parse(byte[] object, String name, TxnSink sink) throws FormatException {
    if (object.length < 8) {
      throw new FormatException(name + ": " + object.length + " bytes is too short for a segment");
    }
    CRC32C crc = new CRC32C();
    crc.update(object, 0, object.length - 4);
    int stored = ((object[object.length - 4] & 0xff) << 24) | ((object[object.length - 3] & 0xff) << 16)
        | ((object[object.length - 2] & 0xff) << 8) | (object[object.length - 1] & 0xff);
    if ((int) crc.getValue() != stored) {
      throw new FormatException(name + ": CRC-32C mismatch (the object is corrupt or truncated)");
    }
    try {
      DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(object, 0, object.length - 4));
      Header h = readHeader(in, name);
      // readHeader accepted the version (bytes 4-5); version 2 stores a page's later images as XORs.
      boolean xored = (((object[4] & 0xff) << 8) | (object[5] & 0xff)) != VERSION_1;
      // Version 2: each page number's latest image in this segment, the base of its next XOR. These are
      // the sink's own arrays (for decodeNet, the net effect's: no copy); a sink never writes into an array
      // it handed out except when it hands the same one out again, for the same page's next image.
      Map<Integer, byte[]> latest = xored ? new HashMap<>() : null;
      byte[] xor = xored ? new byte[h.pageSize()] : null;
      long txid = 0;
      long ts = 0;
      int size = 0;
      long after = 0;
      try (DataInputStream p = new DataInputStream(h.codec().decompress(in))) {
        for (int i = 0; i < h.txnCount(); i++) {
          long previous = txid;
          txid = p.readLong();
          ts = p.readLong();
          size = p.readInt();
          after = p.readLong();
          int count = p.readInt();
          if (i == 0 ? txid != h.firstTxid() : txid != previous + 1) {
            throw new FormatException(name + ": transaction ids are not consecutive from the header's first");
          }
          if (count < 0) {
            throw new FormatException(name + ": negative page count in transaction " + txid);
          }
          sink.begin(txid, ts, size, after);
          for (int j = 0; j < count; j++) {
            int pgno = p.readInt();
            if (latest == null) {
              p.readFully(sink.page(pgno, h.pageSize()));
              continue;
            }
            int form = p.readUnsignedByte();
            byte[] before = latest.get(pgno);
            if (form == FORM_XOR && before != null) {
              byte[] into = sink.page(pgno, h.pageSize());
              p.readFully(xor);
              for (int k = 0; k < xor.length; k++) {
                into[k] = (byte) (before[k] ^ xor[k]); // in place when into == before (decodeNet)
              }
              latest.put(pgno, into);
            } else if (form == FORM_IMAGE) {
              byte[] into = sink.page(pgno, h.pageSize());
              p.readFully(into);
              latest.put(pgno, into);
            } else {
              throw new FormatException(name + ": page " + pgno + " of transaction " + txid + " has form " + form
                  + (form == FORM_XOR ? " (an XOR) but no earlier image in the segment" : ", not 0 or 1"));
            }
          }
          sink.end();
        }
      }
      if (txid != h.lastTxid() || after != h.checksumAfter() || size != h.dbSizePagesAfter()
          || ts != h.lastTimestampMillis()) {
        throw new FormatException(name + ": the header does not match the transactions inside");
      }
      return h;
    } catch (EOFException e) {
      throw new FormatException(name + ": truncated payload");
    } catch (FormatException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // The decompressor choked on damaged bytes (zstd and LZ4 report it as IOException or their own
      // runtime exceptions): a corrupt object, typed as such.
      throw new FormatException(name + ": unreadable payload (" + e + ")");
    }
  }

  static Header readHeader(DataInputStream in, String name) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new FormatException(String.format("%s: not a Litevault segment (magic 0x%08x)", name, magic));
    }
    int version = in.readUnsignedShort();
    if (version != VERSION && version != VERSION_1) {
      throw new UnsupportedVersionException(name, "segment", version, VERSION_1, VERSION);
    }
    Codec codec = Codec.byId(in.readUnsignedByte());
    in.readUnsignedByte();
    int pageSize = in.readInt();
    int count = in.readInt();
    long first = in.readLong();
    long last = in.readLong();
    long ts = in.readLong();
    long before = in.readLong();
    long after = in.readLong();
    int size = in.readInt();
    WalPosition walEnd = new WalPosition(Integer.toUnsignedLong(in.readInt()), Integer.toUnsignedLong(in.readInt()), in.readLong());
    byte[] lineage = new byte[in.readUnsignedByte()];
    in.readFully(lineage);
    if (pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1 || count < 1 || last - first + 1 != count) {
      throw new FormatException(name + ": inconsistent segment header");
    }
    return new Header(codec, pageSize, count, first, last, ts, before, after, size, walEnd,
        new String(lineage, StandardCharsets.US_ASCII));
  }

  /** Reads just the header from the start of a stream (for listing without downloading bodies). */
  public static Header peekHeader(InputStream in, String name) throws IOException {
    return readHeader(new DataInputStream(new CheckedInputStream(in, new CRC32C())), name);
  }
}
