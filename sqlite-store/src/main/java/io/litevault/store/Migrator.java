package io.litevault.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs pending {@link Migration}s in one transaction with the {@code user_version} bump. */
final class Migrator {
  private static final Logger log = LoggerFactory.getLogger(Migrator.class);

  private Migrator() {}

  static void migrate(String database, Connection c, List<Migration> migrations) {
    int current;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      current = rs.next() ? rs.getInt(1) : 0;
    } catch (SQLException e) {
      throw new MigrationException(database, "could not read the schema version (PRAGMA user_version) of '"
          + database + "': " + e.getMessage(), e);
    }
    if (current > migrations.size()) {
      throw new MigrationException(database, "database '" + database + "' is at schema version " + current
          + " but this code knows only " + migrations.size() + " migration(s): it was written by newer code; "
          + "deploy that code, or restore an older copy of the database", null);
    }
    if (current == migrations.size()) {
      return;
    }
    Migration running = null;
    try (Statement s = c.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      try {
        for (Migration m : migrations.subList(current, migrations.size())) {
          running = m;
          s.executeUpdate(m.sql());
        }
        s.execute("PRAGMA user_version = " + migrations.size());
        s.execute("COMMIT");
      } catch (SQLException e) {
        s.execute("ROLLBACK");
        throw e;
      }
      log.info("database '{}': migrated from schema version {} to {}", database, current, migrations.size());
    } catch (SQLException e) {
      String what = running == null ? "starting migrations"
          : "migration " + running.version() + " (" + running.description() + ")";
      throw new MigrationException(database, "database '" + database + "': " + what + " failed: "
          + e.getMessage() + ". The database was left at schema version " + current + "; fix the migration and reopen", e);
    }
  }
}
