package io.litevault.replication.restore;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A finished restore.
 *
 * @param lineage the lineage restored from
 * @param txid the last transaction applied
 * @param timestamp its commit time
 * @param bytes bytes downloaded
 * @param objects objects downloaded
 * @param took wall-clock time
 * @param output the restored file
 */
public record RestoreResult(String lineage, long txid, Instant timestamp, long bytes, int objects, Duration took,
    Path output) {}
