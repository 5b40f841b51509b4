package io.litevault.cli;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreOptions;
import io.litevault.bucket.ObjectStores;
import io.litevault.bucket.OpenedStore;
import io.litevault.bucket.StoreUri;
import io.litevault.replication.restore.IntegrityCheck;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.bucket.crypt.KeyProviders;
import io.litevault.bucket.crypt.ObjectDecryptionException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestorePlan;
import io.litevault.replication.restore.RestoreResult;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code java -jar litevault-restore.jar --source <uri> --database <name> --output <path>}: restores a
 * replicated database from a bucket or directory. A thin layer over {@link Restore}: arguments become
 * {@link RestoreOptions}, exceptions become one line on stderr and an {@link ExitCode} (the shared
 * {@link Cli} setup), with this command's flags added where they say what to do next.
 */
@Command(name = "litevault-restore", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = JarVersion.class,
    description = {
        "Restores a Litevault-replicated SQLite database from its replica (the MinIO bucket or any backup tier).",
        "",
        "The replica prefix is <source prefix>/<database>: a replicator started with prefix 'litevault/data' is "
            + "restored with --source s3://bucket/litevault --database data, or --source file:///root/litevault "
            + "--database data for a FileSystemObjectStore rooted at /root.",
        "",
        "The restore goes to a temporary file beside --output, is verified (segment chain checksums, then PRAGMA "
            + "integrity_check) and only then renamed into place (with --force, after the replaced database's -wal, -shm "
            + "and -journal are removed). Temporary files of a restore that was killed are removed by the next one into "
            + "the same directory. S3 credentials come from AWS_ACCESS_KEY_ID / "
            + "AWS_SECRET_ACCESS_KEY or the default provider chain, never from the command line or the URI.",
        ""})
public final class RestoreCommand implements Callable<Integer> {
  @Option(names = "--source", required = true, paramLabel = "<uri>",
      description = "file:///dir or s3://bucket[/prefix]")
  String source;

  @Option(names = "--database", required = true, paramLabel = "<name>", description = "the database name (last prefix segment)")
  String database;

  @Option(names = "--output", paramLabel = "<path>", description = "where the restored file goes (not needed with --list)")
  Path output;

  @Option(names = "--endpoint", paramLabel = "<url>", description = "S3-compatible endpoint, e.g. http://minio:9000 (default: AWS S3)")
  String endpoint;

  @Option(names = "--region", paramLabel = "<region>", description = "S3 region (default us-east-1)")
  String region;

  @Option(names = "--client", paramLabel = "minio|aws", defaultValue = "aws", converter = EnumConverter.Client.class, description = "S3 client library (default: aws)")
  ObjectStoreOptions.Client client;

  @Option(names = "--timestamp", paramLabel = "<ISO-8601>", converter = InstantConverter.class,
      description = "restore the newest transaction committed at or before this time, e.g. 2026-11-23T01:00:00Z")
  Instant timestamp;

  @Option(names = "--txid", paramLabel = "<n>", description = "restore exactly this transaction of the lineage")
  Long txid;

  @Option(names = "--lineage", paramLabel = "<id>", description = "restore from this lineage (default: the newest; see --list)")
  String lineage;

  @Option(names = "--list", description = "list lineages, snapshots and the txid and time ranges that can be restored")
  boolean list;

  @Option(names = "--dry-run", description = "print what would be downloaded (objects, bytes) without writing")
  boolean dryRun;

  @Option(names = "--force", description = "replace an existing database at --output (only once the restore verified), "
      + "removing its -wal, -shm and -journal; refused while a process or a running store uses it")
  boolean force;

  @Option(names = "--if-db-not-exists", description = "exit 0 at once when the output or its -wal exists (for boot scripts)")
  boolean ifDbNotExists;

  @Option(names = "--if-replica-exists", description = "exit 0 when the source has nothing to restore (for boot scripts)")
  boolean ifReplicaExists;

  @Option(names = "--integrity-check", paramLabel = "full|quick|none", defaultValue = "full",
      converter = EnumConverter.IntegrityCheck.class,
      description = "the SQLite check before the rename (default: full)")
  IntegrityCheck integrityCheck;

  @Option(names = "--parallelism", paramLabel = "<n>", defaultValue = "" + RestoreOptions.DEFAULT_PARALLELISM,
      description = "downloads in flight, 1-64 (default: ${DEFAULT-VALUE}); memory is bounded by one segment each")
  int parallelism;

