package io.litevault.bench;

import io.litevault.replication.Durability;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.store.WriteTask;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The child JVM of {@link LossBench}: writes {@code rate} single-row transactions a second, paced on a
 * fixed schedule, each row carrying its sequence number and the wall-clock millisecond at which it was
 * written (taken inside the transaction), and prints {@code ack <seq> <ts>} once each is acknowledged.
 * The parent kills it with kill -9.
 *
 * <ul>
 *   <li>{@code litevault <dir> <rate> <endpoint> <bucket> <prefix> <accessKey> <secretKey> <client>}: a
 *       {@link SqliteStore} (defaults) with a {@link Replicator} at its defaults (minUploadInterval 1 s);
 *       a write is acknowledged when its {@link Durability#LOCAL} future completes (at COMMIT).</li>
 *   <li>{@code sqlite <db> <rate>}: plain sqlite-jdbc, journal_mode=WAL, synchronous=NORMAL, autocommit
 *       INSERTs (the application that Litestream replicates from another process); acknowledged when
 *       {@code executeUpdate} returns.</li>
 * </ul>
 */
public final class LossWriterMain {
  /** Both writers create this table (the parent creates it for the sqlite writer). */
  static final String TABLE_DDL = "CREATE TABLE IF NOT EXISTS w(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, payload TEXT NOT NULL)";
  static final String INSERT = "INSERT INTO w(seq, ts, payload) VALUES (?, ?, ?)";
  /** ~100 bytes a row, as in the other write benchmarks. */
  private static final String PAYLOAD = "x".repeat(100);

  private LossWriterMain() {}

  /** One acknowledged-write loop; {@code write(seq)} commits the row and returns its timestamp. */
  private interface Writer {
    long write(long seq) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.io.litevault", "info");
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    int rate = Integer.parseInt(args[2]);
    if (args[0].equals("litevault")) {
      Replicator r = startLitevault(args[1], args[3], args[4], args[5], args[6], args[7], args[8]);
      run(out, rate, seq -> r.write(c -> insert(c, seq), Durability.LOCAL).join());
    } else if (args[0].equals("sqlite")) {
      Connection c = openSqlite(args[1]);
      run(out, rate, seq -> insert(c, seq));
    } else {
      throw new IllegalArgumentException("mode must be litevault or sqlite, got " + args[0]);
    }
  }

  /**
   * The {@code litevault} mode's store ({@code dir}, database {@code data}, defaults) and replicator
   * (defaults, to {@code prefix} through the {@code client}: minio or aws). Row 0 is written with
   * REPLICATED before it returns: the lineage's first snapshot and a segment land before the clock starts,
   * as the parent waits for Litestream's first snapshot.
   */
  static Replicator startLitevault(String dir, String endpoint, String bucketName, String prefix, String accessKey,
      String secretKey, String client) throws Exception {
    S3Options s3 = S3Options.builder(bucketName).endpoint(endpoint).region("us-east-1").credentials(accessKey, secretKey)
        .build();
    ObjectStore bucket = client.equals("aws") ? S3ObjectStore.create(s3) : MinioObjectStore.create(s3);
    SqliteStore store = SqliteStore.builder(Path.of(dir))
        .database("data", DatabaseOptions.builder().holdWalUntilGate(true).migration(1, "w", TABLE_DDL).build()).open();
    Database db = store.database("data");
    Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build());
    WriteTask<Long> row0 = c -> insert(c, 0);
    r.write(row0, Durability.REPLICATED).get(60, TimeUnit.SECONDS);
    return r;
  }

  /** The {@code sqlite} mode's connection: WAL, synchronous=NORMAL, a 5 s busy timeout, autocommit. */
  static Connection openSqlite(String file) throws java.sql.SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout=5000");
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=NORMAL");
    }
    return c;
  }

  /** Inserts row {@code seq} stamped with the current time, and returns that time. */
  static long insert(Connection c, long seq) throws java.sql.SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
      long ts = System.currentTimeMillis();
      ps.setLong(1, seq);
      ps.setLong(2, ts);
      ps.setString(3, PAYLOAD);
      ps.executeUpdate();
      return ts;
    }
  }

  /** Writes on a fixed schedule (seq n is due at start + n / rate); a late write goes at once. */
  private static void run(PrintStream out, int rate, Writer writer) throws Exception {
    out.println("writing " + System.currentTimeMillis());
    long start = System.nanoTime();
    long period = 1_000_000_000L / rate;
    for (long seq = 1; ; seq++) {
      parkUntil(start + (seq - 1) * period);
      long ts = writer.write(seq);
      out.println("ack " + seq + " " + ts);
    }
  }

  /** Returns at {@code due} ({@link System#nanoTime()}), at once if it has passed. */
  static void parkUntil(long due) {
    long wait;
    while ((wait = due - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait);
    }
  }
}
