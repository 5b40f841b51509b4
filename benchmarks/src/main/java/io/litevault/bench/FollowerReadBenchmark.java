package io.litevault.bench;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.follow.Follower;
import io.litevault.replication.follow.FollowerOptions;
import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import io.litevault.store.Synchronous;
import io.litevault.store.TaskIsolation;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Point reads of {@link ReadBenchmark}'s table (10,000 rows of ~100 bytes), 2 threads, in reads per second,
 * on the primary ({@link Database#read}, {@link Database#cached}) and on a {@link Follower} of it
 * ({@link Follower#read}, {@link Follower#cached}) through an embedded S3 server: what a read replica costs a
 * read. The primary is idle while measured (the follower applies nothing), so this is the read path alone.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 10)
public class FollowerReadBenchmark {
  @State(Scope.Benchmark)
  public static class Env {
    @Param({"primary", "follower"})
    public String target;
    Path dir;
    EmbeddedS3 s3;
    ObjectStore bucket;
    SqliteStore store;
    Database db;
    Replicator replicator;
    Follower follower;

    @Setup(Level.Trial)
    public void open() throws Exception {
      dir = BenchSupport.newDirectory("litevault-bench-follower-");
      s3 = EmbeddedS3.start();
      bucket = S3ObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
          .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build());
      store = BenchSupport.openStore(dir.resolve("primary"), Synchronous.NORMAL, TaskIsolation.SAVEPOINT);
      db = store.database(BenchSupport.DB);
      replicator = Replicator.start(db, ReplicatorOptions.builder(bucket, "bench/data").build());
      db.writeAndWait(c -> {
        try (PreparedStatement ps = c.prepareStatement(BenchSupport.INSERT)) {
          for (int k = 1; k <= ReadBenchmark.ROWS; k++) {
            ps.setLong(1, k);
            ps.setString(2, BenchSupport.VALUE);
            ps.executeUpdate();
          }
        }
        return null;
      });
      replicator.awaitReplicated(db.lastTxid(), Duration.ofSeconds(60));
      follower = Follower.open(FollowerOptions.builder(bucket, "bench/data", dir.resolve("follower/data.db")).build());
    }

    @TearDown(Level.Trial)
    public void close() {
      follower.close();
      replicator.close();
      store.close();
      bucket.close();
      s3.close();
      BenchSupport.deleteRecursively(dir);
    }
  }

  @Benchmark
  @Threads(2)
  public String pooled(Env env) throws Exception {
    long key = 1 + ThreadLocalRandom.current().nextInt(ReadBenchmark.ROWS);
    return env.target.equals("primary") ? env.db.read(c -> ReadBenchmark.select(c, key))
        : env.follower.read(c -> ReadBenchmark.select(c, key));
  }

  @Benchmark
  @Threads(2)
  public String cached(Env env) throws Exception {
    long key = 1 + ThreadLocalRandom.current().nextInt(ReadBenchmark.HOT_KEYS);
    return env.target.equals("primary") ? env.db.cached(BenchSupport.TABLE, key, c -> ReadBenchmark.select(c, key))
        : env.follower.cached(BenchSupport.TABLE, key, c -> ReadBenchmark.select(c, key));
  }
}
