package io.litevault.ttl;

import io.litevault.store.Database;
import io.litevault.store.Names;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What registration learns about a table from SQLite's schema pragmas, and the checks it makes.
 *
 * @param name the table name as declared
 * @param withoutRowid a WITHOUT ROWID table (purged by primary key instead of rowid)
 * @param columns declared type by lower-case column name, in table order
 * @param primaryKey primary key columns in key order (empty for an implicit rowid)
 * @param indexes each usable (non-partial) index as its lower-case columns, with whether it is unique
 */
record TableSchema(String name, boolean withoutRowid, Map<String, String> columns, List<String> primaryKey,
    List<Index> indexes) {

  record Index(String name, boolean unique, List<String> columns) {}

  /** Reads the schema of {@code table} on a pooled reader; null when there is no such table. */
  static TableSchema read(Database db, String table) {
    return db.read(c -> read(c, table));
  }

  static TableSchema read(Connection c, String table) throws SQLException {
    String name = null;
    String type = null;
    boolean wr = false;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' AND lower(name) = lower(?)")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          name = rs.getString(1);
          type = rs.getString(2);
          wr = rs.getInt(3) != 0;
        }
      }
    }
    if (name == null || !"table".equals(type)) {
      return null;
    }
    Map<String, String> columns = new LinkedHashMap<>();
    List<String> pk = new ArrayList<>();
    List<int[]> pkOrder = new ArrayList<>();
    List<String> pkNames = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT name, type, pk FROM pragma_table_info(?)")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String col = rs.getString(1).toLowerCase(Locale.ROOT);
          columns.put(col, rs.getString(2) == null ? "" : rs.getString(2));
          if (rs.getInt(3) > 0) {
            pkOrder.add(new int[] {rs.getInt(3), pkNames.size()});
            pkNames.add(col);
          }
        }
      }
    }
    pkOrder.sort((a, b) -> Integer.compare(a[0], b[0]));
    for (int[] p : pkOrder) {
      pk.add(pkNames.get(p[1]));
    }
    List<Index> indexes = new ArrayList<>();
    try (PreparedStatement list = c.prepareStatement("SELECT name, \"unique\", partial FROM pragma_index_list(?)");
         PreparedStatement info = c.prepareStatement("SELECT name FROM pragma_index_info(?) ORDER BY seqno")) {
      list.setString(1, name);
      try (ResultSet rs = list.executeQuery()) {
        while (rs.next()) {
          if (rs.getInt(3) != 0) {
            continue; // a partial index cannot serve every purge
          }
          String index = rs.getString(1);
          boolean unique = rs.getInt(2) != 0;
          List<String> cols = new ArrayList<>();
          info.setString(1, index);
          try (ResultSet ri = info.executeQuery()) {
            while (ri.next()) {
              String col = ri.getString(1);
              cols.add(col == null ? "" : col.toLowerCase(Locale.ROOT)); // null: an expression column
            }
          }
          indexes.add(new Index(index, unique, cols));
        }
      }
    }
    return new TableSchema(name, wr, columns, pk, indexes);
  }

  /** The declared type of {@code column}, or null when the table has no such column. */
  String type(String column) {
    return columns.get(column.toLowerCase(Locale.ROOT));
  }

  /** Whether some index (or the rowid alias) starts with {@code column}, so range scans on it are indexed. */
  boolean indexedFirst(String column) {
    String col = column.toLowerCase(Locale.ROOT);
    if (!withoutRowid && primaryKey.size() == 1 && primaryKey.get(0).equals(col)
        && ExpiryUnit.Affinity.of(type(col)) == ExpiryUnit.Affinity.INTEGER && "INTEGER".equalsIgnoreCase(type(col).trim())) {
      return true; // INTEGER PRIMARY KEY: the rowid itself
    }
    return indexes.stream().anyMatch(i -> !i.columns().isEmpty() && i.columns().get(0).equals(col));
  }

  /** Whether {@code column} alone is unique (a one-column primary key or unique index). */
  boolean uniqueAlone(String column) {
    String col = column.toLowerCase(Locale.ROOT);
    if (primaryKey.size() == 1 && primaryKey.get(0).equals(col)) {
      return true;
    }
    return indexes.stream().anyMatch(i -> i.unique() && i.columns().size() == 1 && i.columns().get(0).equals(col));
  }

  /** Checks what every TTL table needs: the expiry column, its type; returns whether its index exists. */
  boolean checkExpiry(String database, TtlTableSpec spec) {
    String type = type(spec.expiryColumn());
    if (type == null) {
      throw new TtlSchemaException(database, "table '" + name + "' of database '" + database + "' has no column '"
          + spec.expiryColumn() + "' (its columns: " + columns.keySet() + "); set the expiry column with "
          + "TtlTableSpec.Builder.expiry(column, unit)");
    }
    if (!spec.unit().fits(ExpiryUnit.Affinity.of(type))) {
      throw new TtlSchemaException(database, "expiry column '" + name + "." + spec.expiryColumn() + "' of database '"
          + database + "' is declared '" + type + "' (" + ExpiryUnit.Affinity.of(type) + " affinity), but unit "
          + spec.unit() + " needs a column declared " + spec.unit().expectedType());
    }
    return indexedFirst(spec.expiryColumn());
  }

  /** Checks what {@link TtlTable} needs: a unique TEXT key column and a value column. */
  void checkKeyValue(String database, TtlTableSpec spec) {
    String keyType = type(spec.keyColumn());
    String valueType = type(spec.valueColumn());
    if (keyType == null || valueType == null) {
      throw new TtlSchemaException(database, "table '" + name + "' of database '" + database + "' has no column '"
          + (keyType == null ? spec.keyColumn() : spec.valueColumn()) + "' (its columns: " + columns.keySet()
          + "); name the key and value columns with TtlTableSpec.Builder.keyValue(key, value)");
    }
    if (ExpiryUnit.Affinity.of(keyType) != ExpiryUnit.Affinity.TEXT) {
      throw new TtlSchemaException(database, "key column '" + name + "." + spec.keyColumn() + "' is declared '"
          + keyType + "'; TtlTable keys are strings and need a column declared TEXT");
    }
    if (!uniqueAlone(spec.keyColumn())) {
      throw new TtlSchemaException(database, "key column '" + name + "." + spec.keyColumn() + "' of database '"
          + database + "' is not unique; make it the PRIMARY KEY or add: CREATE UNIQUE INDEX "
          + Names.quoteIdentifier(name + "_" + spec.keyColumn() + "_key") + " ON " + Names.quoteIdentifier(name) + "("
          + Names.quoteIdentifier(spec.keyColumn()) + ")");
    }
  }

  /** The SQL expression that identifies a row for batched deletes: rowid, or the primary key. */
  String rowKey() {
    if (!withoutRowid) {
      return "rowid";
    }
    List<String> quoted = primaryKey.stream().map(Names::quoteIdentifier).toList();
    return quoted.size() == 1 ? quoted.get(0) : "(" + String.join(", ", quoted) + ")";
  }

  /** The primary key columns as a select list (for WITHOUT ROWID tables). */
  String rowKeySelect() {
    return withoutRowid ? String.join(", ", primaryKey.stream().map(Names::quoteIdentifier).toList()) : "rowid";
  }
}
