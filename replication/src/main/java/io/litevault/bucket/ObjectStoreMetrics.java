package io.litevault.bucket;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts every request an {@link ObjectStore} sends, per {@link Operation}: requests, errors, retries and
 * body bytes each way. Thread-safe and cheap (striped adders); read with {@link #snapshot()} or
 * {@link #of(Operation)}. Users are billed per request, so counts are exact: a retried request counts
 * twice.
 */
public final class ObjectStoreMetrics {
  private final Map<Operation, Counters> counters = new EnumMap<>(Operation.class);

  public ObjectStoreMetrics() {
    for (Operation op : Operation.values()) {
      counters.put(op, new Counters());
    }
  }

  /** Records one request about to be sent; {@code retry} if it repeats a failed one. */
  public void request(Operation op, boolean retry) {
    Counters c = counters.get(op);
    c.requests.increment();
    if (retry) {
      c.retries.increment();
    }
  }

  /** Records one failed request. */
  public void error(Operation op) {
    counters.get(op).errors.increment();
  }

  /** Records body bytes sent. */
  public void sent(Operation op, long bytes) {
    counters.get(op).bytesSent.add(bytes);
  }

  /** Records body bytes received. */
  public void received(Operation op, long bytes) {
    counters.get(op).bytesReceived.add(bytes);
  }

  /** The counters of one operation now. */
  public OperationStats of(Operation op) {
    Counters c = counters.get(op);
    return new OperationStats(c.requests.sum(), c.errors.sum(), c.retries.sum(), c.bytesSent.sum(), c.bytesReceived.sum());
  }

  /** The counters of every operation now. */
  public Map<Operation, OperationStats> snapshot() {
    Map<Operation, OperationStats> m = new EnumMap<>(Operation.class);
    for (Operation op : Operation.values()) {
      m.put(op, of(op));
    }
    return Collections.unmodifiableMap(m);
  }

  /** Requests of every operation, the figure a bill counts. */
  public long totalRequests() {
    return counters.values().stream().mapToLong(c -> c.requests.sum()).sum();
  }

  /** Failed requests of every operation. */
  public long totalErrors() {
    return counters.values().stream().mapToLong(c -> c.errors.sum()).sum();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("ObjectStoreMetrics{");
    snapshot().forEach((op, s) -> {
      if (s.requests() > 0) {
        sb.append(op).append('=').append(s.requests()).append(" req/").append(s.errors()).append(" err ");
      }
    });
    return sb.append('}').toString();
  }

  private static final class Counters {
    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder bytesReceived = new LongAdder();
  }
}
