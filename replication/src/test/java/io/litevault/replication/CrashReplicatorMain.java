package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child JVM of {@link ReplicationCrashTest}: writes rows with {@link Durability#REPLICATED} from 4
 * threads and prints "ack k" once each is in the bucket; the parent kills it with kill -9.
 * Args: directory, endpoint, bucket, client (minio|aws), first key, access key, secret key, and optionally a
 * keyset file: then every object goes through {@link io.litevault.bucket.crypt.EncryptedObjectStore}.
 */
public final class CrashReplicatorMain {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    S3Options s3 = S3Options.builder(args[2]).endpoint(args[1]).region("us-east-1")
        .credentials(args[5], args[6]).build();
    ObjectStore bucket = args[3].equals("minio") ? MinioObjectStore.create(s3) : S3ObjectStore.create(s3);
    if (args.length > 7) {
      bucket = io.litevault.bucket.crypt.EncryptedObjectStore.wrap(bucket,
          io.litevault.bucket.crypt.KeyProviders.keysetFile(Path.of(args[7])));
    }
    AtomicLong next = new AtomicLong(Long.parseLong(args[4]));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    SqliteStore store = SqliteStore.builder(dir).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "kv", "CREATE TABLE kv(k INTEGER PRIMARY KEY, v INTEGER NOT NULL)").passiveCheckpointPages(50).build()).open();
    Database db = store.database("data");
    // The default two-minute lease: the killed predecessor ran on these files, so its lease is taken over
    // at once (the same home) and its lineage continued.
    // Compaction windows of 1, 2 and 4 s: ranges close and upload many times in a round, so kills land
    // while ranges are open, being written and being uploaded.
    Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "crash/data")
        .minUploadInterval(Duration.ofMillis(5))
        .compactionWindows(java.util.List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4)))
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
