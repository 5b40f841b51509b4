package io.litevault.store;

/**
 * A byte position in one incarnation of a database's {@code -wal} file.
 *
 * <p>SQLite restarts the WAL from its beginning after a complete checkpoint, and gives each new WAL
 * fresh salts (salt-1 is incremented), so an offset is meaningful only together with the salts that
 * were in the WAL header when it was written. See
 * <a href="https://www.sqlite.org/fileformat2.html#the_write_ahead_log">the WAL file format</a>: a
 * 32-byte header, then frames of 24 header bytes plus one page each.
 *
 * @param salt1 WAL header salt-1 (header offset 16), as an unsigned 32-bit value
 * @param salt2 WAL header salt-2 (header offset 20), as an unsigned 32-bit value
 * @param offset byte offset in the WAL file; 32 is the first frame, 0 means an empty WAL
 */
public record WalPosition(long salt1, long salt2, long offset) {
  /** Size of the WAL file header. */
  static final int WAL_HEADER_BYTES = 32;
  /** Size of each frame header. */
  static final int FRAME_HEADER_BYTES = 24;

  /** Whether this position is in the same WAL incarnation as {@code other}. */
  public boolean sameWal(WalPosition other) {
    return salt1 == other.salt1 && salt2 == other.salt2;
  }

  /** Whether every frame up to {@code other} lies at or before this position in the same WAL. */
  public boolean covers(WalPosition other) {
    return other.offset <= WAL_HEADER_BYTES || (sameWal(other) && offset >= other.offset);
  }
}
