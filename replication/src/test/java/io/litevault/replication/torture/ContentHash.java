package io.litevault.replication.torture;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The canonical content of a database: a SHA-256 over the schema (every object except SQLite's own
 * {@code sqlite_%} ones, by type and name) and every table's rows in rowid order, each value with its type
 * (as SQLite's {@code quote()} renders it).
 * Every table the workload creates has an INTEGER PRIMARY KEY, so VACUUM keeps rowids and the hash.
 * Read in one transaction, together with the workload's last {@code wlog} tags, so both describe one state.
 */
final class ContentHash {
  private ContentHash() {}

  /** The hash (null when not computed) and the write log ({@code wlog} tags in seq order) of one consistent state. */
  record State(String hash, List<String> tags) {
    String lastTag() {
      return tags.isEmpty() ? "" : tags.get(tags.size() - 1);
    }
  }

  static State read(Connection c) throws SQLException {
    return read(c, true);
  }

  /** The database's size in bytes (page count times page size). */
  static long size(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The write log, and the hash too when {@code withHash}. */
  static State read(Connection c, boolean withHash) throws SQLException {
    boolean auto = c.getAutoCommit();
    if (auto) {
      c.setAutoCommit(false); // one read transaction for the hash and the tags
    }
    try {
      MessageDigest sha = sha256();
      List<String> tables = new ArrayList<>();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT type, name, tbl_name, sql FROM sqlite_schema "
              + "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")) {
        while (rs.next()) {
          for (int i = 1; i <= 4; i++) {
            text(sha, rs.getString(i));
          }
          if ("table".equals(rs.getString(1))) {
            tables.add(rs.getString(2));
          }
        }
      }
      for (String t : withHash ? tables : List.<String>of()) {
        text(sha, "rows of " + t);
        // One canonical byte string per row, built by SQLite: quote() renders each value with its type
        // (integers as digits, text quoted, blobs as X'..', NULL), so the hash needs one JDBC call per row.
        String q = "\"" + t.replace("\"", "\"\"") + "\"";
        List<String> columns = new ArrayList<>();
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT name FROM pragma_table_info('" + t.replace("'", "''") + "') ORDER BY cid")) {
          while (rs.next()) {
            columns.add("quote(\"" + rs.getString(1).replace("\"", "\"\"") + "\")");
          }
        }
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT CAST(" + String.join(" || char(31) || ", columns) + " AS BLOB) FROM "
                + q + " ORDER BY rowid")) {
          while (rs.next()) {
            byte[] row = rs.getBytes(1);
            sha.update(ByteBuffer.allocate(4).putInt(row.length).array());
            sha.update(row);
          }
        }
      }
      List<String> tags = new ArrayList<>();
      if (tables.contains("wlog")) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT tag FROM wlog ORDER BY seq")) {
          while (rs.next()) {
            tags.add(rs.getString(1));
          }
        }
      }
      return new State(withHash ? HexFormat.of().formatHex(sha.digest()) : null, tags);
    } finally {
      if (auto) {
        c.rollback();
        c.setAutoCommit(true);
      }
    }
  }

  /** Opens {@code file} the way an application would (SQLite replays a -wal beside it) and reads its state. */
  static State read(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      return read(c);
    }
  }

  /** {@code PRAGMA integrity_check}, all of its lines ("ok" when sound). */
  static String integrity(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
      List<String> lines = new ArrayList<>();
      while (rs.next() && lines.size() < 5) {
        lines.add(rs.getString(1).replace("\n", "; "));
      }
      return String.join("; ", lines);
    }
  }

  private static void text(MessageDigest sha, String s) {
    if (s == null) {
      sha.update((byte) 'n');
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    sha.update((byte) 's');
    sha.update(ByteBuffer.allocate(4).putInt(b.length).array());
    sha.update(b);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
