package io.litevault.bench;

import io.litevault.replication.ObjectStore;
import io.litevault.replication.PutResult;
import io.litevault.testing.EmbeddedS3;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How much heap a 64 MiB put and get take, per implementation. The body is generated on the fly and read
 * back into a 64 KiB buffer, and EmbeddedS3 keeps objects on disk, so what the heap holds is the
 * transfer's own buffers (our part buffer, the client's, and the in-process server's). A sampler reads the
 * used heap every millisecond; the figure is the peak above the level measured after a GC just before.
 * Run it with a small heap to prove the bound:
 *
 * <pre>java -Xmx128m -cp benchmarks/target/benchmarks.jar io.litevault.bench.ObjectStoreHeapProbe</pre>
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
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(serverDir).start()) {
      for (StoreKind kind : StoreKind.values()) {
        try (ObjectStore store = kind.open(s3, fileDir)) {
          store.put("warm", new byte[1024]); // connections and classes, outside the measurement
          long[] put = measure(memory, () -> {
            PutResult r = store.put("heap/64m", StoreKind.generated(SIZE), SIZE);
            if (r.size() != SIZE) {
              throw new IllegalStateException("stored " + r.size());
            }
          });
          long[] get = measure(memory, () -> {
            long n = StoreKind.drain(store.get("heap/64m"));
            if (n != SIZE) {
              throw new IllegalStateException("read " + n);
            }
          });
          System.out.printf("| %s | %.1f | %.1f | %d | %d |%n", kind, put[0] / 1048576.0, get[0] / 1048576.0, put[1], get[1]);
        }
      }
    }
  }

  interface Transfer {
    void run() throws Exception;
  }

  /** Returns {peak bytes above baseline, elapsed ms}. */
  private static long[] measure(MemoryMXBean memory, Transfer t) throws Exception {
    System.gc();
    Thread.sleep(100);
    long baseline = memory.getHeapMemoryUsage().getUsed();
    AtomicLong peak = new AtomicLong(baseline);
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.setDaemon(true);
    sampler.start();
    long t0 = System.nanoTime();
    t.run();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    sampler.interrupt();
    sampler.join();
    return new long[] {Math.max(0, peak.get() - baseline), ms};
  }
}
