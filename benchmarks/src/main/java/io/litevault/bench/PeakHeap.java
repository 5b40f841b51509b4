package io.litevault.bench;

import java.lang.management.MemoryMXBean;
import java.util.concurrent.atomic.AtomicLong;

/** Peak heap of one piece of work, sampled every millisecond (for the bounded-memory probes). */
final class PeakHeap {
  private PeakHeap() {}

  /** The work measured. */
  interface Work {
    void run() throws Exception;
  }

  /** Returns {peak heap bytes above the baseline after a GC, elapsed ms}. */
  static long[] measure(MemoryMXBean memory, Work work) throws Exception {
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
    work.run();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    sampler.interrupt();
    sampler.join();
    return new long[] {Math.max(0, peak.get() - baseline), ms};
  }
}
