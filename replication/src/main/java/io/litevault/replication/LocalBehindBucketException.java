package io.litevault.replication;

import io.litevault.replication.format.LineageCatalog;

/**
 * The local database equals an earlier point of the bucket's lineages, or no point the bucket keeps: it
 * lost commits the bucket already has (a power loss with {@code synchronous=NORMAL}, or an old copy put
 * back), or it is not the database the bucket holds (an empty file where the data was lost, a wrong path,
 * a copy older than retention keeps, a change made while nothing replicated it). The bucket
 * is the truth for what was acknowledged as {@code REPLICATED}, so the replicator does not start a new
 * lineage from the older file, which would make "restore latest" drop those writes. Restore the
 * database from the bucket (the newest point) and start again, or, to keep the local file and give up
 * the bucket's newer commits, allow a fork ({@link ReplicatorOptions.Builder#allowFork}).
 */
public final class LocalBehindBucketException extends ReplicationException {
  private static final long serialVersionUID = 1L;

  private final String lineage;
  private final long localTxid;
  private final long bucketTxid;

  public LocalBehindBucketException(String database, String lineage, long localTxid, long bucketTxid) {
    super("database '" + database + "' equals txid " + localTxid + " of lineage " + lineage + ", but the bucket has "
        + "that lineage up to txid " + bucketTxid + ": the local file lost " + (bucketTxid - localTxid)
        + " committed transaction(s) the bucket has (a power loss with synchronous=NORMAL, or an older copy). "
        + "Replication stopped without starting a new lineage; restore the database from the bucket and start "
        + "again, or allow a fork to keep the local file and give up those transactions");
    this.lineage = lineage;
    this.localTxid = localTxid;
    this.bucketTxid = bucketTxid;
  }

  /** The local file equals a point of an older lineage than the bucket's newest one. */
  public LocalBehindBucketException(String database, String lineage, long localTxid, String newestLineage,
      long newestTxid) {
    super("database '" + database + "' equals txid " + localTxid + " of lineage " + lineage + ", older than the "
        + "bucket's newest lineage " + newestLineage + " (up to txid " + newestTxid + "): the local file lost the "
        + "commits since (a power loss with synchronous=NORMAL, or an older copy). Replication stopped without "
        + "starting a new lineage; restore the database from the bucket and start again, or allow a fork to keep "
        + "the local file and give up those transactions");
    this.lineage = lineage;
    this.localTxid = localTxid;
    this.bucketTxid = Long.MAX_VALUE;
  }

  /** The local file equals no point the bucket keeps of any lineage. */
  LocalBehindBucketException(String database, LineageCatalog.Tip tip) {
    super("database '" + database + "' equals no point the bucket keeps of its lineages (the newest, " + tip.lineage()
        + ", is at txid " + tip.txid() + "): the local file is not the database the bucket holds (an empty file "
        + "where the data was lost, a wrong path), a copy older than the bucket's retention, or it was changed "
        + "while nothing replicated it. Replication stopped without starting a new lineage, which would make "
        + "'restore latest' return this file; restore the database from the bucket and start again, or allow a "
        + "fork to keep the local file as the newest lineage (the bucket's lineages stay until retention)");
    this.lineage = tip.lineage();
    this.localTxid = -1;
    this.bucketTxid = tip.txid();
  }

  public String lineage() {
    return lineage;
  }

  /** The lineage txid the local file equals, or -1 when it equals none the bucket keeps. */
  public long localTxid() {
    return localTxid;
  }

  /** The newest txid of the lineage in the bucket ({@link Long#MAX_VALUE} when the bucket moved on to a newer lineage). */
  public long bucketTxid() {
    return bucketTxid;
  }
}
