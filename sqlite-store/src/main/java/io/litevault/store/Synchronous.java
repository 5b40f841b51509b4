package io.litevault.store;

/**
 * SQLite's {@code PRAGMA synchronous} for a WAL database.
 *
 * <p>In WAL mode {@link #NORMAL} fsyncs only at checkpoints: a committed transaction survives a
 * process crash ({@code kill -9}) but the last transactions may roll back after a power loss or OS
 * crash. {@link #FULL} also fsyncs the WAL at every COMMIT, so a commit survives power loss. With the
 * store's group commit one fsync covers a whole batch, which is what makes FULL affordable.
 *
 * @see <a href="https://www.sqlite.org/pragma.html#pragma_synchronous">PRAGMA synchronous</a>
 */
public enum Synchronous {
  /** fsync at checkpoints only; durable across process crashes. The default. */
  NORMAL,
  /** fsync the WAL at every commit; durable across power loss. */
  FULL
}
