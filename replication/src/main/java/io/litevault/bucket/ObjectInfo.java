package io.litevault.bucket;

import java.time.Instant;
import java.util.Objects;

/**
 * What a store knows about one stored object: its key, its size in bytes, its entity tag and when it was
 * last written.
 *
 * @param key the object's key, never {@code null}
 * @param size the body's length in bytes, {@code >= 0}
 * @param etag the store's entity tag without surrounding quotes; opaque (for S3 it is the MD5 of a
 *     single-part body, something else for a multipart one), used only to tell two versions apart
 * @param lastModified when the object was last written, as the store reports it
 */
public record ObjectInfo(String key, long size, String etag, Instant lastModified) implements ListEntry {
  public ObjectInfo {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(etag, "etag");
    Objects.requireNonNull(lastModified, "lastModified");
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0, was " + size);
    }
  }
}
