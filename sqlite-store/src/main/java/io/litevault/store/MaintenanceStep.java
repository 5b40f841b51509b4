package io.litevault.store;

import java.sql.Connection;

/**
 * A user-supplied step of a maintenance window, run once per database while its writes are paused.
 *
 * <p>It gets the database's writer connection, outside any transaction, with no write running. It may
 * write (its changes are published to {@link CommitListener}s like a commit, and the cache is
 * invalidated) but must leave the connection as it found it: no open transaction, no open statement.
 */
@FunctionalInterface
public interface MaintenanceStep {
  void run(String database, Connection writerConnection) throws Exception;
}
