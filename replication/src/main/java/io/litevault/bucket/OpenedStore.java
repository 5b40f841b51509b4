package io.litevault.bucket;

import java.util.Objects;

/**
 * A store opened from a URI and the key prefix the URI names in it. Closing it closes the store.
 *
 * @param store the open store (not yet verified: call {@link ObjectStore#verify()} to fail early)
 * @param prefix the key prefix, without leading or trailing {@code /}; empty for the whole store
 * @param uri the URI it was opened from, as parsed
 */
public record OpenedStore(ObjectStore store, String prefix, StoreUri uri) implements AutoCloseable {
  public OpenedStore {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(uri, "uri");
  }

  /** {@link #prefix()} ready to prepend to a key: {@code ""} or {@code "prefix/"}. */
  public String keyPrefix() {
    return prefix.isEmpty() ? "" : prefix + "/";
  }

  @Override
  public void close() {
    store.close();
  }
}
