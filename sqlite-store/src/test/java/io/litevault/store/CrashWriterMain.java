package io.litevault.store;

import java.io.PrintStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child JVM of {@link CrashSafetyTest}: 8 threads write acknowledged rows forever and print
 * "ack <k>" the moment each write's future completes. The parent kills it with kill -9.
 * Args: directory, synchronous (NORMAL|FULL), first key.
 */
public final class CrashWriterMain {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Synchronous sync = Synchronous.valueOf(args[1]);
    AtomicLong next = new AtomicLong(Long.parseLong(args[2]));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    SqliteStore store = SqliteStore.builder(dir)
        .database("data", Kv.options().synchronous(sync).passiveCheckpointPages(50).build()).open();
    Database db = store.database("data");
    out.println("ready");
    for (int t = 0; t < 8; t++) {
      new Thread(() -> {
        while (true) {
          long k = next.getAndIncrement();
          try {
            db.write(Kv.insert(k, k * 7)).whenComplete((v, e) -> {
              if (e == null) {
                synchronized (out) {
                  out.println("ack " + k);
                }
              }
            }).join();
          } catch (RuntimeException e) {
            System.err.println("write " + k + " failed: " + e);
            return;
          }
        }
      }).start();
    }
    Thread.sleep(Long.MAX_VALUE);
  }
}
