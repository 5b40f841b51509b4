package io.litevault.ttl;

import static io.litevault.store.Names.quoteIdentifier;

import io.litevault.store.Database;
import java.util.Locale;

/**
 * A table a {@link TtlCleaner} purges: its database, its spec, and the SQL built once from its schema
 * (every identifier validated, then quoted).
 */
final class RegisteredTable {
  final Database db;
  final TtlTableSpec spec;
  /** One purge batch: binds the cutoff and the batch size; returns the rows deleted. */
  final String purgeBatchSql;

  RegisteredTable(Database db, TtlTableSpec spec, TableSchema schema) {
    this.db = db;
    this.spec = spec;
    String t = quoteIdentifier(spec.table());
    String exp = quoteIdentifier(spec.expiryColumn());
    this.purgeBatchSql = "DELETE FROM " + t + " WHERE " + schema.rowKey() + " IN (SELECT " + schema.rowKeySelect()
        + " FROM " + t + " WHERE " + exp + " <= ? LIMIT ?)";
  }

  String database() {
    return db.name();
  }

  String table() {
    return spec.table();
  }

  /** Registry key: database and table, table case-folded as SQLite does. */
  String id() {
    return id(db.name(), spec.table());
  }

  static String id(String database, String table) {
    return database + "." + table.toLowerCase(Locale.ROOT);
  }
}
