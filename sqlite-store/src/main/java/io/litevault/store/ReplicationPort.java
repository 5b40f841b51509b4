package io.litevault.store;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What a replicator needs of a {@link Database}, kept off the application's API: commit events, the
 * checkpoint gates that hold the WAL until it is shipped, pins and commit boundaries for snapshots, and
 * read access to the database and WAL files.
 *
 * <p>An application never uses this port. Each part of it can break replication or the database when
 * misused: a gate that never releases grows the WAL to its hard limit; a listener that blocks delays every
 * acknowledgement; a pin held open keeps SQLite from restarting the WAL. {@code io.litevault.replication}
 * is its one user; it is public only because that package lives in another module.
 *
 * <p>One port per database ({@link #of} returns the same object every time). Thread-safe.
 */
public final class ReplicationPort {
  private final Database db;

  ReplicationPort(Database db) {
    this.db = db;
  }

  /** The port of {@code database}. */
  public static ReplicationPort of(Database database) {
    return database.port();
  }

  /** The database this port serves (its name, path and options). */
  public Database database() {
    return db;
  }

  /**
   * Adds a listener told about every later commit, on the writer thread right after the commit and
   * before any future completes; see {@link CommitListener} for what it may do there.
   */
  public void addCommitListener(CommitListener listener) {
    db.addCommitListener(listener);
  }

  public void removeCommitListener(CommitListener listener) {
    db.removeCommitListener(listener);
  }

  /**
   * Adds a gate every later checkpoint must pass (a checkpoint copies at most to the lowest
   * {@link CheckpointGate#safePosition()} of all gates, unless the WAL crossed its hard limit, which is
   * announced to every gate first). The gate of {@link DatabaseOptions.Builder#holdWalUntilGate} goes
   * once the first real gate is added.
   */
  public void addCheckpointGate(CheckpointGate gate) {
    db.addCheckpointGate(gate);
  }

  public void removeCheckpointGate(CheckpointGate gate) {
    db.removeCheckpointGate(gate);
  }

  /** Asks for a background checkpoint soon, for a gate that has just released frames. Never blocks. */
  public void requestCheckpoint() {
    db.requestCheckpoint();
  }

  /**
   * The WAL end when the store opened the database (after its migrations): the main file with the WAL's
   * frames up to here is the state the files had when this process took them over (after a kill -9, its
   * WAL may still hold commits the main file does not). The files still read that way while the WAL is
   * the same incarnation (the same salts) and no checkpoint has copied frames past this position, as
   * {@link DatabaseOptions.Builder#holdWalUntilGate} ensures until a gate releases them; a WAL of
   * offset 32 or less held nothing, and the main file alone was that state.
   */
  public WalPosition walAtOpen() {
    return db.walAtOpen();
  }

  /**
   * Read access to the database and WAL files. They are the store's descriptors and only the store
   * closes them: closing any descriptor of a SQLite file drops the process's POSIX locks on it.
   */
  public DatabaseFiles files() {
    return db.files();
  }

  /**
   * Runs {@code action} on the writer thread after the writes queued before it, with no write and no
   * checkpoint running, and gives it the WAL end at that moment; see {@link Database} for the
   * guarantees. Keep the action short: writes wait for it.
   */
  public <T> CompletableFuture<T> atCommitBoundary(Function<WalPosition, T> action) {
    return db.atCommitBoundary(action);
  }

  /**
   * Pins the database as of the next commit boundary with a read transaction of its own, so that its
   * files can be read as of {@link ReadPin#position()} while SQLite goes on; close the pin soon.
   */
  public CompletableFuture<ReadPin> pin() {
    return db.pin();
  }

  @Override
  public String toString() {
    return "ReplicationPort[" + db.name() + "]";
  }
}
