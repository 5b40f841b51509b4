package io.litevault.demo;

import io.litevault.replication.Durability;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.OperationStats;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.MaintenancePlan;
import io.litevault.store.SqliteStore;
import io.litevault.backup.BackupOptions;
import io.litevault.backup.TierRunReport;
import io.litevault.backup.TieredBackup;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import io.litevault.cli.Cli;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The README's first command: a production day of a community site compressed into minutes, then a
 * disaster and a restore. Starts an S3 server on loopback (or uses {@code --target}), opens a store with a
 * replicated {@code data} database and an unreplicated {@code ttl} database, runs {@code --writes} writes
 * (posts replicated before they are acknowledged, comments, page views, sessions) with ten reads per write
 * and a maintenance window halfway, waits for replication, restores the bucket into
 * {@code <work-dir>/restored/data.db}, compares it with {@code <work-dir>/data/data.db} and reports.
 * Exit code 0 on PASS, 1 on FAIL.
 */
@Command(name = "litevault-demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Simulates a production day on a replicated Litevault store, then restores it from the bucket and "
        + "checks the copy is identical.",
    footer = {"", "Credentials for an s3:// --target come from the environment, never from arguments: with --client "
        + "minio, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or MINIO_ACCESS_KEY and MINIO_SECRET_KEY); with "
        + "--client aws, the AWS SDK's default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the profile "
        + "AWS_PROFILE in ~/.aws/credentials, the container or instance role). With none of them set, the run stops "
        + "at once saying so."})
public final class Demo implements Callable<Integer> {
  @Option(names = "--writes", defaultValue = "2000000", description = "writes to simulate (default: ${DEFAULT-VALUE})")
  long writes;

  @Option(names = "--work-dir", description = "where the databases go (default: a fresh temporary directory)")
  Path workDir;

  @Option(names = "--target", paramLabel = "<uri>", description = "file:///dir or s3://bucket/prefix (default: an embedded S3 server)")
  String target;

  @Option(names = "--endpoint", paramLabel = "<url>", description = "S3-compatible endpoint for an s3:// target")
  String endpoint;

  @Option(names = "--client", paramLabel = "minio|aws", defaultValue = "minio", description = "S3 client (default: ${DEFAULT-VALUE})")
  String client;

  @Option(names = "--writers", defaultValue = "4", description = "writer threads (default: ${DEFAULT-VALUE})")
  int writers;

  @Option(names = "--readers", defaultValue = "2", description = "reader threads (default: ${DEFAULT-VALUE})")
  int readers;

  @Option(names = "--backup-target", paramLabel = "<uri>", description = "where the daily backup tier goes: file:///dir "
      + "or s3://bucket/prefix (default: a second bucket of the embedded S3 server, or <work-dir>/backup)")
  String backupTarget;

  @Option(names = "--json", description = "print the report as JSON")
  boolean json;

  @Option(names = "--segment-format", paramLabel = "V1|V2", defaultValue = "V1", description = "segment format the "
      + "replicator writes (ReplicatorOptions.segmentFormat; default: ${DEFAULT-VALUE}, V2 halves the bytes per write "
      + "but releases before it cannot read it)")
  io.litevault.replication.format.SegmentFormat segmentFormat;

  private final PrintStream out = System.out;
  private final PrintStream err = System.err;

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.exit(new CommandLine(new Demo()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (writes < 1000 || writers < 1 || readers < 0) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--writes must be >= 1000, --writers >= 1, --readers >= 0");
    }
    Path work = workDir != null ? workDir : Files.createTempDirectory("litevault-demo-");
    if (Files.exists(work.resolve("data")) || Files.exists(work.resolve("restored"))) {
      throw new CommandLine.ParameterException(new CommandLine(this), work + " already holds a demo run: give an empty --work-dir");
    }
    DemoReport report;
    Target opened;
    try {
      // Bad URIs fail now (a bad --backup-target would otherwise fail after the day), with messages that
      // show a URI without its user-info: never echo a secret.
      Cli.uri("--target", target == null ? "file:///" : target);
      Cli.uri("--backup-target", backupTarget == null ? "file:///" : backupTarget);
    } catch (IllegalArgumentException e) {
      err.println("litevault-demo: " + e.getMessage());
      return 2;
    }
    try {
      opened = Target.open(target, endpoint, client, work);
      opened.store.verify();
    } catch (IllegalArgumentException | io.litevault.bucket.ObjectStoreException | java.io.IOException
        | java.io.UncheckedIOException e) {
      err.println("litevault-demo: cannot use --target " + (target == null ? "(embedded)" : target) + ": "
          + (e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException
              ? "cannot create or open that directory (" + e + ")" : e.getMessage()));
      return 2;
    }
    try (Target t = opened) {
      try (var existing = t.store.list(t.prefix + "/lineages/")) {
        if (existing.findAny().isPresent()) {
          // The demo starts a fresh database; replication refuses to put it in place of another's data.
          throw new CommandLine.ParameterException(new CommandLine(this), "--target already holds a replicated "
              + "database under " + t.prefix + "/: the demo starts a fresh one, which replication refuses to put in "
              + "its place. Give an empty target, or restore that one (the restore command) to look at it");
        }
      }
      err.println("litevault demo: " + String.format(Locale.ROOT, "%,d", writes) + " writes, bucket: " + t.description
          + ", work dir: " + work);
      report = run(t, work);
    }
    out.print(json ? report.json() + System.lineSeparator() : report.text());
    return report.pass() ? 0 : 1;
  }

