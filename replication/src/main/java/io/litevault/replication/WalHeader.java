package io.litevault.replication;

import java.nio.ByteBuffer;

/**
 * The 32-byte WAL header (<a href="https://www.sqlite.org/fileformat2.html#walformat">fileformat2.html</a>):
 * magic (0), format version (4), page size (8), checkpoint sequence (12), salt-1 (16), salt-2 (20),
 * checksum-1 (24), checksum-2 (28); all big-endian.
 */
record WalHeader(boolean bigEndianChecksums, int pageSize, long checkpointSequence, long salt1, long salt2,
    int checksum1, int checksum2) {
  /** "The WAL header is 32 bytes in size" (fileformat2.html, 4.1); the first frame starts here. */
  static final int BYTES = 32;
  /** "Each frame consists of a 24-byte frame-header followed by a page-size bytes of page data." */
  static final int FRAME_HEADER_BYTES = 24;
  private static final int MAGIC_LE = 0x377f0682;
  private static final int MAGIC_BE = 0x377f0683;
  private static final int VERSION = 3007000;

  static WalHeader parse(ByteBuffer b) throws WalFormatException {
    if (b.remaining() < BYTES) {
      throw new WalFormatException("WAL header is " + b.remaining() + " bytes, expected 32");
    }
    int magic = b.getInt(0);
    if (magic != MAGIC_LE && magic != MAGIC_BE) {
      throw new WalFormatException(String.format("bad WAL magic 0x%08x", magic));
    }
    if (b.getInt(4) != VERSION) {
      throw new WalFormatException("unsupported WAL format version " + b.getInt(4));
    }
    int pageSize = b.getInt(8);
    if (pageSize == 1) {
      pageSize = 65536;
    }
    if (pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1) {
      throw new WalFormatException("bad WAL page size " + pageSize);
    }
    boolean be = magic == MAGIC_BE;
    int[] s = new int[2];
    WalChecksum.update(s, b, 0, 24, be);
    if (s[0] != b.getInt(24) || s[1] != b.getInt(28)) {
      throw new WalFormatException("WAL header checksum mismatch");
    }
    return new WalHeader(be, pageSize, Integer.toUnsignedLong(b.getInt(12)), Integer.toUnsignedLong(b.getInt(16)),
        Integer.toUnsignedLong(b.getInt(20)), b.getInt(24), b.getInt(28));
  }

  boolean matches(io.litevault.store.WalPosition p) {
    return salt1 == p.salt1() && salt2 == p.salt2();
  }

  int frameSize() {
    return 24 + pageSize;
  }
}
