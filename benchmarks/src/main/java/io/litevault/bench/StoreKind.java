package io.litevault.bench;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3;
import java.io.InputStream;
import java.nio.file.Path;

/** The three ObjectStore implementations, opened the same way for the benchmarks. */
enum StoreKind {
  MINIO,
  AWS,
  FILE;

  ObjectStore open(EmbeddedS3 s3, Path fileRoot) {
    return open(s3.port(), fileRoot);
  }

  /** Opens the store; the S3 kinds talk to an EmbeddedS3 with default bucket and credentials on {@code port}. */
  ObjectStore open(int port, Path fileRoot) {
    if (this == FILE) {
      return FileSystemObjectStore.create(FileSystemOptions.builder(fileRoot).fsync(false).build());
    }
    S3Options o = S3Options.builder(EmbeddedS3.DEFAULT_BUCKET).endpoint("http://127.0.0.1:" + port)
        .region(EmbeddedS3.REGION).credentials(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY).build();
    return this == MINIO ? MinioObjectStore.create(o) : S3ObjectStore.create(o);
  }

  /** A body of {@code size} pseudo-random bytes generated on the fly: nothing of it is held in memory. */
  static InputStream generated(long size) {
    return new InputStream() {
      private long left = size;
      private long x = 0x9E3779B97F4A7C15L;

      @Override
      public int read() {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left == 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        for (int i = 0; i < n; i++) {
          x ^= x << 13;
          x ^= x >>> 7;
          x ^= x << 17;
          b[off + i] = (byte) x;
        }
        left -= n;
        return n;
      }
    };
  }

  /** Reads a stream to its end through a small buffer; returns the byte count. */
  static long drain(InputStream in) throws java.io.IOException {
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    try (in) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        total += n;
      }
    }
    return total;
  }
}
