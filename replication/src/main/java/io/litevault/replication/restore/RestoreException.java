package io.litevault.replication.restore;

import io.litevault.replication.format.ReplicaPosition;

/**
 * A restore could not produce the database asked for. Nothing was written at the output path. The
 * message names the object or input at fault and, where one exists, the newest point that can still be
 * restored ({@link #newestRestorable()}), which can be asked for with {@link RestoreOptions.Builder#txid}.
 * Messages name what was wrong and what to do in the library's terms; the restore command adds its own
 * flags.
 */
public final class RestoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What kind of failure; the CLI maps each to its own exit code. */
  public enum Kind {
    NOTHING_TO_RESTORE,
    /** The output, or a {@code -wal}/{@code -journal} of a database there, exists and force was not asked for. */
    OUTPUT_EXISTS,
    /** A running store holds the output's directory, or a process has the database there open. */
    OUTPUT_IN_USE,
    /** The output path is a symbolic link, a directory or a special file (a device, a FIFO, a socket). */
    OUTPUT_NOT_A_FILE,
    NO_SUCH_POINT, MISSING_OBJECT, CORRUPT_OBJECT,
    /** Two segments hold different versions of the same transaction (the bucket holds two histories). */
    CONFLICTING_SEGMENTS, INTEGRITY, IO }

  private final Kind kind;
  private final transient ReplicaPosition newestRestorable;

  public RestoreException(Kind kind, String message, ReplicaPosition newestRestorable, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    // A key scope the reader lacks is no damage: an older point would drop every write since (review 31). A
    // failure that damage explains as well keeps its point, for when the keys are known to be right (review 32).
    this.newestRestorable = io.litevault.bucket.crypt.ObjectDecryptionException.settingsProblem(cause)
        .filter(io.litevault.bucket.crypt.ObjectDecryptionException::settingsCertain).isPresent() ? null : newestRestorable;
  }

  public Kind kind() {
    return kind;
  }

  /** The newest point still restorable, when the failure leaves one; else null. */
  public ReplicaPosition newestRestorable() {
    return newestRestorable;
  }
}
