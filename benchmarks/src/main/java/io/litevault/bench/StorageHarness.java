package io.litevault.bench;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import io.litevault.bucket.OperationStats;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.ReplicationMetrics;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Bytes kept in the bucket per day (issue 13): a ~1 GiB database (rows of random, incompressible blobs) at
 * 1 M small writes a day, replicated with the defaults (compaction on, snapshots by reason) on a clock the
 * harness moves, to a file bucket. Each simulated second commits its share of the day's writes as separate
 * transactions: all but the last LOCAL, the last REPLICATED, which ships the second as one segment (the
 * 1 s upload interval runs on real time, and a simulated second takes less, so the LOCAL ones wait for it).
 * The clock then moves one second. At the end the bucket is listed and its bytes and objects reported by
 * kind; "without the fine segments" is snapshots + ranges.
 *
 * <p>Workloads: {@code update} changes a small column of one random row of the 1 GiB table per write (pages
 * all over the database); {@code append} inserts a ~200-byte row into a session table and deletes its
 * oldest once it holds {@code --keep-rows} (sessions with a TTL).
 */
@Command(name = "storage-harness", mixinStandardHelpOptions = true)
public final class StorageHarness implements Callable<Integer> {
  @Option(names = "--dir", required = true, description = "work directory: base database and one directory per case")
  Path dir;

  @Option(names = "--workload", defaultValue = "update", description = "update | append (default: ${DEFAULT-VALUE})")
  String workload;

  @Option(names = "--chain-fraction", defaultValue = "0.5",
      description = "ReplicatorOptions.snapshotChainFraction; 0 turns snapshots by reason off (default: ${DEFAULT-VALUE})")
  double chainFraction;

  @Option(names = "--db-mib", defaultValue = "1024", description = "size of the base database (default: ${DEFAULT-VALUE})")
  int dbMib;

  @Option(names = "--writes-per-day", defaultValue = "1000000", description = "(default: ${DEFAULT-VALUE})")
  long writesPerDay;

  @Option(names = "--hours", defaultValue = "24",
      description = "simulated hours (at the daily rate); results are also scaled to 24 h (default: ${DEFAULT-VALUE})")
  double hours;

  @Option(names = "--keep-rows", defaultValue = "41667",
      description = "append: session rows kept, the oldest deleted beyond (default: ${DEFAULT-VALUE}, 1 h of writes)")
  long keepRows;

  @Option(names = "--reuse", description = "reuse <dir>/base/data.db when it exists (built otherwise)")
  boolean reuse;

  @Option(names = "--keep", description = "keep the case's directory (bucket and live database) at the end")
  boolean keep;

  private static final int BLOB_BYTES = 1024;
  /** Rows of 1 KiB blobs per MiB of database: three cells fit a 4 KiB page. */
  private static final int ROWS_PER_MIB = 768;

