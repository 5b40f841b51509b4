package io.litevault.bench;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
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
 * Issue 14's REPLICATED request cost: the curve of {@code replicatedBatchWindow} W against PUTs per 1,000
 * writes and the REPLICATED ack latency. For each rate and W, on a fresh store and prefix of one EmbeddedS3
 * (S3Proxy on loopback, MinIO client, replicator defaults otherwise): one generator submits single-row
 * REPLICATED transactions on a fixed schedule (open loop: a slow ack never slows the arrivals), a write's
 * latency runs from its scheduled time to its future's completion (in the bucket), and the bucket's own
 * request counter gives the PUTs (segments, compacted ranges, lease renewals, snapshots) and bytes sent.
 * The first {@code --warmup-seconds} are discarded (the lineage's first snapshot lands there). Then one
 * caller writes 200 REPLICATED rows, each after the previous ack: the window must cost it nothing.
 */
@Command(name = "batch-window-harness", mixinStandardHelpOptions = true)
public final class BatchWindowHarness implements Callable<Integer> {
  @Option(names = "--dir", required = true, description = "work directory (emptied first)")
  Path dir;

  @Option(names = "--rates", split = ",", defaultValue = "100,1000", description = "writes per second")
  List<Integer> rates;

  @Option(names = "--windows-ms", split = ",", defaultValue = "0,5,20,50,100", description = "batch windows, ms")
  List<Integer> windows;

  @Option(names = "--seconds", defaultValue = "20", description = "measured seconds per case")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "3", description = "discarded seconds per case")
  int warmupSeconds;

  public static void main(String[] args) {
    System.exit(new CommandLine(new BatchWindowHarness()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    BenchSupport.deleteRecursively(dir);
    Files.createDirectories(dir);
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(dir.resolve("s3")).start();
        ObjectStore bucket = BenchSupport.minio(s3)) {
      System.out.println("| writes/s | W (ms) | writes | PUTs per 1,000 writes | bytes sent per write | ack p50 (ms) | "
          + "ack p99 (ms) | ack max (ms) | one caller, ack mean (ms) |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (int rate : rates) {
        for (int w : windows) {
          run(bucket, rate, w);
        }
      }
    }
    return 0;
  }

  private void run(ObjectStore bucket, int rate, int windowMs) throws Exception {
    String name = "r" + rate + "-w" + windowMs;
    try (SqliteStore store = SqliteStore.builder(dir.resolve(name)).database("data", DatabaseOptions.builder()
        .holdWalUntilGate(true).migration(1, BenchSupport.TABLE, BenchSupport.CREATE).build())
        .open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, name + "/data")
            .replicatedBatchWindow(Duration.ofMillis(windowMs)).build())) {
      write(r, rate, warmupSeconds, 0, null);
      var before = bucket.metrics().snapshot();
      long[] latencies = new long[rate * seconds];
      write(r, rate, seconds, rate * warmupSeconds, latencies);
      var after = bucket.metrics().snapshot();
      long puts = after.get(Operation.PUT).requests() - before.get(Operation.PUT).requests();
      long sent = after.values().stream().mapToLong(s -> s.bytesSent()).sum()
          - before.values().stream().mapToLong(s -> s.bytesSent()).sum();
      Arrays.sort(latencies);
      int n = latencies.length;
      double single = oneCaller(r, rate * (warmupSeconds + seconds));
      System.out.printf(Locale.ROOT, "| %d | %d | %d | %.1f | %.0f | %.2f | %.2f | %.2f | %.2f |%n", rate, windowMs, n,
          puts * 1000.0 / n, (double) sent / n, latencies[n / 2] / 1e6, latencies[(int) (n * 0.99)] / 1e6,
          latencies[n - 1] / 1e6, single);
    }
  }

  /**
   * Mean ack latency of one caller that waits for each REPLICATED write before the next (200 writes): what
   * a batch window costs when there is nothing to share the upload with.
   */
  private static double oneCaller(Replicator r, long firstKey) throws Exception {
    long t0 = System.nanoTime();
    for (int i = 0; i < 200; i++) {
      long k = firstKey + i;
      r.write(BenchSupport.insertRow(k), Durability.REPLICATED).get();
    }
    return (System.nanoTime() - t0) / 200 / 1e6;
  }

  /** {@code rate} single-row REPLICATED transactions a second for {@code secs}; latencies recorded if not null. */
  private static void write(Replicator r, int rate, int secs, long firstKey, long[] latencies) throws Exception {
    List<CompletableFuture<?>> pending = new ArrayList<>();
    long start = System.nanoTime();
    long total = (long) rate * secs;
    for (int i = 0; i < total; i++) {
      long due = start + i * 1_000_000_000L / rate;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      long k = firstKey + i;
      int slot = i;
      CompletableFuture<?> f = r.write(BenchSupport.insertRow(k), Durability.REPLICATED);
      if (latencies != null) {
        f = f.whenComplete((v, e) -> latencies[slot] = System.nanoTime() - due);
      }
      pending.add(f);
    }
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
  }
}
