package io.litevault.replication;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What {@link RestoreOnBoot} did for one database.
 *
 * @param database the database's name
 * @param file its local file
 * @param outcome restored, or left alone and why
 * @param lineage the lineage restored from; null unless restored
 * @param txid the last transaction restored; 0 unless restored
 * @param bytes bytes downloaded; 0 unless restored
 * @param objects objects downloaded; 0 unless restored
 * @param took time spent on this database
 */
public record RestoreOnBootResult(String database, Path file, Outcome outcome, String lineage, long txid, long bytes,
    int objects, Duration took) {

  /** What happened to a database's file. */
  public enum Outcome {
    /** The file was missing and the newest point of its replica was restored into place, verified. */
    RESTORED,
    /** The file exists: left alone (the replicator's start compares it with the bucket). */
    LOCAL_FILE_PRESENT,
    /** The file was missing and its replica prefix holds nothing: the store creates a fresh database. */
    BUCKET_EMPTY,
    /**
     * The file was missing and the bucket could not be reached; left missing because
     * {@link RestoreOnBootOptions#startEmptyIfUnreachable()} allowed it: the store creates an empty database.
     */
    BUCKET_UNREACHABLE_STARTED_EMPTY
  }

  /** Whether the database was restored from the bucket. */
  public boolean restored() {
    return outcome == Outcome.RESTORED;
  }

  static RestoreOnBootResult leftAlone(String database, Path file, Outcome outcome, Duration took) {
    return new RestoreOnBootResult(database, file, outcome, null, 0, 0, 0, took);
  }
}