  public static void main(String[] args) {
    System.exit(new CommandLine(new StorageHarness()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (!workload.equals("update") && !workload.equals("append")) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--workload must be update or append");
    }
    Path base = dir.resolve("base").resolve("data.db");
    if (!reuse || !Files.exists(base)) {
      buildBase(base);
    }
    Path root = dir.resolve(workload + "-" + chainFraction);
    BenchSupport.deleteRecursively(root);
    Path live = Files.createDirectories(root.resolve("live"));
    long t0 = System.nanoTime();
    Files.copy(base, live.resolve("data.db"), StandardCopyOption.REPLACE_EXISTING);
    log("copied the base database (%d bytes) in %d ms", Files.size(base), (System.nanoTime() - t0) / 1_000_000);
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(root.resolve("bucket")));
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    long seconds = Math.round(hours * 3600);
    long writes = writesPerDay * seconds / 86_400;
    long rows = (long) dbMib * ROWS_PER_MIB;
    SplittableRandom random = new SplittableRandom(42);
    ReplicationMetrics m;
    long firstSnapshotMs;
    long loopMs;
    long snapshotsAtStart;
    try (SqliteStore store = SqliteStore.builder(live).database("data", DatabaseOptions.builder().clock(clock)
        .holdWalUntilGate(true).build()).open()) {
      Database db = store.database("data");
      ReplicatorOptions.Builder ob = ReplicatorOptions.builder(bucket, "s/data").clock(clock)
          .snapshotChainFraction(chainFraction);
      long start = System.nanoTime();
      try (Replicator r = Replicator.start(db, ob.build())) {
        // The lineage's first snapshot (the day's daily one: the next is due 24 h later, after the last write).
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (r.metrics().snapshotsUploaded() < 1 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        firstSnapshotMs = (System.nanoTime() - start) / 1_000_000;
        snapshotsAtStart = r.metrics().snapshotsUploaded();
        log("first snapshot in %d ms; simulating %d s, %d writes (%s)", firstSnapshotMs, seconds, writes, workload);
        long loopStart = System.nanoTime();
        long done = 0;
        long nextId = 1; // append: the next session row
        long localNanos = 0;
        long replicatedNanos = 0;
        for (long s = 0; s < seconds; s++) {
          long upTo = writesPerDay * (s + 1) / 86_400;
          long k = Math.max(1, upTo - done); // at least one: every simulated second is one upload
          for (long i = 0; i < k; i++) {
            long w0 = System.nanoTime();
            Durability d = i == k - 1 ? Durability.REPLICATED : Durability.LOCAL;
            if (workload.equals("update")) {
              long id = 1 + random.nextLong(rows);
              r.write(c -> {
                try (var st = c.prepareStatement("UPDATE big SET n = n + 1 WHERE id = ?")) {
                  st.setLong(1, id);
                  st.executeUpdate();
                }
                return null;
              }, d).get();
            } else {
              long id = nextId++;
              byte[] body = new byte[200];
              random.nextBytes(body);
              r.write(c -> {
                try (var st = c.prepareStatement("INSERT INTO sess(id, created, body) VALUES (?, ?, ?)")) {
                  st.setLong(1, id);
                  st.setLong(2, clock.millis());
                  st.setBytes(3, body);
                  st.executeUpdate();
                }
                if (id > keepRows) {
                  try (var st = c.prepareStatement("DELETE FROM sess WHERE id = ?")) {
                    st.setLong(1, id - keepRows);
                    st.executeUpdate();
                  }
                }
                return null;
              }, d).get();
            }
            if (d == Durability.LOCAL) {
              localNanos += System.nanoTime() - w0;
            } else {
              replicatedNanos += System.nanoTime() - w0;
            }
          }
          done += k;
          if (s < seconds - 1) {
            clock.advance(Duration.ofSeconds(1)); // not after the last: the daily snapshot is not due yet
          }
          if ((s + 1) % 3600 == 0 || (s + 1) % 600 == 0 && s < 3600) {
            log("%d min simulated, %d s wall (LOCAL writes %d s, REPLICATED ones %d s), %s", (s + 1) / 60,
                (System.nanoTime() - loopStart) / 1_000_000_000, localNanos / 1_000_000_000,
                replicatedNanos / 1_000_000_000, r.metrics());
          }
        }
        loopMs = (System.nanoTime() - loopStart) / 1_000_000;
        m = r.metrics();
        log("simulated in %d ms; closing (the open ranges are uploaded)", loopMs);
      }
      log("closed: %s", m);
    }
    long wallMs = (System.nanoTime() - t0) / 1_000_000;
    report(bucket, m, seconds, writesPerDay * seconds / 86_400, firstSnapshotMs, snapshotsAtStart, loopMs, wallMs);
    if (!keep) {
      BenchSupport.deleteRecursively(root);
    }
    return 0;
  }

  private void report(ObjectStore bucket, ReplicationMetrics m, long seconds, long writes, long firstSnapshotMs,
      long snapshotsAtStart, long loopMs, long wallMs) {
    BucketLayout layout = new BucketLayout("s/data");
    List<LineageCatalog.Lineage> all = new ArrayList<>(LineageCatalog.list(bucket, layout).values());
    long snapBytes = 0;
    long snaps = 0;
    long segBytes = 0;
    long segs = 0;
    Map<Integer, long[]> levels = new TreeMap<>();
    for (LineageCatalog.Lineage l : all) {
      snaps += l.snapshots().size();
      snapBytes += bytes(l.snapshots());
      segs += l.segments().size();
      segBytes += bytes(l.segments());
      for (ObjectInfo o : l.ranges()) {
        long[] v = levels.computeIfAbsent(layout.parse(o.key()).orElseThrow().level(), x -> new long[2]);
        v[0]++;
        v[1] += o.size();
      }
    }
    long rangeBytes = levels.values().stream().mapToLong(v -> v[1]).sum();
    long ranges = levels.values().stream().mapToLong(v -> v[0]).sum();
    Map<Operation, OperationStats> ops = bucket.metrics().snapshot();
    long puts = count(ops, Operation.PUT);
    long multipart = count(ops, Operation.CREATE_MULTIPART) + count(ops, Operation.UPLOAD_PART)
        + count(ops, Operation.COMPLETE_MULTIPART);
    double scale = 86_400.0 / seconds;
    System.out.printf(Locale.ROOT, "%nStorageHarness --workload %s --chain-fraction %s: %d lineage(s), %d s simulated, "
        + "%d writes, %d s wall (first snapshot %d ms, simulation %d ms)%n", workload, chainFraction, all.size(),
        seconds, writes, wallMs / 1000, firstSnapshotMs, loopMs);
    System.out.printf(Locale.ROOT, "replicator: %s%n", m);
    System.out.printf(Locale.ROOT, "bucket requests: %s%n", ops);
    System.out.println("| kind | objects | bytes | MiB | MiB per 24 h (scaled, objects) |");
    System.out.println("|---|---|---|---|---|");
    // The lineage's first snapshot is the day's daily one: counted once, not scaled.
    long startBytes = snapshotsAtStart > 0 && snaps > 0 ? bytes(all.get(0).snapshots().subList(0, 1)) : 0;
    long startCount = startBytes > 0 ? 1 : 0;
    row("daily snapshot (the lineage's first, not scaled)", startCount, startBytes, 1.0);
    row("snapshots taken during the run", snaps - startCount, snapBytes - startBytes, scale);
    row("segments", segs, segBytes, scale);
    for (Map.Entry<Integer, long[]> e : levels.entrySet()) {
      row("ranges level " + e.getKey() + " (" + windowName(e.getKey()) + ")", e.getValue()[0], e.getValue()[1], scale);
    }
    row("ranges, all levels", ranges, rangeBytes, scale);
    row2("all", snaps + segs + ranges, snapBytes + segBytes + rangeBytes, startCount, startBytes, scale);
    row2("without the fine segments (snapshots + ranges)", snaps + ranges, snapBytes + rangeBytes, startCount,
        startBytes, scale);
    System.out.printf(Locale.ROOT, "| PUT requests | %d (+ %d multipart requests) | | | %.0f |%n", puts, multipart,
        (puts + multipart) * scale);
  }

  private static String windowName(int level) {
    List<Duration> w = ReplicatorOptions.DEFAULT_COMPACTION_WINDOWS;
    return level >= 1 && level <= w.size() ? w.get(level - 1).toString().substring(2).toLowerCase(Locale.ROOT) : "?";
  }

  private static void row(String kind, long objects, long bytes, double scale) {
    System.out.printf(Locale.ROOT, "| %s | %,d | %,d | %,.1f | %,.1f (%,.0f objects) |%n", kind, objects, bytes,
        bytes / 1048576.0, bytes * scale / 1048576.0, objects * scale);
  }

  /** A total whose daily snapshot is counted once and the rest scaled to 24 h. */
  private static void row2(String kind, long objects, long bytes, long fixedObjects, long fixedBytes, double scale) {
    System.out.printf(Locale.ROOT, "| %s | %,d | %,d | %,.1f | %,.1f (%,.0f objects) |%n", kind, objects, bytes,
        bytes / 1048576.0, (fixedBytes + (bytes - fixedBytes) * scale) / 1048576.0,
        fixedObjects + (objects - fixedObjects) * scale);
  }

  private static long count(Map<Operation, OperationStats> ops, Operation op) {
    OperationStats s = ops.get(op);
    return s == null ? 0 : s.requests();
  }

  private static long bytes(List<ObjectInfo> objects) {
    return objects.stream().mapToLong(ObjectInfo::size).sum();
  }

  /** A ~{@code dbMib} database, in big transactions with no journal: table big (1 KiB random blobs) and sess. */
  private void buildBase(Path file) throws Exception {
    BenchSupport.deleteRecursively(file.getParent());
    Files.createDirectories(file.getParent());
    long rows = (long) dbMib * ROWS_PER_MIB;
    long t0 = System.nanoTime();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        Statement s = c.createStatement()) {
      s.execute("PRAGMA page_size = 4096");
      s.execute("PRAGMA journal_mode = OFF");
      s.execute("PRAGMA synchronous = OFF");
      s.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, b BLOB NOT NULL)");
      s.execute("CREATE TABLE sess(id INTEGER PRIMARY KEY, created INTEGER NOT NULL, body BLOB NOT NULL)");
      c.setAutoCommit(false);
      int chunk = 65_536;
      for (long from = 1; from <= rows; from += chunk) {
        long to = Math.min(rows, from + chunk - 1);
        s.executeUpdate("WITH RECURSIVE n(i) AS (SELECT " + from + " UNION ALL SELECT i + 1 FROM n WHERE i < " + to
            + ") INSERT INTO big(id, n, b) SELECT i, 0, randomblob(" + BLOB_BYTES + ") FROM n");
        c.commit();
      }
      c.setAutoCommit(true);
      s.execute("PRAGMA journal_mode = DELETE");
    }
    log("built %s: %d rows, %d bytes in %d ms", file, rows, Files.size(file), (System.nanoTime() - t0) / 1_000_000);
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, "[%s] " + format + "%n", prepend(Instant.now(), args));
  }

  private static Object[] prepend(Object first, Object[] rest) {
    Object[] all = new Object[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }
}
