package io.litevault.replication;

import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child JVM of {@link MultiDestinationCrashTest}: writes rows with {@link Durability#REPLICATED} from 4
 * threads through a {@link MultiReplicator} with two destinations ("local" through the MinIO client,
 * "remote" through the AWS SDK, each its own bucket) and prints "ack k" once each is in both; the parent
 * kills it with kill -9. Args: directory, endpoint, local bucket, remote bucket, first key, access key,
 * secret key.
 */
public final class MultiCrashReplicatorMain {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    S3Options localBucket = S3Options.builder(args[2]).endpoint(args[1]).region("us-east-1").credentials(args[5], args[6]).build();
    S3Options remoteBucket = S3Options.builder(args[3]).endpoint(args[1]).region("us-east-1").credentials(args[5], args[6]).build();
    AtomicLong next = new AtomicLong(Long.parseLong(args[4]));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    SqliteStore store = SqliteStore.builder(dir).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "kv", "CREATE TABLE kv(k INTEGER PRIMARY KEY, v INTEGER NOT NULL)").passiveCheckpointPages(50).build()).open();
    Database db = store.database("data");
    List<Duration> windows = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2));
    MultiReplicator r = MultiReplicator.start(db, MultiReplicatorOptions.builder()
        .destination("local", ReplicatorOptions.builder(MinioObjectStore.create(localBucket), "crash/data")
            .minUploadInterval(Duration.ofMillis(5)).compactionWindows(windows).build())
        .destination("remote", ReplicatorOptions.builder(S3ObjectStore.create(remoteBucket),
            "crash/data").minUploadInterval(Duration.ofMillis(5)).compactionWindows(windows).build())
        .build());
    out.println("ready");
    for (int t = 0; t < 4; t++) {
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
            synchronized (out) {
              out.println("ack " + k);
            }
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
