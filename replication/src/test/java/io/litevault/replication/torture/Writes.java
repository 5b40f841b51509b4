package io.litevault.replication.torture;

import io.litevault.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The data-changing part of the workload's write tasks (the write-log row is added by {@link Workload}).
 * Each body draws its data from its own seed, so a write's content is the same whenever it runs. Every table
 * is {@code t<N>(id INTEGER PRIMARY KEY, k, v, b, ...)}; {@code t0} is never dropped.
 */
final class Writes {
  private Writes() {}

  /** The data tables now, in name order. */
  static List<String> tables(Database db) {
    return db.read(c -> {
      List<String> out = new ArrayList<>();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB 't[0-9]*' ORDER BY name")) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    });
  }

  static String table(List<String> tables, int selector) {
    return tables.get(Math.floorMod(selector, tables.size()));
  }

  /** {@code rows} rows of about {@code bytes} bytes of text each (a few with a small blob). */
  static Workload.Body insert(String table, int rows, int bytes, long seed) {
    return c -> {
      SplittableRandom r = new SplittableRandom(seed);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + "(k, v, b) VALUES (?, ?, ?)")) {
        for (int i = 0; i < rows; i++) {
          ps.setLong(1, r.nextLong(1_000_000));
          ps.setString(2, text(r, Math.max(1, bytes / 2 + r.nextInt(bytes + 1))));
          if (r.nextInt(10) == 0) {
            ps.setBytes(3, blob(r, 1 + r.nextInt(300)));
          } else {
            ps.setNull(3, java.sql.Types.BLOB);
          }
          ps.executeUpdate();
        }
      }
    };
  }

  /** One transaction of about {@code bytes} bytes of incompressible 64 KiB blobs. */
  static Workload.Body big(String table, int bytes, long seed) {
    return c -> {
      SplittableRandom r = new SplittableRandom(seed);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + "(k, v, b) VALUES (?, ?, ?)")) {
        for (int done = 0; done < bytes; done += 64 << 10) {
          ps.setLong(1, r.nextLong());
          ps.setString(2, "big");
          ps.setBytes(3, blob(r, Math.min(64 << 10, bytes - done)));
          ps.executeUpdate();
        }
      }
    };
  }

  /** Rows of ~200 bytes of text, {@code bytes} in all (many pages and a deep b-tree, cheaply). */
  static Workload.Body bulk(String table, int bytes, long seed) {
    return c -> {
      SplittableRandom r = new SplittableRandom(seed);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + "(k, v) VALUES (?, ?)")) {
        for (int done = 0; done < bytes; done += 200) {
          ps.setLong(1, r.nextLong(1_000_000));
          ps.setString(2, text(r, 150 + r.nextInt(100)));
          ps.executeUpdate();
        }
      }
    };
  }

  /** A small write of a burst: one to three rows, or an update of one row. */
  static Workload.Body small(String table, long seed) {
    return c -> {
      SplittableRandom r = new SplittableRandom(seed);
      if (r.nextInt(4) == 0) {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET k = k + 1, v = ? WHERE id = "
            + "(SELECT id FROM " + table + " ORDER BY id DESC LIMIT 1 OFFSET ?)")) {
          ps.setString(1, text(r, 20 + r.nextInt(200)));
          ps.setInt(2, r.nextInt(50));
          ps.executeUpdate();
        }
        return;
      }
      insert(table, 1 + r.nextInt(3), 20 + r.nextInt(300), r.nextLong()).apply(c);
    };
  }

  static Workload.Body update(String table, int mod) {
    return c -> exec(c, "UPDATE " + table + " SET v = substr(v, 1, 100) || '+', k = k * 3 WHERE id % " + mod + " = 0");
  }

  static Workload.Body delete(String table, int mod, int rem) {
    return c -> exec(c, "DELETE FROM " + table + " WHERE id % " + mod + " = " + rem);
  }

  /** A schema change; when it does not apply (no index to drop), a create instead. */
  static Workload.Body schema(Step.SchemaOp op, List<String> tables, int selector) {
    return c -> {
      String t = table(tables, selector);
      switch (op) {
        case CREATE_TABLE -> createTable(c, tables);
        case ADD_COLUMN -> exec(c, "ALTER TABLE " + t + " ADD COLUMN c" + columns(c, t) + " TEXT DEFAULT 'x" + selector + "'");
        case CREATE_INDEX -> exec(c, "CREATE INDEX IF NOT EXISTS i_" + t + "_" + (selector % 2 == 0 ? "k" : "v") + " ON "
            + t + "(" + (selector % 2 == 0 ? "k" : "v") + ")");
        case DROP_INDEX -> {
          String index = null;
          try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
              "SELECT name FROM sqlite_schema WHERE type = 'index' AND name GLOB 'i_*' ORDER BY name")) {
            if (rs.next()) {
              index = rs.getString(1);
            }
          }
          if (index != null) {
            exec(c, "DROP INDEX " + index);
          } else {
            exec(c, "CREATE INDEX IF NOT EXISTS i_" + t + "_k ON " + t + "(k)");
          }
        }
        case DROP_TABLE -> {
          if (tables.size() > 1 && !t.equals("t0")) {
            exec(c, "DROP TABLE " + t);
          } else {
            createTable(c, tables);
          }
        }
      }
    };
  }

  private static void createTable(Connection c, List<String> tables) throws java.sql.SQLException {
    int next = tables.stream().mapToInt(n -> Integer.parseInt(n.substring(1))).max().orElse(0) + 1;
    exec(c, "CREATE TABLE IF NOT EXISTS t" + next + "(id INTEGER PRIMARY KEY, k INTEGER, v TEXT, b BLOB)");
    exec(c, "INSERT INTO t" + next + "(k, v) SELECT k, substr(v, 1, 50) FROM t0 ORDER BY id LIMIT 200");
  }

  private static int columns(Connection c, String table) throws java.sql.SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM pragma_table_info('" + table + "')")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  static void exec(Connection c, String sql) throws java.sql.SQLException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate(sql);
    }
  }

  private static String text(SplittableRandom r, int n) {
    char[] ch = new char[n];
    for (int i = 0; i < n; i++) {
      ch[i] = (char) ('a' + r.nextInt(26));
    }
    return new String(ch);
  }

  private static byte[] blob(SplittableRandom r, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i += 8) {
      long x = r.nextLong();
      for (int j = 0; j < 8 && i + j < n; j++) {
        b[i + j] = (byte) (x >>> (8 * j));
      }
    }
    return b;
  }
}
