package io.litevault.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** A tiny key-value schema the store tests share. */
final class Kv {
  static final Migration SCHEMA = new Migration(1, "kv", "CREATE TABLE kv(k INTEGER PRIMARY KEY, v INTEGER NOT NULL)");

  private Kv() {}

  static DatabaseOptions.Builder options() {
    return DatabaseOptions.builder().migration(SCHEMA);
  }

  static WriteTask<Void> put(long k, long v) {
    return c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO kv(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v")) {
        ps.setLong(1, k);
        ps.setLong(2, v);
        ps.executeUpdate();
      }
      return null;
    };
  }

  static WriteTask<Void> insert(long k, long v) {
    return c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO kv(k, v) VALUES (?, ?)")) {
        ps.setLong(1, k);
        ps.setLong(2, v);
        ps.executeUpdate();
      }
      return null;
    };
  }

  static Long get(Connection c, long k) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT v FROM kv WHERE k = ?")) {
      ps.setLong(1, k);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  static long count(Connection c) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM kv")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
