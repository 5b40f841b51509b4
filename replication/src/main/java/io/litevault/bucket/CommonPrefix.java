package io.litevault.bucket;

import java.util.Objects;

/**
 * A "directory" in a delimiter listing: every key that starts with {@code key()}, which ends with the
 * delimiter.
 *
 * @param key the prefix, including the trailing delimiter
 */
public record CommonPrefix(String key) implements ListEntry {
  public CommonPrefix {
    Objects.requireNonNull(key, "key");
  }
}
