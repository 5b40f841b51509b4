package io.litevault.bench;

import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;

/**
 * Runs an {@link EmbeddedS3} (file-backed) in its own JVM until its standard input closes; prints
 * {@code PORT <n>} when ready. Lets {@link ObjectStoreHeapProbe} measure the client's heap alone.
 */
public final class EmbeddedS3Server {
  private EmbeddedS3Server() {}

  public static void main(String[] args) throws Exception {
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(Path.of(args[0])).start()) {
      System.out.println("PORT " + s3.port());
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for the parent to close our stdin
      }
    }
  }
}
