package io.litevault.store;

import java.sql.Connection;

/**
 * A unit of work run on a database's single writer thread, inside the transaction of a batch.
 *
 * <p>The task gets the writer connection; it must not commit, roll back, change auto-commit, or close
 * it, and must close the statements it opens. Statements from {@code prepareStatement(String)} come
 * from the writer's statement cache ({@link DatabaseOptions.Builder#statementCacheSize}): closing one
 * hands it back for the next task, and none may be kept past the task's return. It should be short:
 * every other write waits behind it.
 * With {@link TaskIsolation#SAVEPOINT} (the default) it runs exactly once (unless its batch's COMMIT
 * fails on a deferred foreign key, see there), inside its own savepoint,
 * and if it throws only its own changes are rolled back. With {@link TaskIsolation#REPLAY} it may run
 * more than once.
 *
 * @param <T> the task's result, handed to the caller's future after COMMIT
 */
@FunctionalInterface
public interface WriteTask<T> {
  T execute(Connection connection) throws Exception;
}
