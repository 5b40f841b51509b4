package io.litevault.bench;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.SqliteStore;
import io.litevault.store.Synchronous;
import io.litevault.store.TaskIsolation;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * A whole restore (snapshot plus segments, integrity check off) of a replicated database of about 24 MiB
 * (6,000 rows of 4 KiB random text, in 60 transactions), plain and encrypted, from {@link EmbeddedS3} through the
 * MinIO client: what client-side encryption costs a disaster recovery. Time per restore.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar CryptRestoreBenchmark -f 1 -wi 1 -i 3</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class CryptRestoreBenchmark {
  @Param({"false", "true"})
  public boolean encrypted;

  private Path dir;
  private EmbeddedS3 s3;
  private ObjectStore bucket;
  private int n;

  @Setup(Level.Trial)
  public void replicate() throws Exception {
    dir = BenchSupport.newDirectory("crypt-restore-bench");
    s3 = EmbeddedS3.start();
    bucket = BenchSupport.minio(s3);
    if (encrypted) {
      bucket = EncryptedObjectStore.wrap(bucket, CryptBenchmark.keys());
    }
    Random random = new Random(7);
    try (SqliteStore store = BenchSupport.openStore(dir.resolve("live"), Synchronous.NORMAL, TaskIsolation.SAVEPOINT);
        Replicator r = Replicator.start(store.database(BenchSupport.DB),
            ReplicatorOptions.builder(bucket, "bench/data").build())) {
      for (int t = 0; t < 60; t++) {
        int base = t * 100;
        r.write(c -> {
          try (var ps = c.prepareStatement(BenchSupport.INSERT)) {
            for (int i = 0; i < 100; i++) {
              StringBuilder v = new StringBuilder(4096);
              for (int j = 0; j < 4096; j++) {
                v.append((char) ('a' + random.nextInt(26)));
              }
              ps.setLong(1, base + i);
              ps.setString(2, v.toString());
              ps.executeUpdate();
            }
          }
          return null;
        }, Durability.REPLICATED).get();
      }
    }
  }

  @Benchmark
  public Object restore() {
    Path out = dir.resolve("restored-" + n++ + ".db");
    return Restore.run(RestoreOptions.builder(bucket, "bench/data", out)
        .integrityCheck(io.litevault.replication.restore.IntegrityCheck.NONE).build());
  }

  @TearDown(Level.Trial)
  public void close() {
    bucket.close();
    s3.close();
    BenchSupport.deleteRecursively(dir);
  }
}
