package io.litevault.bench;

import io.litevault.bucket.ObjectStore;
import io.litevault.testing.EmbeddedS3;
import java.io.ByteArrayInputStream;
import java.io.IOException;
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
 * Put and get of 4 KiB, 1 MiB and 64 MiB bodies through each {@link ObjectStore} implementation: MinIO
 * client and AWS SDK against an in-process {@link EmbeddedS3} (S3Proxy, in memory) on loopback, and the
 * file store on a temporary directory (no fsync). One thread; time per operation, so MiB/s = size / time.
 * Client, server and benchmark share the machine's cores, so these are ratios between clients, not the
 * speed of a real bucket. Heap: see {@link ObjectStoreHeapProbe}.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ObjectStoreBenchmark -f 1 -wi 2 -i 3 -w 2s -r 3s -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ObjectStoreBenchmark {
  @Param({"MINIO", "AWS", "FILE"})
  public String store;

  @Param({"4096", "1048576", "67108864"})
  public int size;

  private EmbeddedS3 s3;
  private Path dir;
  private ObjectStore objects;
  private byte[] body;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    s3 = EmbeddedS3.start();
    dir = Files.createTempDirectory("litevault-bench");
    objects = StoreKind.valueOf(store).open(s3, dir);
    body = new byte[size];
    new Random(42).nextBytes(body);
    objects.put("bench/read", body);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    objects.close();
    s3.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  public Object put() {
    return objects.put("bench/write", new ByteArrayInputStream(body), body.length);
  }

  @Benchmark
  public long get() throws IOException {
    return StoreKind.drain(objects.get("bench/read"));
  }
}
