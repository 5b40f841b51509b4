package io.litevault.replication;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import java.nio.file.Path;

/** A restore in its own JVM (the parent picks the heap): prints "restored <txid>" or "failed <error>". Args: bucket dir, prefix, output. */
public final class RestoreChildMain {
  public static void main(String[] args) {
    try (var bucket = FileSystemObjectStore.create(Path.of(args[0]))) {
      RestoreResult r = Restore.run(RestoreOptions.builder(bucket, args[1], Path.of(args[2])).build());
      System.out.println("restored " + r.txid() + " objects " + r.objects());
    } catch (Throwable t) {
      Throwable root = t;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      System.out.println("failed " + t + " / root cause " + root);
    }
    System.out.flush();
    System.exit(0);
  }
}