  @Option(names = "--no-compacted-ranges", description = "read every segment since the snapshot instead of the "
      + "compacted ranges (the same database, more objects; to compare, or to check the segment chain itself)")
  boolean noCompactedRanges;

  @Option(names = "--json", description = "print the result (or error) as JSON on stdout")
  boolean json;

  @Option(names = "--keyset-file", paramLabel = "<path>", description = "the bucket is encrypted: decrypt with the "
      + "Tink JSON keyset in this file (one that holds every key id the objects name)")
  Path keysetFile;

  @Option(names = "--keyset-env", paramLabel = "<VAR>", description = "the bucket is encrypted: decrypt with the "
      + "Tink JSON keyset held in this environment variable (its name goes on the command line, never the keyset)")
  String keysetEnv;

  @Option(names = "--key-scope", paramLabel = "<name>", description = "with a keyset: the key scope the replicator "
      + "wrote with (the database's name, when one keyset encrypts several databases); an object of another "
      + "scope fails the restore")
  String keyScope;

  @Option(names = "--allow-unscoped-history", description = "with --key-scope: read objects written without a "
      + "scope too (history from before the scope was turned on); without it they are refused as another "
      + "database's")
  boolean unscopedHistory;

  /** Where --keyset-env is read; the process environment outside tests. */
  java.util.Map<String, String> environment = System.getenv();

  @Mixin
  Verbosity verbosity = new Verbosity();

  private final PrintStream out;
  private final PrintStream err;

  RestoreCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** The command on the process's standard streams, for embedding it in another picocli program. */
  public RestoreCommand() {
    this(System.out, System.err);
  }

  /** System.nanoTime() when {@link #main} began (0 when the command runs inside another program). */
  private static volatile long mainNanos;

  public static void main(String[] args) {
    mainNanos = System.nanoTime();
    boolean verbose = List.of(args).contains("--verbose") || List.of(args).contains("--debug");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    System.exit(execute(args, System.out, System.err));
  }

  /**
   * Runs the command in this JVM, as {@code main} would but without exiting: for boot code and tests
   * that restore before opening the store. Credentials come from the environment, as for the jar.
   *
   * @return the exit code (see {@code --help})
   */
  public static int execute(String[] args, PrintStream out, PrintStream err) {
    RestoreCommand command = new RestoreCommand(out, err);
    return Cli.commandLine(command, command.new Setup(), new java.io.PrintWriter(out, true),
        new java.io.PrintWriter(err, true)).execute(args);
  }

  /**
   * Runs the command. Failures are reported here, through the shared {@link Cli#report}, so the command
   * keeps its exit codes and one-line messages when embedded in another picocli program too.
   */
  @Override
  public Integer call() {
    try {
      return run();
    } catch (RuntimeException e) {
      return Cli.report(new Setup(), e, verbosity.verbose(), new java.io.PrintWriter(err, true));
    }
  }

