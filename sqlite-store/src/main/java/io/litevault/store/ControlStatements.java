package io.litevault.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The transaction-control statements the writer runs around its tasks, each prepared on first use and
 * stepped directly ({@link ControlStatement}); closed together before maintenance (VACUUM refuses to
 * run while any statement is open). Writer thread only.
 */
final class ControlStatements {
  /** The statements. One savepoint name: the writer never nests its own savepoints. */
  enum Kind {
    BEGIN("BEGIN IMMEDIATE"),
    COMMIT("COMMIT"),
    SAVEPOINT("SAVEPOINT lv_task"),
    RELEASE("RELEASE lv_task"),
    ROLLBACK_TO("ROLLBACK TO lv_task"),
    ROLLBACK("ROLLBACK");

    final String sql;

    Kind(String sql) {
      this.sql = sql;
    }
  }

  private static final Kind[] KINDS = Kind.values();

  private final Connection connection;
  private final ControlStatement[] prepared = new ControlStatement[KINDS.length];

  ControlStatements(Connection connection) {
    this.connection = connection;
  }

  /** Steps {@code kind}'s statement to completion; a failure throws SQLite's error, as JDBC would. */
  void run(Kind kind) throws SQLException {
    ControlStatement s = prepared[kind.ordinal()];
    if (s == null) {
      s = new ControlStatement(connection, kind.sql);
      prepared[kind.ordinal()] = s;
    }
    s.execute();
  }

  /** Finalizes every prepared one; the next {@link #run} prepares it again. */
  void closeAll() {
    for (int i = 0; i < prepared.length; i++) {
      if (prepared[i] != null) {
        prepared[i].close();
        prepared[i] = null;
      }
    }
  }
}
