package io.litevault.store;

import java.util.concurrent.CompletableFuture;

/** One queued write: the task, its caller's future, and when it was queued. */
final class WriteRequest<T> {
  final WriteTask<T> task;
  final CompletableFuture<Committed<T>> future = new CompletableFuture<>();
  final long enqueuedNanos;
  /** The future is only waited on by its caller, never handed out (writeAndWait); see Writer#acknowledge. */
  final boolean awaitedOnly;
  Object result;
  StoreException failure;
  /** Set once the transaction that holds its changes committed (writer thread only). */
  boolean committed;

  WriteRequest(WriteTask<T> task, long enqueuedNanos, boolean awaitedOnly) {
    this.task = task;
    this.enqueuedNanos = enqueuedNanos;
    this.awaitedOnly = awaitedOnly;
  }

  T run(java.sql.Connection connection) throws Exception {
    return task.execute(connection);
  }

  @SuppressWarnings("unchecked")
  void complete(long txid) {
    if (failure != null) {
      future.completeExceptionally(failure);
    } else {
      future.complete(new Committed<>((T) result, txid));
    }
  }
}
