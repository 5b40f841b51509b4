package io.litevault.replication;

import io.litevault.bucket.ErrorKind;
import io.litevault.replication.restore.RestoreException;

/**
 * {@link RestoreOnBoot} could not give a database back; the service must not open the store (it would create
 * an empty database and fork history). No partial file is left at the database's path. The message names the
 * database, its file and prefix, and what to do.
 */
public final class RestoreOnBootException extends ReplicationException {
  private static final long serialVersionUID = 1L;

  /** Why. */
  public enum Kind {
    /** A connection error or timeout: the bucket did not answer. Retry once it is reachable. */
    BUCKET_UNREACHABLE,
    /** The bucket answered with a refusal: wrong credentials, access denied, no such bucket. Fix the configuration. */
    BUCKET_REFUSED,
    /** A {@code -wal} or {@code -journal} exists without its database file (see {@link RestoreOnBootOptions.Builder#discardLeftoverWal}). */
    LEFTOVER_WAL,
    /** The restore itself failed: a corrupt or missing object, a failed integrity check, the file in use ({@link #restoreKind()}). */
    RESTORE_FAILED
  }

  private final Kind kind;
  private final String database;

  RestoreOnBootException(Kind kind, String database, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.database = database;
  }

  public Kind kind() {
    return kind;
  }

  /** The database that could not be restored. */
  public String database() {
    return database;
  }

  /** The restore's own failure kind when {@link #kind()} is {@link Kind#RESTORE_FAILED}; else null. */
  public RestoreException.Kind restoreKind() {
    return getCause() instanceof RestoreException r ? r.kind() : null;
  }

  /**
   * Unreachable for errors a retry may cure (the bucket is down), refused for configuration errors, a failed
   * restore for the rest (a corrupt body, an object gone between the listing and its download).
   */
  static Kind of(ErrorKind bucketError) {
    return switch (bucketError) {
      case CONNECTION, TIMEOUT -> Kind.BUCKET_UNREACHABLE;
      case BAD_CREDENTIALS, ACCESS_DENIED, NO_SUCH_BUCKET, THROTTLED, SERVER_ERROR -> Kind.BUCKET_REFUSED;
      default -> Kind.RESTORE_FAILED;
    };
  }
}
