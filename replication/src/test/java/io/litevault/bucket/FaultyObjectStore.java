package io.litevault.bucket;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * An {@link ObjectStore} decorator that injects faults at the contract level, for testing the callers of
 * an {@code ObjectStore} (replicator, restore, backup): fail the N-th call, fail a put after it was stored
 * (the "answer lost" case), add latency to every call, corrupt one byte of what {@code get} returns.
 * Faults surface as {@link ObjectStoreException}s of a chosen {@link ErrorKind}, as a real store's would
 * after its retries gave up. Published in replication's test-jar.
 */
public final class FaultyObjectStore implements ObjectStore {
  private final ObjectStore delegate;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger failCall = new AtomicInteger(-1);
  private final AtomicInteger failPutsAfterStore = new AtomicInteger();
  private final AtomicLong corruptOffset = new AtomicLong(-1);
  private volatile ErrorKind kind = ErrorKind.SERVER_ERROR;
  private volatile Duration latency = Duration.ZERO;
  private volatile boolean down;
  private volatile ErrorKind downKind = ErrorKind.SERVER_ERROR;

  public FaultyObjectStore(ObjectStore delegate) {
    this.delegate = delegate;
  }

  /** The {@code n}-th call from now (1 = the next) fails with {@code kind} before reaching the store. */
  public FaultyObjectStore failCall(int n, ErrorKind kind) {
    this.kind = kind;
    failCall.set(calls.get() + n);
    return this;
  }

  /** The next {@code n} puts are stored, then fail with {@code kind} as if the answer were lost. */
  public FaultyObjectStore failAfterPut(int n, ErrorKind kind) {
    this.kind = kind;
    failPutsAfterStore.set(n);
    return this;
  }

  /**
   * Runs {@code hook} once, with the key, when the next put of a key containing {@code keyContains} has
   * been decided but not yet sent: another process's request landing in between, or (a hook that blocks)
   * this thread pausing there.
   */
  public FaultyObjectStore beforePut(String keyContains, java.util.function.Consumer<String> hook) {
    beforePut.set(new Hook(keyContains, hook));
    return this;
  }

  private record Hook(String keyContains, java.util.function.Consumer<String> action) {}

  private final java.util.concurrent.atomic.AtomicReference<Hook> beforePut = new java.util.concurrent.atomic.AtomicReference<>();

  private void beforePut(String key) {
    Hook h = beforePut.get();
    if (h != null && key.contains(h.keyContains()) && beforePut.compareAndSet(h, null)) {
      h.action().accept(key);
    }
  }

  /**
   * Goes {@linkplain #down down} at the first {@code op} call (as named in this class: "list", "get",
   * "put", ...) whose key or prefix contains {@code keyContains}; that call already fails.
   */
  public FaultyObjectStore downAtFirst(String op, String keyContains) {
    this.downTrigger = new String[] {op, keyContains};
    return this;
  }

  private volatile String[] downTrigger;

  /** Runs {@code hook} at every {@link #verify()} before anything else (a hook that blocks pauses a start there). */
  public FaultyObjectStore beforeVerify(Runnable hook) {
    this.beforeVerify = hook;
    return this;
  }

  private volatile Runnable beforeVerify;

  /** Every call sleeps {@code d} first. */
  public FaultyObjectStore latency(Duration d) {
    this.latency = d;
    return this;
  }

  /** Streams from {@code get} have the byte at body position {@code offset} flipped. */
  public FaultyObjectStore corruptByteOnRead(long offset) {
    corruptOffset.set(offset);
    return this;
  }

  /**
   * While down, every call fails with {@code kind} (retryable: {@link ErrorKind#CONNECTION} for a bucket that
   * does not answer at all) before reaching the store.
   */
  public FaultyObjectStore down(boolean value, ErrorKind kind) {
    this.downKind = kind;
    return down(value);
  }

  /** While down, every call fails with a retryable SERVER_ERROR before reaching the store. */
  public FaultyObjectStore down(boolean value) {
    this.down = value;
    return this;
  }

  /** Calls made through this decorator. */
  public int calls() {
    return calls.get();
  }

  private void before(String op, String key) {
    int n = calls.incrementAndGet();
    if (!latency.isZero()) {
      try {
        Thread.sleep(latency.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    String[] trigger = downTrigger;
    if (trigger != null && trigger[0].equals(op) && key != null && key.contains(trigger[1])) {
      downTrigger = null;
      down = true;
    }
    if (failCall.compareAndSet(n, -1)) {
      throw injected(op, key);
    }
    if (down) {
      throw new ObjectStoreException(downKind, op, key, op + " " + key + ": the bucket is down (injected)", null);
    }
  }

  private ObjectStoreException injected(String op, String key) {
    return new ObjectStoreException(kind, op, key, op + " " + key + ": fault injected by FaultyObjectStore", null);
  }

  private void afterPut(String key) {
    if (failPutsAfterStore.getAndUpdate(v -> v > 0 ? v - 1 : 0) > 0) {
      throw injected("put", key);
    }
  }

  @Override
  public PutResult put(String key, InputStream body, long length) {
    before("put", key);
    beforePut(key);
    PutResult r = delegate.put(key, body, length);
    afterPut(key);
    return r;
  }

  @Override
  public boolean putIfAbsent(String key, byte[] body) {
    before("putIfAbsent", key);
    beforePut(key);
    boolean r = delegate.putIfAbsent(key, body);
    afterPut(key);
    return r;
  }

  @Override
  public InputStream get(String key) {
    before("get", key);
    return corrupt(delegate.get(key), 0);
  }

  @Override
  public InputStream get(String key, long offset, long length) {
    before("get", key);
    return corrupt(delegate.get(key, offset, length), offset);
  }

  private InputStream corrupt(InputStream in, long start) {
    long at = corruptOffset.get();
    if (at < 0) {
      return in;
    }
    return new FilterInputStream(in) {
      private long pos = start;

      @Override
      public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0 && at >= pos && at < pos + n) {
          b[off + (int) (at - pos)] ^= 0x01;
        }
        pos += Math.max(n, 0);
        return n;
      }
    };
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    before("stat", key);
    return delegate.stat(key);
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) {
    before("list", prefix);
    return delegate.list(prefix);
  }

  @Override
  public Stream<ListEntry> list(String prefix, String delimiter) {
    before("list", prefix);
    return delegate.list(prefix, delimiter);
  }

  @Override
  public void delete(String key) {
    before("delete", key);
    delegate.delete(key);
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    before("deleteAll", null);
    delegate.deleteAll(keys);
  }

  @Override
  public void copy(String sourceKey, String targetKey) {
    before("copy", sourceKey);
    delegate.copy(sourceKey, targetKey);
  }

  @Override
  public void verify() {
    Runnable hook = beforeVerify;
    if (hook != null) {
      hook.run();
    }
    before("verify", null);
    delegate.verify();
  }

  @Override
  public ObjectStoreMetrics metrics() {
    return delegate.metrics();
  }

  @Override
  public String describe() {
    return "faulty " + delegate.describe();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
