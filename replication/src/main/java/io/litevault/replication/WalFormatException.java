package io.litevault.replication;

import java.io.IOException;

/**
 * The {@code -wal} file does not hold what the store said was committed: a bad header, salts of
 * another WAL, a broken checksum chain, or frames missing. The replicator reacts by starting a new
 * lineage from a snapshot; nothing already in the bucket is touched.
 */
final class WalFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public WalFormatException(String message) {
    super(message);
  }
}
