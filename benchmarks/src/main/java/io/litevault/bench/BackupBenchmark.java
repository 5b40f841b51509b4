package io.litevault.bench;

import io.litevault.backup.BackupOptions;
import io.litevault.backup.RunStatus;
import io.litevault.backup.TierRunReport;
import io.litevault.backup.TieredBackup;
import io.litevault.bucket.ObjectStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Throughput and heap of {@link TieredBackup} runs: source → {@code daily/} (streamed through this process,
 * MinIO client reading, AWS SDK writing, 4 copies in flight) and {@code daily/} → {@code 1-week/}
 * (server-side copies), for many small objects and for a few large ones, plus the cost of a run over an
 * unchanged source (list requests only). EmbeddedS3 (file-backed) runs in a child JVM
 * ({@link EmbeddedS3Server}), so the heap figure is the backup's own: the peak used heap above the level
 * after a GC just before the run, sampled every millisecond (garbage included, so an upper bound). Source
 * and tiers share one bucket under different prefixes. Client, server and disk share the machine: these
 * are orders of magnitude, not the speed of AWS.
 *
 * <pre>java -Xmx256m -cp benchmarks/target/benchmarks.jar io.litevault.bench.BackupBenchmark 10000 4 256</pre>
 * Arguments: small objects (1 KiB each), large objects, large object size in MiB (defaults 10000 4 256).
 */
public final class BackupBenchmark {
  private static final int SMALL_SIZE = 1024;

  private BackupBenchmark() {}

  public static void main(String[] args) throws Exception {
    int small = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int large = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    long largeSize = (args.length > 2 ? Long.parseLong(args[2]) : 256) << 20;
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.out.printf("max heap %d MiB, %d x %d B small objects, %d x %d MiB large objects%n",
        Runtime.getRuntime().maxMemory() >> 20, small, SMALL_SIZE, large, largeSize >> 20);
    System.out.println("| workload | run | objects | MiB | s | objects/s | MiB/s | peak heap above baseline (MiB) | requests |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    Path serverDir = Files.createTempDirectory("litevault-backup-bench");
    Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-cp", System.getProperty("java.class.path"), EmbeddedS3Server.class.getName(),
        serverDir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      int port = readPort(server);
      try (ObjectStore source = StoreKind.MINIO.open(port, serverDir); ObjectStore target = StoreKind.AWS.open(port, serverDir)) {
        seed(source, "small/", small, SMALL_SIZE);
        bench(small + " small", source, target, "small/", "tiers-small/", memory);
        seed(source, "large/", large, largeSize);
        bench(large + " large", source, target, "large/", "tiers-large/", memory);
      }
    } finally {
      server.getOutputStream().close();
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
      try (var files = Files.walk(serverDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void bench(String workload, ObjectStore source, ObjectStore target, String src, String dst,
      MemoryMXBean memory) throws Exception {
    BackupOptions o = BackupOptions.builder(source, target).sourcePrefix(src).targetPrefix(dst).build();
    try (TieredBackup backup = TieredBackup.create(o)) {
      for (String[] run : new String[][] {{"daily", "source → daily (stream)"}, {"1-week", "daily → 1-week (server copy)"},
          {"daily", "source → daily, unchanged"}}) {
        long requests0 = source.metrics().totalRequests() + target.metrics().totalRequests();
        AtomicReference<TierRunReport> report = new AtomicReference<>();
        long[] m = PeakHeap.measure(memory, () -> report.set(backup.runNow(run[0])));
        TierRunReport r = report.get();
        if (r.status() != RunStatus.SUCCEEDED) {
          throw new IllegalStateException(r.toString());
        }
        long requests = source.metrics().totalRequests() + target.metrics().totalRequests() - requests0;
        double s = m[1] / 1000.0;
        double mib = r.bytesCopied() / 1048576.0;
        System.out.printf("| %s | %s | %d | %.0f | %.2f | %.0f | %.1f | %.1f | %d |%n", workload, run[1], r.copied(), mib,
            s, r.copied() / s, mib / s, m[0] / 1048576.0, requests);
      }
    }
  }

  /** Writes {@code count} generated objects of {@code size} bytes under {@code prefix}, 8 at a time. */
  private static void seed(ObjectStore store, String prefix, int count, long size) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(size > (1 << 20) ? 2 : 8);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String key = String.format("%sobj-%06d", prefix, i);
        fs.add(pool.submit(() -> store.put(key, StoreKind.generated(size), size)));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private static int readPort(Process server) throws IOException {
    BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      if (line.startsWith("PORT ")) {
        return Integer.parseInt(line.substring(5).trim());
      }
    }
    throw new IllegalStateException("EmbeddedS3Server exited before printing its port");
  }
}