  private DemoReport run(Target t, Path work) throws Exception {
    Path original = work.resolve("data").resolve("data.db");
    Path restored = work.resolve("restored").resolve("data.db");
    DatabaseOptions dataOptions = DatabaseOptions.builder().holdWalUntilGate(true) // replicated: see README
        .migration(1, "posts", Workload.POST)
        .migration(2, "comments", Workload.COMMENT)
        .migration(3, "comments by post", Workload.COMMENT_INDEX)
        .migration(4, "page views", Workload.VIEWS)
        .build();
    DatabaseOptions ttlOptions = Sessions.options();
    Traffic traffic;
    double seconds;
    double writeSeconds;
    AtomicLong maintenanceNanos = new AtomicLong();
    LagSampler lag;
    long requests;
    long bytesSent;
    long segments;
    long snapshots;
    String failure = null;
    DemoReport.TtlSummary ttlSummary;
    try (SqliteStore store = SqliteStore.builder(work.resolve("data")).database("data", dataOptions)
        .database("ttl", ttlOptions).open()) {
      Database data = store.database("data");
      for (int i = 0; i < 100; i++) {
        data.writeAndWait(Workload.post(ThreadLocalRandom.current()));
      }
      Replicator replicator = Replicator.start(data, ReplicatorOptions.builder(t.store, t.prefix)
          .segmentFormat(segmentFormat).build());
      // Ctrl-C: close the replicator, so its lease is released and the next run is not kept waiting.
      Thread onCtrlC = new Thread(replicator::close, "litevault-demo-ctrl-c");
      Runtime.getRuntime().addShutdownHook(onCtrlC);
      try {
        // Open for traffic once the lineage's first snapshot is in the bucket (as a service would after boot):
        // a maintenance window during that snapshot would have to skip its checkpoint.
        replicator.write(Workload.post(ThreadLocalRandom.current()), Durability.REPLICATED).join();
        Sessions sessions = new Sessions(store.database("ttl"));
        traffic = new Traffic(data, sessions, replicator, writes, 101);
        lag = new LagSampler(data, replicator);
        long t0 = System.nanoTime();
        sessions.start();
        try (sessions; Progress p = new Progress(traffic, replicator, writes, err)) {
          traffic.run(writers, readers, () -> {
            long m0 = System.nanoTime();
            store.maintenance(MaintenancePlan.builder().build());
            maintenanceNanos.set(System.nanoTime() - m0);
          });
          seconds = (System.nanoTime() - t0) / 1e9;
          writeSeconds = (traffic.writesDoneNanos - t0) / 1e9;
          if (!replicator.awaitReplicated(data.lastTxid(), Duration.ofMinutes(2))) {
            failure = "replication did not catch up within 2 minutes: " + replicator.health();
          }
        }
        ttlSummary = new DemoReport.TtlSummary(sessions.rowsPurged.sum(), sessions.purges.sum(), sessions.codesTaken.sum(),
            Latency.millisAt(sessions.writeLatencyDuringPurge, 0.99), Latency.millisAt(traffic.writeLatency, 0.99));
        lag.close();
      } finally {
        replicator.close();
        try {
          Runtime.getRuntime().removeShutdownHook(onCtrlC);
        } catch (IllegalStateException shuttingDown) {
          // the hook runs anyway
        }
      }
      requests = t.store.metrics().totalRequests();
      bytesSent = t.store.metrics().snapshot().values().stream().mapToLong(OperationStats::bytesSent).sum();
      segments = replicator.metrics().segmentsUploaded();
      snapshots = replicator.metrics().snapshotsUploaded();
      if (traffic.firstFailure.get() != null) {
        failure = "an operation failed: " + traffic.firstFailure.get();
      }
    }
    err.println("the disaster: the disk is gone; restoring " + t.prefix + " into " + restored);
    long r0 = System.nanoTime();
    RestoreResult result = Restore.run(RestoreOptions.builder(t.store, t.prefix, restored).build());
    double restoreSeconds = (System.nanoTime() - r0) / 1e9;
    ContentDigest.Result a = ContentDigest.of(original);
    ContentDigest.Result b = ContentDigest.of(restored);
    String integrity = ContentDigest.integrity(restored);
    List<String> byHand = new ArrayList<>();
    byHand.add(restoreCommand(t, t.prefix, work.resolve("bucket-export"), work.resolve("by-hand").resolve("data.db")));
    DemoReport.TierSummary tier = backupTier(t, work, a.sha256(), byHand);
    return new DemoReport(t.description, traffic.writes.sum(), traffic.replicatedWrites.sum(), traffic.reads.sum(),
        traffic.failures.sum(), writeSeconds, seconds, Latency.millisAt(traffic.writeLatency, 0.5),
        Latency.millisAt(traffic.writeLatency, 0.99),
        Latency.millisAt(traffic.replicatedLatency, 0.5), Latency.millisAt(traffic.replicatedLatency, 0.99),
        Latency.millisAt(lag.lag, 0.5), Latency.millisAt(lag.lag, 0.99), maintenanceNanos.get() / 1e9, requests, bytesSent,
        segments, snapshots, restoreSeconds, result.txid(), b.rows(), a.sha256(), b.sha256(), integrity,
        work.toString(), failure, ttlSummary, tier, byHand);
  }

