package io.litevault.bucket;

import java.util.Objects;

/**
 * The outcome of a successful put.
 *
 * @param key the key written
 * @param size the number of body bytes stored
 * @param etag the new object's entity tag, without quotes
 * @param parts the number of parts uploaded: 1 for a single-request put, more for a multipart upload
 */
public record PutResult(String key, long size, String etag, int parts) {
  public PutResult {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(etag, "etag");
    if (size < 0 || parts < 1) {
      throw new IllegalArgumentException("size must be >= 0 and parts >= 1, were " + size + ", " + parts);
    }
  }
}