  private int run() {
    if (txid != null && timestamp != null) {
      throw new IllegalArgumentException("give --txid or --timestamp, not both");
    }
    if (!list && output == null) {
      throw new IllegalArgumentException("--output is required (except with --list)");
    }
    StoreUri src = Cli.uri("--source", source);
    Path existing = output == null || list ? null : existingDatabase(output);
    if (existing != null) {
      if (ifDbNotExists) {
        info(existing + " exists; --if-db-not-exists: nothing to do");
        return ok(Map.of("skipped", "output exists", "output", output.toAbsolutePath().toString()));
      }
      if (!force && !dryRun) {
        throw new RestoreException(RestoreException.Kind.OUTPUT_EXISTS, existing + " exists"
            + (existing.equals(output.toAbsolutePath()) ? "" : " (a write-ahead log SQLite would replay into the "
            + "restored file)") + "; restore never overwrites a database unless asked to", null, null);
      }
    }
    if (!list && !dryRun) {
      Warmup.start(integrityCheck != IntegrityCheck.NONE, json);
    }
    long openStart = System.nanoTime();
    OpenedStore opened;
    try {
      opened = ObjectStores.openReplica(src, database, storeOptions());
    } catch (IllegalStateException e) { // the keyset could not be loaded; the message names its source
      if (keysetFile == null && keysetEnv == null) {
        throw e;
      }
      throw new IllegalArgumentException((keysetFile != null ? "--keyset-file: " : "--keyset-env: ")
          + e.getMessage(), e);
    }
    String prefix = opened.prefix();
    try (ObjectStore store = opened.store()) {
      store.verify();
      Duration open = Duration.ofNanos(System.nanoTime() - openStart);
      if (list) {
        return list(store, prefix);
      }
      RestoreOptions options = options(store, prefix);
      RestorePlan plan = Restore.plan(options); // the one listing of the prefix: the restore runs this plan
      requireNoTrailingGap(prefix, plan);
      if (dryRun) {
        return dryRun(plan, prefix);
      }
      RestoreResult r;
      try (ProgressMeter meter = new ProgressMeter(store, plan.bytes(), System.console() != null, err)) {
        r = Restore.run(options, plan);
      }
      info(String.format(Locale.ROOT, "restored %s (lineage %s) to %s at txid %d (%s): %d objects, %.1f MiB in %.1f s",
          prefix, r.lineage(), r.output(), r.txid(), r.timestamp(), r.objects(), r.bytes() / 1048576.0,
          r.took().toMillis() / 1000.0));
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("lineage", r.lineage());
      m.put("txid", r.txid());
      m.put("timestamp", r.timestamp().toString());
      m.put("bytes", r.bytes());
      m.put("objects", r.objects());
      m.put("seconds", r.took().toMillis() / 1000.0);
      m.put("output", r.output().toString());
      Map<String, Object> phases = new LinkedHashMap<>();
      if (mainNanos != 0) {
        // the JVM's uptime now (read only here: the management classes cost a few ms to load) less the time
        // since main began
        long uptimeMillis = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        phases.put("jvmStart", Math.max(0, uptimeMillis - (System.nanoTime() - mainNanos) / 1_000_000) / 1000.0);
        phases.put("arguments", seconds(Duration.ofNanos(openStart - mainNanos)));
      }
      phases.put("open", seconds(open));
      r.phases().forEach((name, d) -> phases.put(name, seconds(d)));
      m.put("phases", phases);
      Map<String, Object> requests = new LinkedHashMap<>();
      // the whole command's requests: opening the store (its bucket check) included
      store.metrics().snapshot().forEach((op, stats) -> {
        if (stats.requests() > 0) {
          requests.put(op.name(), stats.requests());
        }
      });
      m.put("requests", requests);
      return ok(m);
    } catch (RestoreException e) {
      if (e.kind() == RestoreException.Kind.NOTHING_TO_RESTORE && ifReplicaExists) {
        info(e.getMessage() + "; --if-replica-exists: nothing to do");
        return ok(Map.of("skipped", "nothing to restore"));
      }
      throw e;
    }
  }

