package io.litevault.replication;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Arrays;

/**
 * Generates the golden WAL files under src/test/resources/wal (run once; the files are committed so the
 * tests do not depend on this generator or on the SQLite version): a WAL of 3 transactions with page
 * size 4096, and three damaged copies.
 *
 * <pre>mvn -q -pl replication test-compile exec:java -Dexec.classpathScope=test
 *   -Dexec.mainClass=io.litevault.replication.GoldenWalFiles -Dexec.args=replication/src/test/resources/wal</pre>
 */
public final class GoldenWalFiles {
  static final int FRAME = 24 + 4096;

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    Path dir = Files.createTempDirectory("golden-wal");
    Path db = dir.resolve("g.db");
    byte[] wal;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
      s.execute("PRAGMA page_size = 4096");
      s.execute("PRAGMA journal_mode = WAL");
      s.execute("PRAGMA wal_autocheckpoint = 0");
      s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");         // txn 1
      s.execute("INSERT INTO t(v) VALUES ('one'), ('two')");                // txn 2
      s.execute("INSERT INTO t(v) SELECT hex(randomblob(300)) FROM t, t, t"); // txn 3
      wal = Files.readAllBytes(dir.resolve("g.db-wal"));
    }
    Files.createDirectories(out);
    Files.write(out.resolve("good.wal"), wal);
    byte[] salt = wal.clone();
    ByteBuffer.wrap(salt).putInt(32 + FRAME + 8, ByteBuffer.wrap(salt).getInt(32 + FRAME + 8) + 1); // frame 2
    Files.write(out.resolve("salt-mismatch.wal"), salt);
    byte[] sum = wal.clone();
    sum[32 + 2 * FRAME + 24 + 100] ^= 0x01; // a bit of frame 3's page
    Files.write(out.resolve("checksum-mismatch.wal"), sum);
    Files.write(out.resolve("torn-last-frame.wal"), Arrays.copyOf(wal, wal.length - FRAME / 2));
    System.out.println("wrote " + out + ": " + wal.length + " bytes, " + (wal.length - 32) / FRAME + " frames");
  }
}
