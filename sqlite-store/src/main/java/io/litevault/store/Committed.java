package io.litevault.store;

/**
 * The outcome of a committed write: the task's value and the id of the transaction that committed it.
 *
 * @param value the write task's result (may be null)
 * @param txid the store transaction id of the batch that committed this write; see {@link CommitEvent#txid()}
 */
public record Committed<T>(T value, long txid) {}