  /**
   * The file that makes {@code output} an existing database: the file itself (whatever it is, a link
   * included), or its {@code -wal} (committed transactions SQLite would replay into a file created there);
   * null when neither exists.
   */
  static Path existingDatabase(Path output) {
    Path abs = output.toAbsolutePath();
    Path wal = abs.resolveSibling(abs.getFileName() + "-wal");
    return Files.exists(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? abs
        : Files.exists(wal, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? wal : null;
  }

  /** How to reach the store: this command waits on it interactively. */
  private ObjectStoreOptions storeOptions() {
    ObjectStoreOptions.Builder b = ObjectStoreOptions.builder().client(client).interactive();
    Cli.flag("--endpoint", () -> b.endpoint(endpoint));
    Cli.flag("--region", () -> b.region(region));
    if (keysetFile != null && keysetEnv != null) {
      throw new IllegalArgumentException("give --keyset-file or --keyset-env, not both");
    }
    if (keyScope != null && keysetFile == null && keysetEnv == null) {
      throw new IllegalArgumentException("--key-scope needs --keyset-file or --keyset-env: a scope only binds "
          + "encrypted objects");
    }
    Cli.flag("--key-scope", () -> b.keyScope(keyScope));
    if (unscopedHistory && keyScope == null) {
      throw new IllegalArgumentException("--allow-unscoped-history needs --key-scope: an unscoped restore reads "
          + "unscoped objects already");
    }
    b.unscopedHistory(unscopedHistory);
    if (keysetFile != null) {
      b.encryption(KeyProviders.keysetFile(keysetFile));
    } else if (keysetEnv != null) {
      b.encryption(KeyProviders.environment(keysetEnv, environment));
    }
    return b.build();
  }

  private RestoreOptions options(ObjectStore store, String prefix) {
    RestoreOptions.Builder b = RestoreOptions.builder(store, prefix, output == null ? Path.of("unused.db") : output)
        .force(force).parallelism(parallelism).compactedRanges(!noCompactedRanges)
        .integrityCheck(integrityCheck);
    if (txid != null) {
      b.txid(txid);
    }
    if (timestamp != null) {
      b.timestamp(timestamp);
    }
    if (lineage != null) {
      b.lineage(lineage);
    }
    return b.build();
  }

  /**
   * For the default target (the latest state), a plan ending before the newest uploaded transaction means
   * segments in between are missing: fail rather than restore an older state in silence.
   */
  private void requireNoTrailingGap(String prefix, RestorePlan plan) {
    if (txid != null || timestamp != null) {
      return;
    }
    if (plan.newestTxid() > plan.targetTxid()) {
      long at = plan.targetTxid();
      throw new RestoreException(RestoreException.Kind.MISSING_OBJECT, "segments after txid " + at + " of lineage "
          + plan.lineage() + " are missing (the replica has transactions up to txid " + plan.newestTxid() + " under '"
          + prefix + "/lineages/" + plan.lineage() + "/segments/'); the newest restorable point is txid " + at,
          new ReplicaPosition(plan.lineage(), at), null);
    }
  }

  private int list(ObjectStore store, String prefix) {
    List<Restore.LineageSummary> all = Restore.list(store, prefix);
    if (all.isEmpty()) {
      throw new RestoreException(RestoreException.Kind.NOTHING_TO_RESTORE, "nothing to restore under "
          + store.describe() + " prefix '" + prefix + "' (no snapshot found)", null, null);
    }
    if (json) {
      List<Object> rows = new ArrayList<>();
      for (Restore.LineageSummary l : all) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lineage", l.lineage());
        m.put("snapshots", l.snapshots());
        m.put("segments", l.segments());
        m.put("rangesByLevel", l.rangesByLevel());
        m.put("firstTxid", l.firstTxid());
        m.put("lastTxid", l.lastTxid());
        m.put("everyTxidFrom", l.everyTxidFrom());
        m.put("firstUpload", l.firstUpload().toString());
        m.put("lastUpload", l.lastUpload().toString());
        m.put("bytes", l.bytes());
        rows.add(m);
      }
      out.println(json(Map.of("prefix", prefix, "lineages", rows)));
      return ExitCode.OK.code();
    }
    out.println("Replica " + prefix + " in " + store.describe() + " (oldest lineage first; every txid from 'every"
        + " txid from' to the last restores, before it only the ends of compacted ranges; ranges per level also make"
        + " restores read fewer objects):");
    out.printf(Locale.ROOT, "%-30s %9s %9s %-24s %-21s %15s %-24s %-24s %12s%n", "lineage", "snapshots", "segments",
        "ranges by level", "txids", "every txid from", "uploaded from", "uploaded to", "bytes");
    for (Restore.LineageSummary l : all) {
      out.printf(Locale.ROOT, "%-30s %9d %9d %-24s %-21s %15d %-24s %-24s %12d%n", l.lineage(), l.snapshots(),
          l.segments(), levels(l.rangesByLevel()), l.firstTxid() + ".." + l.lastTxid(), l.everyTxidFrom(),
          l.firstUpload(), l.lastUpload(), l.bytes());
    }
    return ExitCode.OK.code();
  }

  /** {@code 1:12 2:3}: level and count, or {@code -} for none. */
  private static String levels(Map<Integer, Integer> byLevel) {
    if (byLevel.isEmpty()) {
      return "-";
    }
    StringBuilder b = new StringBuilder();
    byLevel.forEach((level, n) -> b.append(b.length() == 0 ? "" : " ").append(level).append(':').append(n));
    return b.toString();
  }

  private int dryRun(RestorePlan plan, String prefix) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lineage", plan.lineage());
    m.put("snapshot", plan.snapshot());
    m.put("snapshotTxid", plan.snapshotTxid());
    m.put("segments", plan.segments().size() - plan.ranges());
    m.put("ranges", plan.ranges());
    m.put("targetTxid", plan.targetTxid());
    m.put("objects", plan.objects());
    m.put("bytes", plan.bytes());
    if (json) {
      out.println(json(m));
    } else {
      out.printf(Locale.ROOT, "Would restore %s (lineage %s) to txid %d: snapshot %s (txid %d) + %d segments + %d "
          + "compacted ranges = %d objects, %d bytes%n", prefix, plan.lineage(), plan.targetTxid(), plan.snapshot(),
          plan.snapshotTxid(), plan.segments().size() - plan.ranges(), plan.ranges(), plan.objects(), plan.bytes());
      Path existing = output == null ? null : existingDatabase(output);
      if (existing != null && !force) {
        out.println("Note: " + existing + " exists; the restore would need --force.");
      }
    }
    return ExitCode.OK.code();
  }

