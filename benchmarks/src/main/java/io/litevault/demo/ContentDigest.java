package io.litevault.demo;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** A SHA-256 over a database's schema and every row of every table in primary-key order. */
final class ContentDigest {
  private ContentDigest() {}

  /** The digest and the row count, e.g. {@code 3f2a…  (1234567 rows)}. */
  record Result(String sha256, long rows) {}

  static Result of(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    long rows = 0;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      List<String> tables = new ArrayList<>();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")) {
        while (rs.next()) {
          md.update((rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "\n").getBytes());
          if ("table".equals(rs.getString(1)) && !rs.getString(2).startsWith("sqlite_")) {
            tables.add(rs.getString(2));
          }
        }
      }
      for (String t : tables) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM \"" + t + "\" ORDER BY 1")) {
          ResultSetMetaData meta = rs.getMetaData();
          int n = meta.getColumnCount();
          while (rs.next()) {
            rows++;
            for (int i = 1; i <= n; i++) {
              byte[] v = rs.getBytes(i);
              md.update(v == null ? new byte[] {0} : v);
              md.update((byte) '|');
            }
            md.update((byte) '\n');
          }
        }
      }
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
        rs.next();
        md.update(("user_version=" + rs.getInt(1)).getBytes());
      }
    }
    return new Result(HexFormat.of().formatHex(md.digest()), rows);
  }

  static String integrity(Path file) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
      StringBuilder sb = new StringBuilder();
      while (rs.next()) {
        sb.append(sb.length() == 0 ? "" : "; ").append(rs.getString(1));
      }
      return sb.toString();
    }
  }
}
