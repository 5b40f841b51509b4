package io.litevault.demo;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the demo measured and whether the restore matched. Printed as text or, with {@code --json}, as one
 * JSON object with the same fields.
 */
record DemoReport(String target, long writes, long replicatedWrites, long reads, long failures, double writeSeconds,
    double seconds,
    double writeP50Ms, double writeP99Ms, double replicatedWriteP50Ms, double replicatedWriteP99Ms,
    double lagP50Ms, double lagP99Ms, double maintenanceSeconds, long bucketRequests, long bucketBytesSent,
    long segmentsUploaded, long snapshotsUploaded, double restoreSeconds, long restoredTxid, long rows,
    String originalSha256, String restoredSha256, String integrity, String workDir, String failure,
    TtlSummary ttl, TierSummary tier, java.util.List<String> byHand) {

  /** The TTL tables during the run: rows purged, purges, one-time codes used, writers' p99 during purges. */
  record TtlSummary(long rowsPurged, long purges, long codesTaken, double writeP99DuringPurgeMs, double writeP99Ms) {}

  /** The daily backup tier: the copy run, and a restore from the tier compared with the original. */
  record TierSummary(String target, long objects, long bytes, double seconds, String status, boolean restoreIdentical,
      String restoreIntegrity) {
    boolean pass() {
      return "SUCCEEDED".equals(status) && restoreIdentical && "ok".equals(restoreIntegrity);
    }
  }

  boolean pass() {
    return failure == null && failures == 0 && originalSha256.equals(restoredSha256) && "ok".equals(integrity)
        && tier.pass();
  }

  Map<String, Object> fields() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("result", pass() ? "PASS" : "FAIL");
    m.put("target", target);
    m.put("writes", writes);
    m.put("replicatedWrites", replicatedWrites);
    m.put("reads", reads);
    m.put("failedOperations", failures);
    m.put("writeSeconds", round(writeSeconds));
    m.put("seconds", round(seconds));
    m.put("writesPerSecond", Math.round(writes / writeSeconds));
    m.put("readsPerSecond", Math.round(reads / seconds));
    m.put("readsPerWrite", writes == 0 ? 0.0 : round((double) reads / writes));
    m.put("writeLatencyP50Ms", round(writeP50Ms));
    m.put("writeLatencyP99Ms", round(writeP99Ms));
    m.put("replicatedWriteLatencyP50Ms", round(replicatedWriteP50Ms));
    m.put("replicatedWriteLatencyP99Ms", round(replicatedWriteP99Ms));
    m.put("replicationLagP50Ms", round(lagP50Ms));
    m.put("replicationLagP99Ms", round(lagP99Ms));
    m.put("maintenanceSeconds", round(maintenanceSeconds));
    m.put("bucketRequests", bucketRequests);
    m.put("bucketBytesSent", bucketBytesSent);
    m.put("segmentsUploaded", segmentsUploaded);
    m.put("snapshotsUploaded", snapshotsUploaded);
    m.put("restoreSeconds", round(restoreSeconds));
    m.put("restoredTxid", restoredTxid);
    m.put("rows", rows);
    m.put("originalSha256", originalSha256);
    m.put("restoredSha256", restoredSha256);
    m.put("integrityCheck", integrity);
    m.put("ttlRowsPurged", ttl.rowsPurged());
    m.put("ttlPurges", ttl.purges());
    m.put("oneTimeCodesTaken", ttl.codesTaken());
    m.put("writeLatencyP99DuringPurgeMs", round(ttl.writeP99DuringPurgeMs()));
    m.put("backupTierObjects", tier.objects());
    m.put("backupTierBytes", tier.bytes());
    m.put("backupTierSeconds", round(tier.seconds()));
    m.put("backupTierStatus", tier.status());
    m.put("backupTierRestore", tier.pass() ? "PASS" : "FAIL");
    m.put("restoreByHand", String.join("\n", byHand));
    m.put("workDir", workDir);
    m.put("failure", failure);
    return m;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  String json() {
    return fields().entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + value(e.getValue()))
        .collect(Collectors.joining(",", "{", "}"));
  }

  private static String value(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Number) {
      return v.toString();
    }
    return "\"" + v.toString().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  String text() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%n=== Litevault demo: %s ===%n", pass() ? "PASS" : "FAIL"));
    sb.append(String.format(Locale.ROOT, "target              %s%n", target));
    sb.append(String.format(Locale.ROOT, "writes              %,d in %.1f s = %,d writes/s (%,d replicated before ack; %d failed)%n",
        writes, writeSeconds, Math.round(writes / writeSeconds), replicatedWrites, failures));
    sb.append(String.format(Locale.ROOT, "reads               %,d in %.1f s = %,d reads/s (%.1f per write, read while the writes ran; at most %d)%n",
        reads, seconds, Math.round(reads / seconds), writes == 0 ? 0.0 : (double) reads / writes, Traffic.READS_PER_WRITE));
    sb.append(String.format(Locale.ROOT, "write latency       p50 %.2f ms, p99 %.2f ms (submit to acknowledgement)%n",
        writeP50Ms, writeP99Ms));
    sb.append(String.format(Locale.ROOT, "  REPLICATED writes p50 %.2f ms, p99 %.2f ms (acknowledged once in the bucket)%n",
        replicatedWriteP50Ms, replicatedWriteP99Ms));
    sb.append(String.format(Locale.ROOT, "replication lag     p50 %.0f ms, p99 %.0f ms (commit to bucket, every commit, sampled every 10 ms)%n",
        lagP50Ms, lagP99Ms));
    sb.append(String.format(Locale.ROOT, "maintenance window  %.2f s halfway through (writes held, none failed)%n", maintenanceSeconds));
    sb.append(String.format(Locale.ROOT, "bucket              %,d requests, %.1f MiB sent (%,d segments, %d snapshots)%n",
        bucketRequests, bucketBytesSent / 1048576.0, segmentsUploaded, snapshotsUploaded));
    sb.append(String.format(Locale.ROOT, "restore             %.2f s to txid %d, %,d rows, integrity_check: %s%n",
        restoreSeconds, restoredTxid, rows, integrity));
    sb.append(String.format(Locale.ROOT, "content             original %s%n                    restored %s (%s)%n",
        originalSha256, restoredSha256, originalSha256.equals(restoredSha256) ? "identical" : "DIFFERENT"));
    sb.append(String.format(Locale.ROOT, "ttl tables          %,d expired rows purged in %d purges (one per simulated hour); %,d one-time codes used once%n",
        ttl.rowsPurged(), ttl.purges(), ttl.codesTaken()));
    sb.append(String.format(Locale.ROOT, "  writes during purges p99 %.2f ms (all writes p99 %.2f ms)%n", ttl.writeP99DuringPurgeMs(),
        ttl.writeP99Ms()));
    sb.append(String.format(Locale.ROOT, "backup tier daily/  %,d objects, %.1f MiB in %.2f s to %s: %s; restore from the tier: %s%n",
        tier.objects(), tier.bytes() / 1048576.0, tier.seconds(), tier.target(), tier.status(), tier.pass() ? "PASS (identical, integrity ok)"
            : "FAIL (identical=" + tier.restoreIdentical() + ", integrity " + tier.restoreIntegrity() + ")"));
    sb.append(String.format(Locale.ROOT, "files               %s/data/data.db and %s/restored/data.db%n", workDir, workDir));
    sb.append("restore by hand     (works after the demo has exited; from the repository's root)").append(System.lineSeparator());
    for (String c : byHand) {
      sb.append("  ").append(c).append(System.lineSeparator());
    }
    if (failure != null) {
      sb.append("failure             ").append(failure).append(System.lineSeparator());
    }
    return sb.toString();
  }
}