  /** Seconds to the millisecond, as the JSON output gives durations. */
  private static double seconds(Duration d) {
    return d.toMillis() / 1000.0;
  }

  private int ok(Map<String, Object> result) {
    if (json) {
      out.println(json(result));
    }
    return ExitCode.OK.code();
  }

  /** A line for people: stderr with --json (stdout stays machine-readable), else stdout. */
  private void info(String line) {
    (json ? err : out).println(line);
  }

  /** How this command reports a failure (the shared {@link Cli} setup prints it). */
  private final class Setup implements Cli.Setup {
    @Override
    public String linePrefix() {
      return "litevault-restore: error: ";
    }

    @Override
    public Set<ExitCode> exitCodes() {
      return EXIT_CODES;
    }

    @Override
    public Failure failure(Throwable e) {
      Failure f = Failure.of(e);
      return e instanceof RestoreException r ? new Failure(f.code(), f.message() + hint(r)) : f;
    }

    @Override
    public void failed(Failure f, Throwable e) {
      if (!json) {
        return;
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("error", f.message());
      m.put("exitCode", f.code().code());
      if (e instanceof RestoreException r && r.newestRestorable() != null && keyProblem(r) == null) {
        m.put("newestRestorableLineage", r.newestRestorable().lineage());
        m.put("newestRestorableTxid", r.newestRestorable().txid());
      }
      out.println(json(m));
    }
  }

  /** A key or scope the reader lacks, behind {@code e}, or null: settings to fix, not a damaged bucket. */
  /** {@code lead} then the --txid of the newest intact point, when the restore found one; else "". */
  private static String olderPoint(RestoreException e, String lead) {
    return e.newestRestorable() == null ? "" : lead + "the object is damaged: --txid " + e.newestRestorable().txid()
        + " restores the newest intact point";
  }

  private static ObjectDecryptionException.Reason keyProblem(Throwable e) {
    return ObjectDecryptionException.settingsProblem(e).map(ObjectDecryptionException::reason).orElse(null);
  }

  /** The exit codes this command documents: 0 to 10. */
  static final Set<ExitCode> EXIT_CODES = java.util.EnumSet.range(ExitCode.OK, ExitCode.OUTPUT_UNUSABLE);

  /** What to do next, in this command's flags (library messages name no flags). */
  private static String hint(RestoreException e) {
    ObjectDecryptionException.Reason key = keyProblem(e);
    if (key != null) {
      // Not a damaged object: an older point would drop every write since (reviews 30, 31), so no --txid here.
      return switch (key) {
        case SCOPE_REQUIRED -> " (add --key-scope with the scope the replicator wrote with)";
        case UNSCOPED_OBJECT -> " (--allow-unscoped-history reads history from before the scope was set)";
        case AUTHENTICATION_FAILED -> " (check --key-scope first: an object of another scope fails like a damaged "
            + "one" + olderPoint(e, "; only if the scope is right, ") + ")";
        default -> " (check --keyset-file or --keyset-env first: the keyset must hold that key"
            + olderPoint(e, "; only if it does, ") + ")";
      };
    }
    if (e.newestRestorable() != null) {
      return " (--txid " + e.newestRestorable().txid() + ")";
    }
    return switch (e.kind()) {
      case OUTPUT_EXISTS -> " (--force replaces it, only once the restore is verified)";
      case NO_SUCH_POINT, MISSING_OBJECT, CORRUPT_OBJECT -> " (see --list)";
      default -> "";
    };
  }

  /** ISO-8601 instants with an offset: {@code 2026-11-23T01:00:00Z}, {@code 2026-11-23T02:00:00+01:00}. */
  static final class InstantConverter implements CommandLine.ITypeConverter<Instant> {
    @Override
    public Instant convert(String value) {
      try {
        return OffsetDateTime.parse(value).toInstant();
      } catch (DateTimeParseException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not an ISO-8601 time with an offset, "
            + "e.g. 2026-11-23T01:00:00Z");
      }
    }
  }

  /** Jackson, loaded on first use (about 0.1 s in a fresh JVM; {@link Warmup} loads it off the main thread). */
  static final class Json {
    static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();

    private Json() {}
  }

  /** One line of {@code --json} output: maps, lists, strings, numbers, booleans and null, written by Jackson. */
  private static String json(Object value) {
    try {
      return Json.MAPPER.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON output: " + e.getOriginalMessage(), e);
    }
  }
}
