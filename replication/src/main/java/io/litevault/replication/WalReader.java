package io.litevault.replication;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads committed transactions out of a {@code -wal} file, checking the header, the salts of every frame
 * and the cumulative checksum chain (<a href="https://www.sqlite.org/fileformat2.html#walformat">WAL
 * format</a>): a frame is valid only if its salts equal the header's and its checksum continues the
 * chain; the valid frames up to the last commit frame are the committed content.
 *
 * <p>Frame header, big-endian: page number (0), database size in pages after commit, or 0 for a non-commit
 * frame (4), salt-1 (8), salt-2 (12), checksum-1 (16), checksum-2 (20); then the page.
 */
final class WalReader {
  /** Reads bytes of the WAL at a position; returns bytes read (less at the end of the file). */
  @FunctionalInterface
  interface Source {
    int read(long position, ByteBuffer dst) throws IOException;
  }

  private final Source source;
  private final WalHeader header;

  private WalReader(Source source, WalHeader header) {
    this.source = source;
    this.header = header;
  }

  /** Opens a WAL whose header must carry these salts (pass -1 for "any"). */
  static WalReader open(Source source, long salt1, long salt2) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(WalHeader.BYTES);
    int n = source.read(0, b);
    b.flip();
    if (n < WalHeader.BYTES) {
      throw new WalFormatException("the WAL is " + n + " bytes long: no header");
    }
    WalHeader h = WalHeader.parse(b);
    if (salt1 >= 0 && (h.salt1() != salt1 || h.salt2() != salt2)) {
      throw new WalFormatException(String.format("WAL salts are %08x/%08x, expected %08x/%08x: the WAL was reset",
          h.salt1(), h.salt2(), salt1, salt2));
    }
    return new WalReader(source, h);
  }

  WalHeader header() {
    return header;
  }

  /**
   * Reads the committed transactions in {@code [from, to)}; both must be frame boundaries, and
   * {@code to} the end of a commit frame.
   *
   * @throws WalFormatException when a frame in the range is missing, foreign (salts) or corrupt
   *     (checksum), or the range does not end with a commit frame
   */
  List<WalTransaction> read(long from, long to) throws IOException {
    List<WalTransaction> out = new ArrayList<>();
    scan(from, to, true, out);
    return out;
  }

  /**
   * Reads every committed transaction from {@code from} on, stopping quietly at the first invalid frame
   * (a torn or stale tail, normal after a crash) or at the end of the file.
   */
  List<WalTransaction> readCommitted(long from) throws IOException {
    List<WalTransaction> out = new ArrayList<>();
    scan(from, Long.MAX_VALUE, false, out);
    return out;
  }

  private void scan(long from, long to, boolean strict, List<WalTransaction> out) throws IOException {
    int frameSize = header.frameSize();
    if (from < WalHeader.BYTES || (from - WalHeader.BYTES) % frameSize != 0) {
      throw new WalFormatException("offset " + from + " is not a frame boundary (frame size " + frameSize + ")");
    }
    int[] sum = seed(from);
    ByteBuffer frame = ByteBuffer.allocate(frameSize);
    Map<Integer, byte[]> pages = new LinkedHashMap<>();
    long pos = from;
    while (pos < to) {
      frame.clear();
      int n = source.read(pos, frame);
      if (n < frameSize) {
        if (strict) {
          throw new WalFormatException("frame at offset " + pos + " is missing or torn (" + n + " of " + frameSize + " bytes)");
        }
        return;
      }
      String problem = check(frame, sum);
      if (problem != null) {
        if (strict) {
          throw new WalFormatException("frame at offset " + pos + ": " + problem);
        }
        return;
      }
      byte[] page = new byte[header.pageSize()];
      frame.get(WalHeader.FRAME_HEADER_BYTES, page);
      pages.put(frame.getInt(0), page);
      pos += frameSize;
      int commitSize = frame.getInt(4);
      if (commitSize != 0) {
        out.add(new WalTransaction(pos, commitSize, pages));
        pages = new LinkedHashMap<>();
      }
    }
    if (strict && !pages.isEmpty()) {
      throw new WalFormatException("the range ending at " + to + " does not end with a commit frame");
    }
  }

  /** Verifies salts and the checksum of one frame, advancing {@code sum}; returns what is wrong or null. */
  private String check(ByteBuffer frame, int[] sum) {
    if (Integer.toUnsignedLong(frame.getInt(8)) != header.salt1() || Integer.toUnsignedLong(frame.getInt(12)) != header.salt2()) {
      return "salts do not match the WAL header (a frame of an older WAL)";
    }
    int[] next = {sum[0], sum[1]};
    WalChecksum.update(next, frame, 0, 8, header.bigEndianChecksums());
    WalChecksum.update(next, frame, WalHeader.FRAME_HEADER_BYTES, header.pageSize(), header.bigEndianChecksums());
    if (next[0] != frame.getInt(16) || next[1] != frame.getInt(20)) {
      return "checksum mismatch";
    }
    if (frame.getInt(0) <= 0) {
      return "bad page number " + Integer.toUnsignedString(frame.getInt(0));
    }
    sum[0] = next[0];
    sum[1] = next[1];
    return null;
  }

  /** The running checksum just before the frame at {@code offset}: the previous frame's stored checksum. */
  private int[] seed(long offset) throws IOException {
    if (offset == WalHeader.BYTES) {
      return new int[] {header.checksum1(), header.checksum2()};
    }
    ByteBuffer prev = ByteBuffer.allocate(WalHeader.FRAME_HEADER_BYTES);
    if (source.read(offset - header.frameSize(), prev) < WalHeader.FRAME_HEADER_BYTES) {
      throw new WalFormatException("frame before offset " + offset + " is missing");
    }
    if (Integer.toUnsignedLong(prev.getInt(8)) != header.salt1() || Integer.toUnsignedLong(prev.getInt(12)) != header.salt2()) {
      throw new WalFormatException("frame before offset " + offset + " belongs to an older WAL");
    }
    return new int[] {prev.getInt(16), prev.getInt(20)};
  }
}
