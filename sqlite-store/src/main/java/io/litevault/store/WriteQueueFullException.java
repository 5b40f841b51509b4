package io.litevault.store;

import java.time.Duration;

/**
 * The write queue stayed full for the whole enqueue timeout. The write was NOT queued and will not
 * run; the caller may retry it. Raise {@link DatabaseOptions#queueCapacity()} or the timeout, or slow
 * the producers.
 */
public final class WriteQueueFullException extends StoreException {
  private static final long serialVersionUID = 1L;

  public WriteQueueFullException(String database, int capacity, Duration waited) {
    super(database, "write queue of database '" + database + "' stayed full (" + capacity
        + " waiting writes) for " + waited.toMillis() + " ms; the write was not queued. "
        + "Retry it, slow the producers, or raise queueCapacity/enqueueTimeout");
  }
}
