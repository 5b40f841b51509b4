package io.litevault.store;

/**
 * The checkpoint modes the store uses. FULL and RESTART are deliberately absent: they block the writer
 * on readers (Litestream issue #724 hung a production app that way).
 *
 * @see <a href="https://www.sqlite.org/c3ref/wal_checkpoint_v2.html">sqlite3_wal_checkpoint_v2</a>
 */
public enum CheckpointMode {
  /** Copy as many frames as readers allow into the database file; never waits. */
  PASSIVE,
  /**
   * Copy every frame and truncate the WAL to zero bytes. Attempted without waiting: when a reader
   * still uses the WAL it reports {@code busy} and the store retries later.
   */
  TRUNCATE
}
