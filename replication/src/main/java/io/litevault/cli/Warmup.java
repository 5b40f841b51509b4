package io.litevault.cli;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Loads, on a daemon thread, what a restore needs only after its downloads — SQLite's JDBC driver and
 * native library (extracted from the jar on each start) for the integrity check, the zstd native library
 * for decoding, Jackson for {@code --json} — while the main thread starts the S3 client and lists the bucket. In a fresh JVM these
 * cost a few hundred milliseconds that otherwise come one after the other. Best effort: any failure is
 * ignored here and reported where the restore itself uses the library.
 */
final class Warmup {
  private Warmup() {}

  static void start(boolean sqlite, boolean json) {
    Thread t = new Thread(() -> run(sqlite, json), "litevault-restore-warmup");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    t.start();
  }

  private static void run(boolean sqlite, boolean json) {
    try {
      com.github.luben.zstd.util.Native.load();
    } catch (Throwable ignored) {
      // the snapshot's decoder reports it
    }
    if (json) {
      try {
        RestoreCommand.Json.MAPPER.writeValueAsString(java.util.Map.of("warm", 1));
      } catch (Throwable ignored) {
        // the output reports it
      }
    }
    if (!sqlite) {
      return;
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:"); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA quick_check")) {
      rs.next();
    } catch (Throwable ignored) {
      // the integrity check reports it
    }
  }
}
