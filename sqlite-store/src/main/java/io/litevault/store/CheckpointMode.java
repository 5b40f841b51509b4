package io.litevault.store;

/**
 * The checkpoint modes the store uses. FULL is deliberately absent, and RESTART and TRUNCATE always run
 * with {@code busy_timeout=0}: waiting on readers is what hung a production app in Litestream issue #724.
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
  TRUNCATE,
  /**
   * Copy every frame and make the next write start the WAL again from its beginning, keeping the file
   * (the store's routine way to bound the WAL: truncating a 64 MiB file cost ~25 ms on the writer
   * thread, restarting ~3 ms, see benchmarks/RESULTS.md). Attempted without waiting, like TRUNCATE.
   */
  RESTART
}
