package io.litevault.replication.restore;

import io.litevault.bucket.Operation;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

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
 * @param phases where {@code took} went, in order: {@code listing}, {@code planning}, {@code snapshot}
 *     (download, decode and write), {@code segments} (download, verify and apply), {@code fsync},
 *     {@code integrityCheck}, {@code rename} (the final checks, the rename and the directory fsync)
 * @param requests the requests this restore sent to the store, by kind (those of the plan included, also when
 *     it was made by {@link Restore#plan}); kinds it did not send are absent
 */
public record RestoreResult(String lineage, long txid, Instant timestamp, long bytes, int objects, Duration took,
    Path output, Map<String, Duration> phases, Map<Operation, Long> requests) {
  public RestoreResult {
    phases = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phases));
    java.util.EnumMap<Operation, Long> copy = new java.util.EnumMap<>(Operation.class);
    copy.putAll(requests);
    requests = java.util.Collections.unmodifiableMap(copy);
  }
}
