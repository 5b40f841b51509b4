package io.litevault.cli;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Shows a restore's download progress on stderr by polling the store's received-bytes counter (no hook in
 * the library needed): a bar redrawn in place on a terminal, a plain line every few seconds otherwise.
 */
final class ProgressMeter implements AutoCloseable {
  private static final long LINE_EVERY_NANOS = 5_000_000_000L;

  private final ObjectStore store;
  private final long total;
  private final long start;
  private final boolean terminal;
  private final PrintStream out;
  private final long baseline;
  private final Thread thread;
  private volatile boolean done;

  ProgressMeter(ObjectStore store, long totalBytes, boolean terminal, PrintStream out) {
    this.store = store;
    this.total = Math.max(1, totalBytes);
    this.terminal = terminal;
    this.out = out;
    this.baseline = received();
    this.start = System.nanoTime();
    this.thread = new Thread(this::run, "litevault-restore-progress");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private long received() {
    return store.metrics().of(Operation.GET).bytesReceived();
  }

  private void run() {
    long lastLine = System.nanoTime();
    while (!done) {
      try {
        Thread.sleep(terminal ? 200 : 500);
      } catch (InterruptedException e) {
        return;
      }
      if (done) {
        return;
      }
      if (terminal) {
        out.print("\r" + line());
        out.flush();
      } else if (System.nanoTime() - lastLine >= LINE_EVERY_NANOS) {
        out.println("restore: " + line());
        lastLine = System.nanoTime();
      }
    }
  }

  /** {@code [#####.....]  52%  12.3 / 23.6 MiB  4.1 s} (the bar only on a terminal). */
  String line() {
    long got = Math.min(total, received() - baseline);
    int pct = (int) (100 * got / total);
    double secs = (System.nanoTime() - start) / 1e9;
    String figures = String.format(Locale.ROOT, "%3d%%  %.1f / %.1f MiB  %.1f s", pct, got / 1048576.0,
        total / 1048576.0, secs);
    if (!terminal) {
      return "downloaded " + figures.trim();
    }
    int filled = pct * 30 / 100;
    return "[" + "#".repeat(filled) + ".".repeat(30 - filled) + "] " + figures;
  }

  /** Stops; on a terminal ends the bar's line. */
  @Override
  public void close() {
    done = true;
    thread.interrupt();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (terminal) {
      out.print("\r" + line() + System.lineSeparator());
      out.flush();
    }
  }
}
