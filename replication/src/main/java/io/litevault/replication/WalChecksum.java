package io.litevault.replication;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * SQLite's WAL checksum: over 32-bit words taken in pairs, {@code s0 += x0 + s1; s1 += x1 + s0}. The
 * words are big-endian when the WAL magic is 0x377f0683, little-endian when it is 0x377f0682. See
 * <a href="https://www.sqlite.org/fileformat2.html#walformat">the WAL file format, "Checksum algorithm"</a>.
 */
final class WalChecksum {
  private WalChecksum() {}

  /** Folds {@code len} bytes (a multiple of 8) of {@code b} at {@code off} into {@code s} (2 ints, unsigned). */
  static void update(int[] s, ByteBuffer b, int off, int len, boolean bigEndian) {
    ByteBuffer v = b.duplicate().order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    int s0 = s[0];
    int s1 = s[1];
    for (int i = off; i < off + len; i += 8) {
      s0 += v.getInt(i) + s1;
      s1 += v.getInt(i + 4) + s0;
    }
    s[0] = s0;
    s[1] = s1;
  }
}
