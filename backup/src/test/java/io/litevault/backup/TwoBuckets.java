package io.litevault.backup;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One {@link EmbeddedS3} with a source bucket ("minio", read and written through the MinIO client) and a
 * target bucket ("aws", through the AWS SDK), as production has MinIO and AWS S3.
 */
final class TwoBuckets implements AutoCloseable {
  static final String SOURCE_BUCKET = "minio-source";
  static final String TARGET_BUCKET = "aws-target";

  final EmbeddedS3 s3;
  final ObjectStore source;
  final ObjectStore target;

  TwoBuckets() {
    s3 = EmbeddedS3.builder().bucket(SOURCE_BUCKET).bucket(TARGET_BUCKET).start();
    source = MinioObjectStore.create(options(SOURCE_BUCKET).build());
    target = S3ObjectStore.create(options(TARGET_BUCKET).partSize(S3Options.MIN_PART_SIZE).build());
  }

  S3Options.Builder options(String bucket) {
    return S3Options.builder(bucket).endpoint(s3.endpoint().toString()).region(s3.region())
        .credentials(s3.accessKey(), s3.secretKey());
  }

  @Override
  public void close() {
    source.close();
    target.close();
    s3.close();
  }

  static void put(ObjectStore store, String key, String body) {
    store.put(key, body.getBytes(StandardCharsets.UTF_8));
  }

  static String read(ObjectStore store, String key) {
    try (InputStream in = store.get(key)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Key (relative to {@code prefix}, without {@code _litevault/}) to size. */
  static Map<String, Long> sizes(ObjectStore store, String prefix) {
    Map<String, Long> m = new TreeMap<>();
    try (Stream<ObjectInfo> s = store.list(prefix)) {
      s.forEach(o -> {
        String rel = o.key().substring(prefix.length());
        if (!rel.startsWith("_litevault/")) {
          m.put(rel, o.size());
        }
      });
    }
    return m;
  }

  /** Key (relative) to content, without {@code _litevault/}. */
  static Map<String, String> contents(ObjectStore store, String prefix) {
    Map<String, String> m = new TreeMap<>();
    for (String rel : sizes(store, prefix).keySet()) {
      m.put(rel, read(store, prefix + rel));
    }
    return m;
  }
}
