package io.litevault.backup;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.ObjectStoreMetrics;
import io.litevault.bucket.PutResult;
import java.io.InputStream;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A store whose process "dies" at its n-th call: that call and every later one fail before reaching the
 * store, as if the JVM had been killed there (nothing more is written: no index checkpoint, no manifest).
 */
final class DyingStore implements ObjectStore {
  private final ObjectStore delegate;
  private final int dieAt;
  private final AtomicInteger calls = new AtomicInteger();

  DyingStore(ObjectStore delegate, int dieAt) {
    this.delegate = delegate;
    this.dieAt = dieAt;
  }

  boolean died() {
    return calls.get() >= dieAt;
  }

  private void call(String op, String key) {
    if (calls.incrementAndGet() >= dieAt) {
      throw new ObjectStoreException(ErrorKind.CONNECTION, op, key, op + " " + key + ": process killed (test)", null);
    }
  }

  @Override public PutResult put(String key, InputStream body, long length) { call("put", key); return delegate.put(key, body, length); }
  @Override public boolean putIfAbsent(String key, byte[] body) { call("putIfAbsent", key); return delegate.putIfAbsent(key, body); }
  @Override public InputStream get(String key) { call("get", key); return delegate.get(key); }
  @Override public InputStream get(String key, long offset, long length) { call("get", key); return delegate.get(key, offset, length); }
  @Override public Optional<ObjectInfo> stat(String key) { call("stat", key); return delegate.stat(key); }
  @Override public Stream<ObjectInfo> list(String prefix) { call("list", prefix); return delegate.list(prefix); }
  @Override public Stream<ListEntry> list(String prefix, String delimiter) { call("list", prefix); return delegate.list(prefix, delimiter); }
  @Override public void delete(String key) { call("delete", key); delegate.delete(key); }
  @Override public void deleteAll(Collection<String> keys) { call("deleteAll", ""); delegate.deleteAll(keys); }
  @Override public void copy(String sourceKey, String targetKey) { call("copy", sourceKey); delegate.copy(sourceKey, targetKey); }
  @Override public void verify() { delegate.verify(); }
  @Override public ObjectStoreMetrics metrics() { return delegate.metrics(); }
  @Override public String describe() { return "dying " + delegate.describe(); }
  @Override public void close() {}
}
