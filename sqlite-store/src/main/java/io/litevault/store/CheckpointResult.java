package io.litevault.store;

/**
 * The outcome of one checkpoint, as SQLite reports it ({@code PRAGMA wal_checkpoint}).
 *
 * @param mode the mode run
 * @param ran false when the checkpoint was not attempted (a gate held it back, or the WAL was empty)
 * @param busy true when readers kept it from completing
 * @param walFrames frames in the WAL when it ran
 * @param checkpointedFrames frames copied into the database file
 * @param nanos how long it took
 */
public record CheckpointResult(
    CheckpointMode mode, boolean ran, boolean busy, int walFrames, int checkpointedFrames, long nanos) {

  static CheckpointResult skipped(CheckpointMode mode) {
    return new CheckpointResult(mode, false, false, 0, 0, 0);
  }

  /** Whether every frame of the WAL is now in the database file. */
  public boolean complete() {
    return ran && !busy && checkpointedFrames == walFrames;
  }
}
