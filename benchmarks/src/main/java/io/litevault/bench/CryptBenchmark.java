package io.litevault.bench;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.crypt.KeyProvider;
import io.litevault.bucket.crypt.KeyProviders;
import io.litevault.testing.EmbeddedS3;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
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
 * What client-side encryption costs a put and a get: the same body through a store plain and through
 * {@link EncryptedObjectStore} (Tink AES256_GCM_HKDF_1MB), for a segment-sized body (4 KiB), a 1 MiB one and a
 * 16 MiB snapshot, against {@link EmbeddedS3} through the MinIO client and on the file store (no fsync), plus a
 * 64 KiB ranged read from the middle of the 16 MiB object (a parallel snapshot restore's chunk read). One
 * thread; time per operation. Compare {@code encrypted=true} with {@code false} of the same store and size.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar CryptBenchmark -f 1 -wi 2 -i 3 -w 1s -r 2s</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class CryptBenchmark {
  @Param({"MINIO", "FILE"})
  public String store;

  @Param({"4096", "1048576", "16777216"})
  public int size;

  @Param({"false", "true"})
  public boolean encrypted;

  private EmbeddedS3 s3;
  private Path dir;
  private ObjectStore objects;
  private byte[] body;

  /** A fresh keyset of one AES256_GCM_HKDF_1MB key, in memory. */
  static KeyProvider keys() {
    try {
      StreamingAeadConfig.register();
      return KeyProviders.of(KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB),
          "benchmark keyset");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    s3 = EmbeddedS3.start();
    dir = Files.createTempDirectory("litevault-crypt-bench");
    ObjectStore plain = StoreKind.valueOf(store).open(s3, dir);
    objects = encrypted ? EncryptedObjectStore.wrap(plain, keys()) : plain;
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

  @Benchmark
  public long rangedGet() throws IOException {
    return StoreKind.drain(objects.get("bench/read", size / 2, 65_536));
  }
}
