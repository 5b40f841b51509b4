package io.litevault.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;
import org.sqlite.SQLiteConnection;
import org.sqlite.core.DB;

/**
 * Learns which tables a batch changed, for the cache and the commit event.
 *
 * <p>SQLite's update hook reports row changes of rowid tables, but not those of WITHOUT ROWID tables,
 * rows deleted by the truncate optimization ({@code DELETE FROM t} without WHERE), nor schema changes
 * (see <a href="https://www.sqlite.org/c3ref/update_hook.html">sqlite3_update_hook</a>). So we also
 * compare {@code sqlite3_total_changes()} with the rows the hook saw, and {@code schema_version} with
 * its last value: when either says something slipped past the hook, the whole cache is invalidated.
 * Savepoint rollbacks are counted by both, so they can only over-invalidate, never under-.
 */
final class ChangeTracker {
  private final DB db;
  private final Connection connection;
  private final Set<String> tables = new HashSet<>();
  private long hookRows;
  private long lastTotalChanges;
  private int lastSchemaVersion;
  /** Whether {@link #lastSchemaVersion} is current (nothing ran since it was read at a batch's end). */
  private boolean schemaKnown;
  /** {@code PRAGMA schema_version}, prepared once (it runs after every batch); see {@link #closeStatements()}. */
  private ControlStatement schemaQuery;
  /** The schema version read just before this batch's COMMIT, if {@link #captured}; see {@link #captureBeforeCommit()}. */
  private int capturedSchemaVersion;
  private boolean captured;

  ChangeTracker(Connection connection) throws SQLException {
    this.connection = connection;
    SQLiteConnection sqlite = connection.unwrap(SQLiteConnection.class);
    this.db = sqlite.getDatabase();
    sqlite.addUpdateListener((type, database, table, rowId) -> {
      tables.add(table);
      hookRows++;
    });
    reset();
  }

  /** Forgets what was seen so far; call before a batch. */
  void reset() throws SQLException {
    captured = false;
    tables.clear();
    hookRows = 0;
    lastTotalChanges = db.total_changes();
    if (!schemaKnown) {
      lastSchemaVersion = schemaVersion();
      schemaKnown = true;
    }
  }

  /** Like {@link #reset()} after work done outside batches (maintenance): re-reads everything. */
  void resetFresh() throws SQLException {
    schemaKnown = false;
    reset();
  }

  /** The tables the hook saw since {@link #reset()} (an immutable copy). */
  Set<String> tables() {
    return switch (tables.size()) {
      case 0 -> Set.of();
      case 1 -> Set.of(tables.iterator().next());
      default -> Set.copyOf(tables);
    };
  }

  /**
   * Reads the schema version inside the batch's transaction, just before its COMMIT, for
   * {@link #unattributedChanges()}: there it costs no read transaction of its own (after COMMIT the
   * PRAGMA began and ended one, a sixth of the writer's time with one write per batch). It is the value
   * a read right after COMMIT returns: the writer holds the write lock (BEGIN IMMEDIATE), nothing runs
   * between this read and COMMIT, and COMMIT does not change it. If the read fails, the value is read
   * after COMMIT as before; if COMMIT fails, {@link #forgetCapture()}.
   */
  void captureBeforeCommit() {
    try {
      capturedSchemaVersion = schemaVersion();
      captured = true;
    } catch (SQLException e) {
      captured = false;
    }
  }

  /** COMMIT failed: what {@link #captureBeforeCommit()} read may have been rolled back. */
  void forgetCapture() {
    captured = false;
  }

  /** Whether changes since {@link #reset()} may have touched rows or schema the hook did not report. */
  boolean unattributedChanges() throws SQLException {
    int schema = captured ? capturedSchemaVersion : schemaVersion(); // one read per batch: the next reset() reuses it
    captured = false;
    boolean changed = schema != lastSchemaVersion;
    lastSchemaVersion = schema;
    schemaKnown = true;
    return db.total_changes() - lastTotalChanges > hookRows || changed;
  }

  private int schemaVersion() throws SQLException {
    if (schemaQuery == null) {
      schemaQuery = new ControlStatement(connection, "PRAGMA schema_version");
    }
    return schemaQuery.queryInt(); // reset after the read: no statement is left active
  }

  /** Finalizes the prepared query (before maintenance and at close); the next read prepares it again. */
  void closeStatements() {
    if (schemaQuery != null) {
      schemaQuery.close();
      schemaQuery = null;
    }
  }
}
