package io.litevault.bucket;

import java.util.EnumMap;
import java.util.Map;

/**
 * Where an {@link ObjectStore} backend counts the requests it sends; its {@link #view()} is what
 * {@link ObjectStore#metrics()} returns. For backend implementers only: the user's handle,
 * {@link ObjectStoreMetrics}, cannot change a count. Thread-safe and cheap (striped adders).
 */
public final class RequestRecorder {
  private final Map<Operation, ObjectStoreMetrics.Counters> counters = new EnumMap<>(Operation.class);
  private final ObjectStoreMetrics view;

  public RequestRecorder() {
    for (Operation op : Operation.values()) {
      counters.put(op, new ObjectStoreMetrics.Counters());
    }
    view = new ObjectStoreMetrics(counters);
  }

  /** The read-only counts, live. */
  public ObjectStoreMetrics view() {
    return view;
  }

  /** Records one request about to be sent; {@code retry} if it repeats a failed one. */
  public void request(Operation op, boolean retry) {
    ObjectStoreMetrics.Counters c = counters.get(op);
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
}
