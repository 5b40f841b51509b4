package io.litevault.replication;

import io.litevault.replication.format.UnsupportedVersionException;

/**
 * The newest lineage of the bucket ends in an object whose format version this release does not read: a
 * newer Litevault wrote it (this release was rolled back to after a newer one turned a new format on), so
 * this release cannot tell whether the local files continue it. Replication stops instead of retrying a read
 * that can never succeed; waiting {@code REPLICATED} writes fail with this exception. Either run a release
 * that reads that version, or allow a fork ({@link ReplicatorOptions.Builder#allowFork}) for one start: the
 * replicator then starts a new lineage with a snapshot of the local files (the newer lineage stays in the
 * bucket, restorable by a release that reads it, until retention). Not automatic: without reading the tip
 * nothing shows that the local files hold everything it does, and the new lineage would become what
 * "restore latest" returns.
 */
public final class NewerFormatException extends ReplicationException {
  private static final long serialVersionUID = 1L;

  private final String object;
  private final int version;

  NewerFormatException(String database, UnsupportedVersionException cause) {
    super("database '" + database + "': the bucket's newest lineage ends in " + cause.object() + ", a "
        + cause.kind() + " of format version " + cause.version() + "; this release reads " + cause.kind()
        + " versions up to " + cause.newestRead() + ". Replication stopped: run a release that reads version "
        + cause.version() + ", or allow a fork (ReplicatorOptions allowFork) for one start to begin a new lineage "
        + "with a snapshot of the local files (the newer lineage stays in the bucket)", cause);
    this.object = cause.object();
    this.version = cause.version();
  }

  /** The key of the object this release cannot read. */
  public String object() {
    return object;
  }

  /** Its format version. */
  public int version() {
    return version;
  }
}
