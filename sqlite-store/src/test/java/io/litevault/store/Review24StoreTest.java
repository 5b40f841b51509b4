package io.litevault.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of 8cc2c9c: ReplicaDatabase bugs reproduced on real SQLite files. */
class Review24StoreTest {
  @TempDir Path dir;

  /** A WAL-mode database made by {@code sql}, checkpointed into its main file: its bytes. */
  private byte[] version(String label, String... sql) throws Exception {
    Path f = dir.resolve(label + ".db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + f); Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      for (String q : sql) {
        s.execute(q);
      }
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    return Files.readAllBytes(f);
  }

  private static void overwrite(FileChannel file, byte[] bytes) throws IOException {
    file.truncate(bytes.length);
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      file.write(b, b.position());
    }
  }

  private static String rows(Connection c, String table) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY 1")) {
      while (rs.next()) {
        out.append(rs.getString(1)).append(';');
      }
    }
    return out.toString();
  }

  private static long schemaVersion(byte[] file) {
    return ByteBuffer.wrap(file).getInt(40) & 0xffffffffL; // the schema cookie
  }

  /**
   * Two versions of a database whose schema cookies (offset 40) are equal but whose schemas differ (the same
   * tables created in another order: other root pages), as a primary that forked back in time and ran other
   * DDL produces. The update bumps only the change counter (offset 24): SQLite drops its page cache but keeps
   * the parsed schema, since the cookie it checks did not change, so a pooled reader reads table {@code a}
   * from {@code b}'s root page: silently wrong rows.
   */
  @Test
  void anUpdateToAnotherSchemaWithTheSameCookieIsReadWithTheNewSchema() throws Exception {
    byte[] v1 = version("v1", "CREATE TABLE a(x TEXT)", "CREATE TABLE b(y TEXT)",
        "INSERT INTO a VALUES('a1'), ('a2')", "INSERT INTO b VALUES('b1')");
    byte[] v2 = version("v2", "CREATE TABLE b(y TEXT)", "CREATE TABLE a(x TEXT)",
        "INSERT INTO a VALUES('a1'), ('a2')", "INSERT INTO b VALUES('b1')");
    assertEquals(schemaVersion(v1), schemaVersion(v2), "precondition: the same schema cookie");
    Path file = dir.resolve("replica.db");
    Files.write(file, v1);
    try (ReplicaDatabase r = ReplicaDatabase.open("cookie", file, DatabaseOptions.builder().readers(1).build())) {
      assertEquals("a1;a2;", r.read(c -> rows(c, "a")));
      r.update(f -> overwrite(f, v2));
      assertEquals("a1;a2;", r.read(c -> rows(c, "a")), "table a after the update");
    }
  }

  /**
   * A read task that asks the JDBC metadata whether a table exists and reads only the first row (the usual
   * "table exists?" check) leaves sqlite-jdbc's metadata statement active: HikariCP closes only the statements
   * it handed out, so the pooled connection goes back with its read transaction open. The replica's updates
   * bypass SQLite's locks, so that connection never re-reads the change counter: the next reads on it serve
   * pages cached before the update (stale rows, or a mix of old and new pages).
   */
  @Test
  void aMetadataResultSetLeftOpenDoesNotPinAStaleView() throws Exception {
    byte[] v1 = version("m1", "CREATE TABLE a(x TEXT)", "INSERT INTO a VALUES('one')");
    byte[] v2 = version("m2", "CREATE TABLE a(x TEXT)", "INSERT INTO a VALUES('one'), ('two'), ('three')");
    Path file = dir.resolve("replica.db");
    Files.write(file, v1);
    try (ReplicaDatabase r = ReplicaDatabase.open("meta", file, DatabaseOptions.builder().readers(1).build())) {
      boolean exists = r.read(c -> c.getMetaData().getTables(null, null, "a", null).next());
      assertEquals(true, exists);
      assertEquals("one;", r.read(c -> rows(c, "a")));
      r.update(f -> overwrite(f, v2));
      assertEquals("one;three;two;", r.read(c -> rows(c, "a")), "after the update");
    }
  }
}
