package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.HandedOverException;
import io.litevault.store.SqliteStore;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child JVM of {@link GracefulShutdownTest}: a service process. It prints "waiting", opens the store
 * (waiting for the lock up to the given time, as a successor of a deploy does), starts the replicator,
 * installs {@link GracefulShutdown}, prints "ready" (and "opened"/"started" with the wall clock in ms, after the
 * store opened and after the replicator started), and writes REPLICATED rows from 2 threads, printing
 * "ack k" once each is in the bucket, "refused k" for a {@link HandedOverException} (the thread then stops:
 * the process is handing over) and "unexpected k ..." for anything else.
 * Args: directory, endpoint, bucket, access key, secret key, first key, lock wait (ms).
 */
public final class HandoverChildMain {
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    S3Options s3 = S3Options.builder(args[2]).endpoint(args[1]).region("us-east-1").credentials(args[3], args[4]).build();
    ObjectStore bucket = MinioObjectStore.create(s3);
    AtomicLong next = new AtomicLong(Long.parseLong(args[5]));
    out.println("waiting");
    SqliteStore store = SqliteStore.builder(Path.of(args[0]))
        .database("data", DatabaseOptions.builder().holdWalUntilGate(true).migration(1, "kv",
            "CREATE TABLE kv(k INTEGER PRIMARY KEY, v INTEGER NOT NULL)").build())
        .lockWait(Duration.ofMillis(Long.parseLong(args[6]))).open();
    out.println("opened " + System.currentTimeMillis());
    Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, "graceful/data")
        .minUploadInterval(Duration.ofMillis(5)).build());
    GracefulShutdown.install(store, List.of(r), HandoverOptions.defaults());
    out.println("ready");
    out.println("started " + System.currentTimeMillis());
    for (int t = 0; t < 2; t++) {
      new Thread(() -> {
        while (true) {
          long k = next.getAndIncrement();
          try {
            r.write(c -> {
              try (var ps = c.prepareStatement("INSERT INTO kv(k, v) VALUES (?, ?)")) {
                ps.setLong(1, k);
                ps.setLong(2, k * 7);
                return ps.executeUpdate();
              }
            }, Durability.REPLICATED).join();
            out.println("ack " + k);
          } catch (HandedOverException | CompletionException e) {
            Throwable cause = e instanceof CompletionException ? e.getCause() : e;
            out.println((cause instanceof HandedOverException ? "refused " : "unexpected ") + k + " " + cause);
            return;
          } catch (RuntimeException e) {
            out.println("unexpected " + k + " " + e);
            return;
          }
        }
      }).start();
    }
    Thread.sleep(Long.MAX_VALUE);
  }
}
