package io.litevault.store;

import java.util.Objects;

/**
 * One schema step run at open, on the writer connection, before the first write is accepted.
 *
 * <p>Migrations are ordered by {@code version} (1, 2, 3, …, no gaps) and tracked with SQLite's
 * {@code PRAGMA user_version}: a database at version 2 runs only steps 3 and up. All pending steps run
 * in ONE transaction together with the {@code user_version} bump, so a failing step leaves the database
 * exactly as it was and fails the open.
 *
 * @param version the version this step brings the database to, 1-based
 * @param description a human-readable name, used in logs and errors
 * @param sql one or more SQL statements separated by {@code ;}
 */
public record Migration(int version, String description, String sql) {
  public Migration {
    if (version < 1) {
      throw new IllegalArgumentException("migration version must be >= 1, got " + version);
    }
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(sql, "sql");
    if (sql.isBlank()) {
      throw new IllegalArgumentException("migration " + version + " (" + description + ") has no SQL");
    }
  }
}
