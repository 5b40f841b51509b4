package io.litevault.bench;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.PutResult;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much heap a 64 MiB put and get take, per implementation, on the client side only: EmbeddedS3 runs
 * in a child JVM ({@link EmbeddedS3Server}, file-backed), the body is generated on the fly and read back
 * into a 64 KiB buffer, so what this heap holds is the transfer's own buffers (our part buffer and the
 * client library's). A sampler reads the used heap every millisecond; the figure is the peak above the
 * level measured after a GC just before (it includes garbage not yet collected, so it is an upper bound
 * of the live set). Run it with a heap smaller than the body to prove the bound:
 *
 * <pre>java -Xmx48m -cp benchmarks/target/benchmarks.jar io.litevault.bench.ObjectStoreHeapProbe</pre>
 */
public final class ObjectStoreHeapProbe {
  private static final long SIZE = 64L * 1024 * 1024;

  private ObjectStoreHeapProbe() {}

  public static void main(String[] args) throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.out.printf("max heap %d MiB, body %d MiB%n", Runtime.getRuntime().maxMemory() >> 20, SIZE >> 20);
    System.out.println("| store | put: peak heap above baseline (MiB) | get: peak heap above baseline (MiB) | put ms | get ms |");
    System.out.println("|---|---:|---:|---:|---:|");
    Path serverDir = Files.createTempDirectory("litevault-heap-s3");
    Path fileDir = Files.createTempDirectory("litevault-heap-file");
    Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-cp", System.getProperty("java.class.path"), EmbeddedS3Server.class.getName(),
        serverDir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      int port = readPort(server);
      for (StoreKind kind : StoreKind.values()) {
        try (ObjectStore store = kind.open(port, fileDir)) {
          store.put("warm", new byte[1024]); // connections and classes, outside the measurement
          long[] put = PeakHeap.measure(memory, () -> {
            PutResult r = store.put("heap/64m", StoreKind.generated(SIZE), SIZE);
            if (r.size() != SIZE) {
              throw new IllegalStateException("stored " + r.size());
            }
          });
          long[] get = PeakHeap.measure(memory, () -> {
            long n = StoreKind.drain(store.get("heap/64m"));
            if (n != SIZE) {
              throw new IllegalStateException("read " + n);
            }
          });
          System.out.printf("| %s | %.1f | %.1f | %d | %d |%n", kind, put[0] / 1048576.0, get[0] / 1048576.0, put[1], get[1]);
        }
      }
    } finally {
      server.getOutputStream().close();
      if (!server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  private static int readPort(Process server) throws java.io.IOException {
    java.io.BufferedReader r = new java.io.BufferedReader(
        new java.io.InputStreamReader(server.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      if (line.startsWith("PORT ")) {
        return Integer.parseInt(line.substring(5).trim());
      }
    }
    throw new IllegalStateException("EmbeddedS3Server exited before printing its port");
  }
}
