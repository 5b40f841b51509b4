package io.litevault.bench;

import io.litevault.replication.format.Codec;
import io.litevault.replication.Durability;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.MultiReplicator;
import io.litevault.replication.MultiReplicatorOptions;
import io.litevault.replication.ReplicationMetrics;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.store.Committed;
import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import io.litevault.store.Synchronous;
import io.litevault.store.TaskIsolation;
import io.litevault.store.WriteTask;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Acknowledged single-row writes per second from 32 callers with replication {@code off}, on with
 * {@code local} durability (the future completes at COMMIT; uploads at most once a second), and on with
 * {@code replicated} durability (the future completes once the transaction is in the bucket), against
 * EmbeddedS3 on loopback through the MinIO client, in one run.
 *
 * <p>At the end of each trial it prints, for {@code replicated}: the commit-to-bucket lag p50/p99 (from
 * the commit's future completing to the bucket acknowledging, sampled on every write), and for both
 * replicated modes the bytes uploaded per acknowledged write and the uploads made. {@code codec}
 * compares LZ4 and zstd on the same load (bytes per write and throughput), which is how the default
 * codec was chosen.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
@State(Scope.Benchmark)
public class ReplicationBenchmark {
  /**
   * {@code replicated}: commit, then {@code awaitReplicated} (which asks for an upload at once: no batch
   * window); {@code replicated-ack}: {@code replicator.write(task, REPLICATED)}, what a user calls, through
   * the batch window; its lag is the whole call, commit included.
   */
  @Param({"off", "local", "replicated"})
  public String mode;

  /** {@code ReplicatorOptions.replicatedBatchWindow}, in milliseconds. */
  @Param({"20"})
  public int batchWindowMs;

  @Param({"ZSTD"})
  public String codec;

  /**
   * 1: one {@code Replicator}; 2: a {@code MultiReplicator} shipping to two embedded S3 servers (each its
   * own, both through the MinIO client) with the default quorum (both), to show what a second destination
   * costs a write.
   */
  @Param({"1"})
  public int destinations;

  private EmbeddedS3 s3Second;
  private ObjectStore bucketSecond;
  private MultiReplicator multi;
  /** Whether the bucket is written through {@code EncryptedObjectStore} (client-side encryption, issue 16). */
  @Param({"false"})
  public boolean encrypted;

  private Path dir;
  private EmbeddedS3 s3;
  private ObjectStore bucket;
  private SqliteStore store;
  private Database db;
  private Replicator replicator;
  private final AtomicLong keys = new AtomicLong();
  private final AtomicLong acknowledged = new AtomicLong();
  private long[] lags = new long[1 << 22];
  private final AtomicInteger lagCount = new AtomicInteger();

  @Setup(Level.Trial)
  public void open() {
    dir = BenchSupport.newDirectory("replication-bench");
    store = BenchSupport.openStore(dir.resolve("store"), Synchronous.NORMAL, TaskIsolation.SAVEPOINT);
    db = store.database(BenchSupport.DB);
    if (!mode.equals("off")) {
      s3 = EmbeddedS3.start(); // in-memory: the bucket of a benchmark lives as long as its trial
      bucket = BenchSupport.minio(s3);
      if (encrypted) {
        bucket = io.litevault.bucket.crypt.EncryptedObjectStore.wrap(bucket, CryptBenchmark.keys());
      }
      if (destinations == 1) {
        replicator = Replicator.start(db, ReplicatorOptions.builder(bucket, "bench/data")
            .codec(Codec.valueOf(codec)).replicatedBatchWindow(Duration.ofMillis(batchWindowMs)).build());
      } else {
        s3Second = EmbeddedS3.start();
        bucketSecond = BenchSupport.minio(s3Second);
        multi = MultiReplicator.start(db, MultiReplicatorOptions.builder()
            .destination("first", ReplicatorOptions.builder(bucket, "bench/data").codec(Codec.valueOf(codec))
                .replicatedBatchWindow(Duration.ofMillis(batchWindowMs)).build())
            .destination("second", ReplicatorOptions.builder(bucketSecond, "bench/data").codec(Codec.valueOf(codec))
                .replicatedBatchWindow(Duration.ofMillis(batchWindowMs)).build())
            .build());
      }
      // Wait for the lineage's first snapshot so the measurement sees steady state only.
      try {
        write(insert(), Durability.REPLICATED).get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private <T> java.util.concurrent.CompletableFuture<T> write(WriteTask<T> task, Durability durability) {
    return multi != null ? multi.write(task, durability) : replicator.write(task, durability);
  }

  private WriteTask<Integer> insert() {
    long k = keys.incrementAndGet();
    return c -> BenchSupport.insertOnce(c, k);
  }

  @Benchmark
  @Threads(32)
  public Object write() throws Exception {
    Object result;
    switch (mode) {
      case "off" -> result = db.writeAndWait(insert());
      case "local" -> result = write(insert(), Durability.LOCAL).join();
      case "replicated-ack" -> {
        long t0 = System.nanoTime();
        result = write(insert(), Durability.REPLICATED).join();
        recordLag(System.nanoTime() - t0);
      }
      default -> {
        Committed<Integer> c = db.writeCommitted(insert()).join();
        long t0 = System.nanoTime();
        if (multi != null) {
          multi.awaitReplicated(c.txid(), Duration.ofSeconds(30));
        } else {
          replicator.awaitReplicated(c.txid(), Duration.ofSeconds(30));
        }
        recordLag(System.nanoTime() - t0);
        result = c.value();
      }
    }
    acknowledged.incrementAndGet();
    return result;
  }

  private void recordLag(long nanos) {
    int i = lagCount.getAndIncrement();
    if (i < lags.length) {
      lags[i] = nanos;
    }
  }

  private void printLags() {
    int n = Math.min(lagCount.get(), lags.length);
    if (n > 0) {
      long[] sorted = Arrays.copyOf(lags, n);
      Arrays.sort(sorted);
      System.out.printf("[replication] %s lag over %d writes: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          mode.equals("replicated") ? "commit-to-bucket" : "call-to-ack", n, sorted[n / 2] / 1e6, sorted[(int) (n * 0.99)] / 1e6, sorted[n - 1] / 1e6);
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    if (multi != null) {
      long writes = Math.max(1, acknowledged.get());
      for (String d : multi.destinations()) {
        ReplicationMetrics m = multi.metrics(d);
        System.out.printf("%n[replication] destinations=2 (%s) mode=%s writes=%d uploads=%d bytes/write=%.1f%n", d, mode,
            writes, m.segmentsUploaded() + m.snapshotsUploaded(), (double) m.bytesUploaded() / writes);
      }
      printLags();
      multi.close();
      bucketSecond.close();
      s3Second.close();
    }
    if (replicator != null) {
      long bytes = replicator.metrics().bytesUploaded();
      long writes = Math.max(1, acknowledged.get());
      System.out.printf("%n[replication] mode=%s codec=%s writes=%d uploads=%d (segments %d, snapshots %d) "
              + "bytes/write=%.1f requests=%d%n", mode, codec, writes,
          replicator.metrics().segmentsUploaded() + replicator.metrics().snapshotsUploaded(),
          replicator.metrics().segmentsUploaded(), replicator.metrics().snapshotsUploaded(),
          (double) bytes / writes, bucket.metrics().totalRequests());
      printLags();
      replicator.close();
    }
    store.close();
    if (bucket != null) {
      bucket.close();
      s3.close();
    }
    BenchSupport.deleteRecursively(dir);
    lags = new long[1 << 22];
  }
}
