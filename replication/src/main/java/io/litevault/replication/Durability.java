package io.litevault.replication;

/** When a write's future completes. */
public enum Durability {
  /** At COMMIT: on the local disk (the store's {@code synchronous} level says how durable). The default. */
  LOCAL,
  /**
   * Once the segment (or snapshot) holding the write's transaction is in the bucket. Such a write makes
   * the replicator upload at once instead of waiting for its minimum interval.
   */
  REPLICATED
}
