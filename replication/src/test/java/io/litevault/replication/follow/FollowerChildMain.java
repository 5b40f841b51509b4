package io.litevault.replication.follow;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The follower of {@link FollowerCrashTest}, a child JVM: follows {@code prefix} into {@code file}, polling
 * every 10 ms, and prints "at <txid>" each time its position moves; the parent kills it (kill -9) while it
 * applies. Args: file, endpoint, bucket, access key, secret key, prefix.
 */
public final class FollowerChildMain {
  public static void main(String[] args) throws Exception {
    S3Options s3 = S3Options.builder(args[2]).endpoint(args[1]).region("us-east-1").credentials(args[3], args[4]).build();
    ObjectStore bucket = S3ObjectStore.create(s3);
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    Follower f = Follower.open(FollowerOptions.builder(bucket, args[5], Path.of(args[0]))
        .pollInterval(Duration.ofMillis(10)).build());
    long last = -1;
    while (true) {
      long txid = f.position().txid();
      if (txid != last) {
        out.println("at " + txid);
        last = txid;
      }
      Thread.sleep(1);
    }
  }
}
