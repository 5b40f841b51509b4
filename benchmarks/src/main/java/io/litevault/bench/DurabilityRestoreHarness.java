package io.litevault.bench;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 13's first target: 500 writes a second for 60 s, each its own transaction, replicated with the
 * replicator's defaults to one EmbeddedS3 (S3Proxy, file-backed, MinIO client), once with every write
 * {@code LOCAL} and once with every write {@code REPLICATED} (which uploads far more, smaller segments).
 * Each replica is then restored while its replicator still runs (open compacted ranges not flushed, as
 * after a crash): the REPLICATED one with and without compacted ranges. Median of the rounds.
 */
@Command(name = "durability-restore-harness", mixinStandardHelpOptions = true)
public final class DurabilityRestoreHarness implements Callable<Integer> {
  @Option(names = "--dir", required = true, description = "work directory (emptied first)")
  Path dir;

  @Option(names = "--rate", defaultValue = "500", description = "writes per second (default: ${DEFAULT-VALUE})")
  int rate;

  @Option(names = "--seconds", defaultValue = "60", description = "how long to write (default: ${DEFAULT-VALUE})")
  int seconds;

  @Option(names = "--rounds", defaultValue = "3", description = "restores per measurement (median)")
  int rounds;

  public static void main(String[] args) {
    System.exit(new CommandLine(new DurabilityRestoreHarness()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    BenchSupport.deleteRecursively(dir);
    Files.createDirectories(dir);
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(dir.resolve("s3")).start();
        ObjectStore bucket = BenchSupport.minio(s3)) {
      System.out.println("| writes (uploaded) | restore | objects read | GETs | restore ms (median) |");
      System.out.println("|---|---|---|---|---|");
      long local = run(bucket, Durability.LOCAL, true);
      long replicated = run(bucket, Durability.REPLICATED, true);
      System.out.printf(Locale.ROOT, "%nREPLICATED / LOCAL restore time: %.2f%n", (double) replicated / local);
    }
    return 0;
  }

  /** Writes, then restores while replicating; returns the median restore time with ranges. */
  private long run(ObjectStore bucket, Durability durability, boolean alsoWithout) throws Exception {
    String prefix = durability.name().toLowerCase(Locale.ROOT) + "/data";
    Path live = dir.resolve(durability.name().toLowerCase(Locale.ROOT));
    try (SqliteStore store = SqliteStore.builder(live).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "t", "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)").build()).open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, prefix).build())) {
      write(r, durability);
      r.write(c -> null, Durability.REPLICATED).get(); // everything so far is in the bucket
      long withRanges = restore(bucket, prefix, true, durability + " (" + r.metrics().segmentsUploaded() + " segments, "
          + r.metrics().rangesUploaded() + " ranges)");
      if (alsoWithout) {
        restore(bucket, prefix, false, durability.toString());
      }
      return withRanges;
    }
  }

  /** {@code rate} single-row transactions a second for {@code seconds}, on a fixed schedule. */
  private void write(Replicator r, Durability durability) throws Exception {
    List<CompletableFuture<?>> pending = new ArrayList<>();
    long start = System.nanoTime();
    long total = (long) rate * seconds;
    for (long i = 0; i < total; i++) {
      long due = start + i * 1_000_000_000L / rate;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      long k = i;
      pending.add(r.write(c -> {
        try (var ps = c.prepareStatement("INSERT INTO t(k, v) VALUES (?, ?)")) {
          ps.setLong(1, k);
          ps.setString(2, BenchSupport.VALUE);
          return ps.executeUpdate();
        }
      }, durability));
      if (pending.size() >= 10_000) {
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
        pending.clear();
      }
    }
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
  }

  private long restore(ObjectStore bucket, String prefix, boolean ranges, String what) {
    long[] ms = new long[rounds];
    RestoreResult last = null;
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      last = Restore.run(RestoreOptions.builder(bucket, prefix, dir.resolve("restored.db")).force(true)
          .compactedRanges(ranges).build());
      ms[i] = (System.nanoTime() - t0) / 1_000_000;
    }
    Arrays.sort(ms);
    System.out.printf(Locale.ROOT, "| %s | %s | %d | %s | %d |%n", what, ranges ? "with ranges" : "segments only",
        last.objects(), last.requests().get(io.litevault.bucket.Operation.GET), ms[rounds / 2]);
    System.err.println("phases of " + what + (ranges ? " with ranges" : "") + ": " + last.phases() + " requests "
        + last.requests());
    return ms[rounds / 2];
  }
}
