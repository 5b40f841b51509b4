package io.litevault.store;

import java.sql.Connection;

/**
 * A read run on a pooled read-only connection ({@code query_only}), on the caller's thread.
 *
 * <p>The connection sees a consistent snapshot for the duration of a statement (or of a transaction the
 * task opens). It is returned to the pool when the task returns; the task must not close it.
 *
 * @param <T> the task's result
 */
@FunctionalInterface
public interface ReadTask<T> {
  T execute(Connection connection) throws Exception;
}
