package io.litevault.bench;

import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.store.Synchronous;
import io.litevault.store.TaskIsolation;
import io.litevault.testing.EmbeddedS3;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.sqlite.SQLiteConfig;

/**
 * What every benchmark shares: the table, the ~100-byte row, the temp directories, and the SQLite
 * settings of the alternatives a user would pick (a plain sqlite-jdbc connection, a pool of them).
 */
final class BenchSupport {
  private BenchSupport() {}

  /** The database file name of the non-store alternatives (the store names its file {@code data.db}). */
  static final String DB = "data";
  static final String TABLE = "t";
  static final String CREATE = "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)";
  static final String INSERT = "INSERT INTO t(k, v) VALUES (?, ?)";
  static final String SELECT = "SELECT v FROM t WHERE k = ?";
  /** 100 ASCII bytes: the row's payload. */
  static final String VALUE = "litevault-benchmark-row-".repeat(5).substring(0, 100);
  /** Same busy timeout as the store's default, for the pool's writers. */
  static final int BUSY_TIMEOUT_MS = 5_000;

  /** A fresh directory under {@code -Dlitevault.bench.dir} (default: java.io.tmpdir). */
  /** The MinIO client on an embedded S3 server's bucket (what every S3 harness here writes through). */
  static io.litevault.bucket.ObjectStore minio(io.litevault.testing.EmbeddedS3 s3) {
    return io.litevault.bucket.s3.MinioObjectStore.create(io.litevault.bucket.s3.S3Options.builder(s3.bucket())
        .endpoint(s3.endpoint().toString()).region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build());
  }

  /** A task inserting one benchmark row with key {@code k}. */
  static io.litevault.store.WriteTask<Integer> insertRow(long k) {
    return c -> {
      try (var ps = c.prepareStatement(INSERT)) {
        ps.setLong(1, k);
        ps.setString(2, VALUE);
        return ps.executeUpdate();
      }
    };
  }

  static Path newDirectory(String prefix) {
    try {
      String base = System.getProperty("litevault.bench.dir");
      return base == null ? Files.createTempDirectory(prefix)
          : Files.createTempDirectory(Files.createDirectories(Path.of(base)), prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + dir, e);
    }
  }

  /** A store with one database {@code data} holding table {@code t}. */
  static SqliteStore openStore(Path dir, Synchronous synchronous, TaskIsolation isolation) {
    return openStore(dir, synchronous, isolation, DatabaseOptions.DEFAULT_STATEMENT_CACHE_SIZE);
  }

  /** The same, with the writer's statement cache of {@code statementCacheSize} (0: off). */
  static SqliteStore openStore(Path dir, Synchronous synchronous, TaskIsolation isolation, int statementCacheSize) {
    return SqliteStore.builder(dir)
        .database(DB, DatabaseOptions.builder()
            .synchronous(synchronous)
            .isolation(isolation)
            .statementCacheSize(statementCacheSize)
            .migration(1, "t", CREATE)
            .build())
        .open();
  }

  /**
   * What a user without the store would configure: WAL, the chosen synchronous level, a busy timeout,
   * everything else sqlite-jdbc's defaults (including SQLite's own autocheckpoint at 1,000 pages).
   */
  static SQLiteConfig plainConfig(Synchronous synchronous) {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(synchronous == Synchronous.FULL
        ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout(BUSY_TIMEOUT_MS);
    return config;
  }

  static String url(Path file) {
    return "jdbc:sqlite:" + file.toAbsolutePath();
  }

  static Path plainFile(Path dir) {
    return dir.resolve(DB + ".db");
  }

  /** Opens a plain connection on {@code dir/data.db} and creates the table if missing. */
  static Connection openPlain(Path dir, Synchronous synchronous) throws SQLException {
    Connection c = plainConfig(synchronous).createConnection(url(plainFile(dir)));
    try (Statement s = c.createStatement()) {
      s.execute(CREATE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"));
    }
    return c;
  }

  /** Inserts one row with a statement prepared for this call (what a write task does). */
  static int insertOnce(Connection c, long key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setLong(1, key);
      ps.setString(2, VALUE);
      return ps.executeUpdate();
    }
  }

  /**
   * Linux only: {@code /proc/self/task/<tid>/schedstat} of the store's writer thread (comm
   * "litevault-write", truncated by the kernel): [ns on CPU, ns runnable but waiting on a run queue].
   * Printed so a latency measured on a busy machine shows whether the writer was starved of CPU.
   */
  static long[] writerSchedstat() {
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String comm;
        try {
          comm = Files.readString(task.resolve("comm")).trim();
        } catch (IOException e) {
          continue; // thread ended
        }
        if (comm.startsWith("litevault-write")) {
          String[] f = Files.readString(task.resolve("schedstat")).trim().split("\\s+");
          return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return null;
  }

  /** "on CPU x%, waiting for a CPU y%" of the writer between two {@link #writerSchedstat()} reads. */
  static String describeWriter(long[] before, long[] after, long wallNanos) {
    if (before == null || after == null || wallNanos <= 0) {
      return "writer thread: n/a";
    }
    return String.format(java.util.Locale.ROOT, "writer thread: on CPU %.0f%%, runnable but waiting for a CPU %.0f%%",
        100.0 * (after[0] - before[0]) / wallNanos, 100.0 * (after[1] - before[1]) / wallNanos);
  }

  /** One {@code kill -9} for all of them: application and replicator die at the same moment. */
  static void kill9(long... pids) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("kill", "-9"));
    for (long pid : pids) {
      cmd.add(Long.toString(pid));
    }
    Process kill = new ProcessBuilder(cmd).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -9 " + cmd.subList(2, cmd.size()) + " failed");
    }
  }

  /**
   * Modification times (ms) of the objects under {@code prefix} whose names end with one of {@code suffixes}.
   * S3Proxy writes each PUT to a temporary file beside the key and renames it: a walk may meet a file that is
   * gone a moment later, so it is tried again.
   */
  static List<Long> uploadTimes(EmbeddedS3 s3, String prefix, String... suffixes) throws IOException {
    Path root = s3.directory().resolve(s3.bucket()).resolve(prefix);
    for (int attempt = 1; ; attempt++) {
      if (!Files.isDirectory(root)) {
        return List.of();
      }
      try (Stream<Path> files = Files.walk(root)) {
        return files.filter(p -> Stream.of(suffixes).anyMatch(s -> p.getFileName().toString().endsWith(s)))
            .map(p -> {
              try {
                return Files.getLastModifiedTime(p).toMillis();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            })
            .sorted(Comparator.naturalOrder()).toList();
      } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }

  /**
   * Linux only: CPU seconds (user + system, {@code /proc/<pid>/stat}, in clock ticks of 10 ms) a process has
   * used so far; NaN when it cannot be read (the process is gone).
   */
  static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime: fields 14 and 15
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}