  /**
   * At the end of the day: the daily tier of the bucket into a second bucket (AWS SDK on that side),
   * then a restore of {@code data} from the tier, compared with the original.
   */
  private DemoReport.TierSummary backupTier(Target t, Path work, String originalSha256, List<String> byHand)
      throws Exception {
    try (Target backup = t.backupTarget(backupTarget, endpoint, work)) {
      err.println("backup: the daily tier into " + backup.description);
      long b0 = System.nanoTime();
      TierRunReport run;
      try (TieredBackup tiers = TieredBackup.create(BackupOptions.builder(t.store, backup.store)
          .targetPrefix(backup.tierPrefix).build())) {
        run = tiers.runNow("daily");
      }
      double seconds = (System.nanoTime() - b0) / 1e9;
      Path fromTier = work.resolve("restored-from-tier").resolve("data.db");
      String tierReplica = backup.tierPrefix + "daily/" + t.prefix;
      Restore.run(RestoreOptions.builder(backup.store, tierReplica, fromTier).build());
      byHand.add(restoreCommand(backup, tierReplica, work.resolve("backup-export"),
          work.resolve("by-hand").resolve("data-from-tier.db")));
      return new DemoReport.TierSummary(backup.description, run.copied(), run.bytesCopied(), seconds, run.status().name(),
          ContentDigest.of(fromTier).sha256().equals(originalSha256), ContentDigest.integrity(fromTier));
    }
  }

  /**
   * The restore command that rebuilds replica {@code replica} ({@code <base>/data}) of {@code t} by hand
   * after the demo has exited. The embedded server is gone by then: its objects are copied first into
   * {@code exportDir} in the file layout the restore command reads.
   */
  private static String restoreCommand(Target t, String replica, Path exportDir, Path output) throws Exception {
    String root = t.rootUri;
    if (root == null) {
      try (FileSystemObjectStore copy = FileSystemObjectStore.create(Files.createDirectories(exportDir));
          var objects = t.store.list(replica + "/")) {
        for (ObjectInfo o : (Iterable<ObjectInfo>) objects::iterator) {
          try (InputStream in = t.store.get(o.key())) {
            copy.put(o.key(), in, o.size());
          }
        }
      }
      root = exportDir.toUri().toString();
    }
    String base = replica.contains("/") ? replica.substring(0, replica.lastIndexOf('/')) : "";
    String source = root.replaceAll("/+$", "") + (base.isEmpty() ? "" : "/" + base);
    return "java -jar replication/target/litevault-restore.jar --source " + source + " --database "
        + replica.substring(replica.lastIndexOf('/') + 1) + " --output " + output
        + (t.endpoint != null ? " --endpoint " + t.endpoint : "");
  }

  /** The live progress line on stderr: redrawn on a terminal, a line every 5 s otherwise. */
  private static final class Progress implements AutoCloseable {
    private final Thread thread;
    private volatile boolean done;

    Progress(Traffic traffic, Replicator replicator, long total, PrintStream err) {
      boolean terminal = System.console() != null;
      thread = new Thread(() -> {
        long start = System.nanoTime();
        long ticks = 0;
        long lastWrites = 0;
        long lastReads = 0;
        long last = start;
        while (!done) {
          try {
            Thread.sleep(1000);
          } catch (InterruptedException e) {
            return;
          }
          ticks++;
          long now = System.nanoTime();
          long w = traffic.writes.sum();
          long r = traffic.reads.sum();
          double s = (now - start) / 1e9;
          double dt = Math.max(1e-3, (now - last) / 1e9);
          // The rates of the last second, not since the start: a cumulative rate decays once a phase ends.
          String line = String.format(Locale.ROOT, "%5.1f s  writes %,d/%,d (%,d/s now)  reads %,d (%,d/s now)  "
              + "replication lag %d ms", s, w, total, Math.round((w - lastWrites) / dt), r,
              Math.round((r - lastReads) / dt), replicator.health().lagMillis());
          lastWrites = w;
          lastReads = r;
          last = now;
          if (terminal) {
            err.print("\r" + line + "   ");
          } else if (ticks % 5 == 0) {
            err.println(line);
          }
        }
        if (terminal) {
          err.println();
        }
      }, "demo-progress");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      done = true;
      thread.interrupt();
      thread.join(2000);
    }
  }
}
