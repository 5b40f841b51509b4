package io.litevault.bucket;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The requests an {@link ObjectStore} has sent, per {@link Operation}: requests, errors, retries and body
 * bytes each way, read with {@link #snapshot()} or {@link #of(Operation)}. Users are billed per request, so
 * counts are exact: a retried request counts twice. Read-only: the backend counts through its
 * {@link RequestRecorder}. Thread-safe.
 */
public final class ObjectStoreMetrics {
  private final Map<Operation, Counters> counters;

  /** A view of {@code counters}, which only its {@link RequestRecorder} changes. */
  ObjectStoreMetrics(Map<Operation, Counters> counters) {
    this.counters = counters;
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

  static final class Counters {
    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder bytesReceived = new LongAdder();
  }
}
