package io.litevault.bucket;

/**
 * Counters of one {@link Operation}.
 *
 * @param requests requests sent, each retry counted again (each is billed)
 * @param errors requests that failed (including those retried successfully afterwards)
 * @param retries requests that were retries of a failed one
 * @param bytesSent body bytes sent (each retry counted again)
 * @param bytesReceived body bytes received
 */
public record OperationStats(long requests, long errors, long retries, long bytesSent, long bytesReceived) {
  /** All zero. */
  public static final OperationStats ZERO = new OperationStats(0, 0, 0, 0, 0);
}
