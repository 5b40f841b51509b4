package io.litevault.replication.follow;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The primary of {@link FailoverTest}, a child JVM: replicates {@code count} databases ({@code db0..}) to
 * {@code <prefix>/db<i>} with a short lease renewed while idle, writes REPLICATED rows to each from one thread
 * per database, prints "ready", then "ack <db> <k>" per acknowledged row and "failed <db> <k> <message>" per
 * failed one (and keeps trying). The parent kills it (kill -9) or freezes it (SIGSTOP).
 * Args: directory, endpoint, bucket, access key, secret key, prefix, lease TTL in ms, database count.
 */
public final class FailoverPrimaryMain {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    S3Options s3 = S3Options.builder(args[2]).endpoint(args[1]).region("us-east-1").credentials(args[3], args[4]).build();
    ObjectStore bucket = MinioObjectStore.create(s3);
    String prefix = args[5];
    Duration ttl = Duration.ofMillis(Long.parseLong(args[6]));
    int count = Integer.parseInt(args[7]);
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    SqliteStore.Builder b = SqliteStore.builder(dir);
    for (int i = 0; i < count; i++) {
      b.database("db" + i, FailoverTest.databaseOptions());
    }
    SqliteStore store = b.open();
    Replicator[] replicators = new Replicator[count];
    for (int i = 0; i < count; i++) {
      replicators[i] = Replicator.start(store.database("db" + i), ReplicatorOptions.builder(bucket, prefix + "/db" + i)
          .leaseTtl(ttl).leaseKeepAlive(true).minUploadInterval(Duration.ofMillis(5)).build());
    }
    for (int i = 0; i < count; i++) {
      Database db = store.database("db" + i);
      Replicator r = replicators[i];
      String name = "db" + i;
      // the lineage's first snapshot, before any row is written
      db.writeAndWait(c -> c.createStatement().executeUpdate("INSERT OR IGNORE INTO kv(k, v) VALUES (0, 0)"));
      r.awaitReplicated(db.lastTxid(), Duration.ofSeconds(30));
      new Thread(() -> {
        for (long k = 1; ; k++) {
          long key = k;
          try {
            r.write(c -> {
              try (var ps = c.prepareStatement("INSERT INTO kv(k, v) VALUES (?, ?)")) {
                ps.setLong(1, key);
                ps.setLong(2, key * 7);
                return ps.executeUpdate();
              }
            }, Durability.REPLICATED).join();
            synchronized (out) {
              out.println("ack " + name + " " + key);
            }
          } catch (RuntimeException e) {
            synchronized (out) {
              out.println("failed " + name + " " + key + " " + e.getMessage().replace('\n', ' '));
            }
            try {
              Thread.sleep(50);
            } catch (InterruptedException ie) {
              return;
            }
          }
        }
      }, "writer-" + name).start();
    }
    out.println("ready");
    Thread.sleep(Long.MAX_VALUE);
  }
}
