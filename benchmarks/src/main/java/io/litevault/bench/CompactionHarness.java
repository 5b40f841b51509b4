package io.litevault.bench;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.IntegrityCheck;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Restore cost against history length with compaction (issue 13): a real store and replicator on a clock
 * the harness moves, one REPLICATED write (one segment upload) per simulated step, the default compaction
 * windows and daily snapshots, a file bucket. At the end, with the replicator still running (its open
 * ranges not flushed, as after a crash), the latest state is restored; then the same final state is
 * replicated to a fresh prefix (one snapshot) and restored, for the ratio. Prints one row per case.
 */
@Command(name = "compaction-harness", mixinStandardHelpOptions = true)
public final class CompactionHarness implements Callable<Integer> {
  @Option(names = "--cases", split = ",", defaultValue = "PT1H@PT1S,P1D@PT1S,P7D@PT10S",
      description = "history@step, ISO-8601 durations (default: ${DEFAULT-VALUE})")
  List<String> cases;

  @Option(names = "--dir", required = true, description = "work directory (emptied per case)")
  Path dir;

  @Option(names = "--base-mib", defaultValue = "0",
      description = "MiB of incompressible rows loaded before replication starts (default: ${DEFAULT-VALUE})")
  int baseMib;

  @Option(names = "--rounds", defaultValue = "3", description = "restores per measurement; the median is reported")
  int rounds;

  public static void main(String[] args) {
    System.exit(new CommandLine(new CompactionHarness()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    System.out.println("| history | step | segments | ranges uploaded (by level) | GETs while replicating | objects read "
        + "| LIST requests | listing ms | restore ms | fresh snapshot ms | ratio | bytes: snapshots / segments / ranges |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (String c : cases) {
      String[] parts = c.split("@");
      run(Duration.parse(parts[0]), Duration.parse(parts[1]));
    }
    return 0;
  }

  private void run(Duration history, Duration step) throws Exception {
    Path root = dir.resolve(history + "-" + step);
    BenchSupport.deleteRecursively(root);
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(root.resolve("bucket")));
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    long writes = history.toMillis() / step.toMillis();
    long gets;
    long segments;
    long[] latest;
    try (SqliteStore store = SqliteStore.builder(root.resolve("live")).database("data", DatabaseOptions.builder()
        .clock(clock).migration(1, "post", "CREATE TABLE post(id INTEGER PRIMARY KEY, body TEXT NOT NULL)").build())
        .open()) {
      Database db = store.database("data");
      for (int m = 0; m < baseMib; m++) {
        db.write(c -> {
          try (var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS base(b BLOB NOT NULL)");
            s.executeUpdate("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1024) "
                + "INSERT INTO base(b) SELECT randomblob(1024) FROM n");
          }
          return null;
        }).get();
      }
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "c/data").clock(clock)
          // Compaction alone: snapshots by the chain's size would cut the history this measures short.
          .snapshotChainFraction(0).minUploadInterval(Duration.ZERO).build())) {
        for (long i = 0; i < writes; i++) {
          long id = i;
          r.write(c -> {
            try (var s = c.createStatement()) {
              s.executeUpdate("INSERT INTO post(body) VALUES ('" + "x".repeat(50 + (int) (id % 200)) + "')");
              if (id % 3 == 0) {
                s.executeUpdate("DELETE FROM post WHERE id = " + (1 + (id * 7919) % (id + 1)));
              }
            }
            return null;
          }, Durability.REPLICATED).get();
          if (i < writes - 1) {
            clock.advance(step); // not after the last: the restore sees the history just before a daily snapshot
          }
        }
        gets = bucket.metrics().snapshot().get(Operation.GET).requests();
        segments = r.metrics().segmentsUploaded();
        latest = restoreMedian(bucket, "c/data", root.resolve("latest.db"));
      }
      // The same final state from one fresh snapshot: a new replica of the same database.
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "fresh/data").clock(clock).build())) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (r.metrics().snapshotsUploaded() < 1 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
      }
    }
    long[] fresh = restoreMedian(bucket, "fresh/data", root.resolve("fresh.db"));
    LineageCatalog.Lineage l = newest(bucket);
    Map<Integer, Integer> byLevel = new TreeMap<>();
    BucketLayout layout = new BucketLayout("c/data");
    for (ObjectInfo o : l.ranges()) {
      byLevel.merge(layout.parse(o.key()).orElseThrow().level(), 1, Integer::sum);
    }
    int ranges = byLevel.values().stream().mapToInt(Integer::intValue).sum();
    System.out.printf(Locale.ROOT, "| %s | %s | %d | %d %s | %d | %d | %d | %d | %d | %d | %.2f | %d / %d / %d |%n",
        history, step, segments, ranges, byLevel, gets, latest[1], latest[2], latest[3], latest[0], fresh[0],
        (double) latest[0] / fresh[0],
        bytes(l.snapshots()), bytes(l.segments()), bytes(l.ranges()));
  }

  private static LineageCatalog.Lineage newest(ObjectStore bucket) {
    List<LineageCatalog.Lineage> all = new ArrayList<>(LineageCatalog.list(bucket, new BucketLayout("c/data")).values());
    return all.get(all.size() - 1);
  }

  private static long bytes(List<ObjectInfo> objects) {
    return objects.stream().mapToLong(ObjectInfo::size).sum();
  }

  /** Median restore time in ms over the rounds, the objects read, LIST requests and listing ms (last round). */
  private long[] restoreMedian(ObjectStore bucket, String prefix, Path out) {
    long[] ms = new long[rounds];
    RestoreResult last = null;
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      RestoreResult r = Restore.run(RestoreOptions.builder(bucket, prefix, out).force(true)
          .integrityCheck(IntegrityCheck.QUICK).build());
      ms[i] = (System.nanoTime() - t0) / 1_000_000;
      last = r;
    }
    Arrays.sort(ms);
    return new long[] {ms[rounds / 2], last.objects(), last.requests().getOrDefault(Operation.LIST, 0L),
        last.phases().get("listing").toMillis()};
  }
}
