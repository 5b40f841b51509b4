package io.litevault.replication.torture;

import io.litevault.replication.format.Codec;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.Synchronous;
import java.time.Duration;

/**
 * The fixed part of a schedule: which bucket, and the store's and replicator's settings (all shortened
 * so that idle checkpoints, snapshots, retention and retries happen within seconds).
 */
record Setup(
    BucketKind bucket,
    boolean killMode,
    int passiveCheckpointPages,
    long restartWalBytes,
    long hardWalLimitBytes,
    Duration idleCheckpointAfter,
    int maxBatchSize,
    Synchronous synchronous,
    Duration minUploadInterval,
    Duration snapshotInterval,
    int maxSegmentBytes,
    Duration retention,
    Duration retentionCheckInterval,
    Codec codec,
    Duration retryBackoff,
    Duration maxRetryBackoff,
    Duration leaseTtl,
    int slowGateMicros) {

  /** Where a schedule replicates to. */
  enum BucketKind { FILE, MINIO, AWS }

  static final String SCHEMA_WLOG = "CREATE TABLE wlog(seq INTEGER PRIMARY KEY, tag TEXT NOT NULL)";
  static final String SCHEMA_T0 = "CREATE TABLE t0(id INTEGER PRIMARY KEY, k INTEGER, v TEXT, b BLOB)";

  /** Retention shorter than a day: the oracle only checks points younger than it. */
  boolean shortRetention() {
    return retention.compareTo(Duration.ofHours(1)) < 0;
  }

  boolean smallHardWalLimit() {
    return hardWalLimitBytes <= 4L << 20;
  }

  DatabaseOptions databaseOptions() {
    return DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "wlog", SCHEMA_WLOG)
        .migration(2, "t0", SCHEMA_T0)
        .readers(2)
        .synchronous(synchronous)
        .passiveCheckpointPages(passiveCheckpointPages)
        .restartWalBytes(restartWalBytes)
        .hardWalLimitBytes(hardWalLimitBytes)
        .idleCheckpointAfter(idleCheckpointAfter)
        .maxBatchSize(maxBatchSize)
        .build();
  }

  ReplicatorOptions replicatorOptions(ObjectStore store, String prefix) {
    return ReplicatorOptions.builder(store, prefix)
        .minUploadInterval(minUploadInterval)
        .snapshotInterval(snapshotInterval)
        .maxSegmentBytes(maxSegmentBytes)
        .retention(retention)
        .retentionCheckInterval(retentionCheckInterval)
        .codec(codec)
        .retryBackoff(retryBackoff, maxRetryBackoff)
        .leaseTtl(leaseTtl)
        .build();
  }

  String describe() {
    return bucket + " bucket" + (killMode ? ", kill -9 rounds" : "")
        + "; store{passivePages=" + passiveCheckpointPages + ", restartWal=" + Step.bytes(restartWalBytes)
        + ", hardWalLimit=" + Step.bytes(hardWalLimitBytes) + ", idleCheckpoint=" + ms(idleCheckpointAfter)
        + ", maxBatch=" + maxBatchSize + ", synchronous=" + synchronous + "}"
        + "; replicator{minUpload=" + ms(minUploadInterval) + ", snapshotEvery=" + ms(snapshotInterval)
        + ", maxSegment=" + Step.bytes(maxSegmentBytes) + ", retention=" + ms(retention) + " (checked every "
        + ms(retentionCheckInterval) + "), codec=" + codec + ", retry=" + ms(retryBackoff) + ".." + ms(maxRetryBackoff)
        + ", leaseTtl=" + ms(leaseTtl) + "}"
        + (slowGateMicros > 0 ? "; a slow checkpoint gate (up to " + slowGateMicros + " us on the checkpoint thread)" : "");
  }

  static String ms(Duration d) {
    long ms = d.toMillis();
    return ms % 3_600_000 == 0 && ms > 0 ? ms / 3_600_000 + "h" : ms % 1000 == 0 && ms > 0 ? ms / 1000 + "s" : ms + "ms";
  }
}
