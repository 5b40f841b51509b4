package io.litevault.replication;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A canonical dump of a database's content, to compare a restore with its source. */
public final class Dumps {
  private Dumps() {}

  public static String dump(Connection c) throws SQLException {
    StringBuilder b = new StringBuilder();
    List<String> tables = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name")) {
      while (rs.next()) {
        b.append(rs.getString(1)).append(": ").append(rs.getString(2)).append('\n');
        String sql = rs.getString(2);
        if (sql != null && sql.startsWith("CREATE TABLE")) {
          tables.add(rs.getString(1));
        }
      }
    }
    for (String t : tables) {
      List<String> rows = new ArrayList<>();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM \"" + t + "\"")) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          StringBuilder row = new StringBuilder(t).append('|');
          for (int i = 1; i <= md.getColumnCount(); i++) {
            Object v = rs.getObject(i);
            row.append(v instanceof byte[] bytes ? Arrays.hashCode(bytes) + "#" + bytes.length : String.valueOf(v)).append('|');
          }
          rows.add(row.toString());
        }
      }
      rows.sort(null); // a canonical order whatever the table's keys
      rows.forEach(r -> b.append(r).append('\n'));
    }
    return b.toString();
  }

  public static String dump(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      return dump(c);
    }
  }

  public static String integrity(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
