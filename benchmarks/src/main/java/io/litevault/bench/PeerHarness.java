package io.litevault.bench;

import io.litevault.cli.RestoreCommand;
import io.litevault.testing.ChildJvm;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.FaultProxy;
import io.litevault.testing.Traffic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 14's peer benchmark: the same write workload through a plain sqlite-jdbc application replicated
 * by Litestream 0.3.13 and through Litevault LOCAL and REPLICATED, against one S3 server (file-backed
 * {@link EmbeddedS3} in this JVM) behind one request counter ({@link FaultProxy} with no fault armed).
 *
 * <p>Per system and round, from a fresh directory and bucket prefix: the writer ({@link PeerWriterMain}, a
 * child JVM; for Litestream also {@code litestream replicate}, started first and waited for until its
 * first snapshot is in the bucket, as Litevault's writer puts its lineage's snapshot before the clock
 * starts) writes for the window; between its {@code writing} and {@code summary} lines this JVM takes the
 * CPU time of the writer and of litestream ({@code /proc/<pid>/stat}) and the request counts. The writer
 * writes on; after a random delay one {@code kill -9} takes the writer and litestream down together; the
 * latest state is restored ({@code litestream restore}; Litevault's {@code restore} command in a child
 * JVM, as a user would run it), timed, its requests counted, and every acknowledged write looked up in it.
 */
@Command(name = "peer-harness", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Litestream 0.3.13 vs Litevault LOCAL and REPLICATED: same workload, same S3 server, one run.")
public final class PeerHarness implements Callable<Integer> {
  /** The systems compared. */
  enum Subject {
    LITESTREAM("plain sqlite-jdbc + Litestream 0.3.13", "sqlite"),
    LITEVAULT_LOCAL("Litevault LOCAL", "litevault-local"),
    LITEVAULT_REPLICATED("Litevault REPLICATED", "litevault-replicated");

    final String title;
    final String mode;

    Subject(String title, String mode) {
      this.title = title;
      this.mode = mode;
    }
  }

  @Option(names = "--dir", description = "working directory, emptied first (default: a fresh temporary directory)")
  Path dir;

  @Option(names = "--rate", defaultValue = "500", description = "single-row transactions a second, open loop "
      + "(default: ${DEFAULT-VALUE})")
  int rate;

  @Option(names = "--max", description = "instead of --rate: --callers threads writing back to back, as fast as "
      + "acknowledgements come")
  boolean max;

  @Option(names = "--callers", defaultValue = "1", description = "threads in --max mode (default: ${DEFAULT-VALUE})")
  int callers;

  @Option(names = "--warmup-seconds", defaultValue = "10", description = "written the same way before the window, "
      + "not measured (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--seconds", defaultValue = "60", description = "measured window per system (default: ${DEFAULT-VALUE})")
  int seconds;

  @Option(names = "--rounds", defaultValue = "1", description = "rounds; each runs every system once (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--systems", split = ",", defaultValue = "LITESTREAM,LITEVAULT_LOCAL,LITEVAULT_REPLICATED",
      description = "which to run, in this order (default: ${DEFAULT-VALUE})")
  List<Subject> systems;

  @Option(names = "--litestream", description = "the litestream 0.3.13 binary (default: the npm package under /tmp/ls)")
  Path litestream;

  @Option(names = "--kill-min-seconds", defaultValue = "1", description = "kill delay after the window, lower bound "
      + "(default: ${DEFAULT-VALUE})")
  double killMin;

  @Option(names = "--kill-max-seconds", defaultValue = "3", description = "upper bound (default: ${DEFAULT-VALUE})")
  double killMax;

  @Option(names = "--seed", description = "seed of the kill delays (default: random, printed)")
  Long seed;

  @Option(names = "--client", defaultValue = "minio", description = "Litevault's S3 client: minio or aws "
      + "(default: ${DEFAULT-VALUE})")
  String client;

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.exit(new CommandLine(new PeerHarness()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  /** What one system did in one round. */
  record Result(Subject system, int round, Window window, Traffic.Snapshot traffic, double appCpu, double litestreamCpu,
      double serverCpu, String threads, double restoreSeconds, double restoreProper, Traffic.Snapshot restoreTraffic, long restoredRows,
      long acked, long lost, double lostSeconds, double killDelay) {
    double per1000(double x) {
      return x * 1000 / window.issued;
    }

    /** CPU seconds of the writer JVM's JIT compiler threads in the window (from {@link #threads}). */
    double jitCpu() {
      double ms = 0;
      for (String t : threads.split(" ")) {
        if (t.startsWith("C1_") || t.startsWith("C2_")) {
          ms += Double.parseDouble(t.substring(t.lastIndexOf(':') + 1));
        }
      }
      return ms / 1000;
    }
  }

  /** The writer's {@code summary} line. */
  record Window(long first, long measured, long issued, double seconds, double p50, double p99, double p999, double max) {
    static Window parse(String line) {
      Map<String, String> kv = new HashMap<>();
      for (String part : line.substring("summary ".length()).split(" ")) {
        int eq = part.indexOf('=');
        kv.put(part.substring(0, eq), part.substring(eq + 1));
      }
      return new Window(Long.parseLong(kv.get("first")), Long.parseLong(kv.get("measured")), Long.parseLong(kv.get("issued")),
          Double.parseDouble(kv.get("seconds")), Double.parseDouble(kv.get("p50")), Double.parseDouble(kv.get("p99")),
          Double.parseDouble(kv.get("p999")), Double.parseDouble(kv.get("max")));
    }

    double rate() {
      return measured / seconds;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (rounds < 1 || seconds < 1 || warmup < 0 || (!max && rate < 1) || callers < 1 || killMin <= 0 || killMax < killMin) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "need rounds, seconds, rate, callers >= 1 and 0 < kill-min <= kill-max");
    }
    Path binary = Litestream.find(litestream);
    List<Subject> run = new ArrayList<>(systems);
    if (run.contains(Subject.LITESTREAM) && (binary == null || !Files.isExecutable(binary))) {
      say("SKIPPED: Litestream — %s", Litestream.missing(binary));
      run.remove(Subject.LITESTREAM);
    }
    Path work = dir != null ? dir : Files.createTempDirectory("litevault-peer-");
    BenchSupport.deleteRecursively(work);
    Files.createDirectories(work);
    long s = seed != null ? seed : System.nanoTime();
    Random random = new Random(s);
    say("work directory %s, seed %d, %s, %d s warm-up + %d s measured per system, %d round(s), kill %.1f–%.1f s "
        + "after the window", work, s, max ? "as fast as possible, " + callers + " caller(s)" : rate + " writes/s",
        warmup, seconds, rounds, killMin, killMax);
    List<Result> results = new ArrayList<>();
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(work.resolve("s3")).start();
        FaultProxy counter = FaultProxy.start(s3.endpoint())) {
      say("S3 server %s, counted through %s", s3, counter.endpoint());
      for (int round = 0; round < rounds; round++) {
        for (Subject system : run) {
          double delay = killMin + random.nextDouble() * (killMax - killMin);
          Result r = round(s3, counter, binary, work, system, round, delay);
          results.add(r);
          say("%s round %d: %.0f writes/s, ack p50 %.2f p99 %.2f max %.2f ms; requests %s; PUTs by object %s; "
              + "%.1f KB up/1,000 writes; CPU s/1,000 writes: app %.3f, litestream %.3f, S3 server JVM %.3f; "
              + "restore %.2f s (proper %.2f s; %s); killed %.2f s after the window: %d of %d acknowledged writes lost",
              system.title, round, r.window.rate(), r.window.p50, r.window.p99, r.window.max, r.traffic.requests(),
              r.traffic.putsByKind(), r.per1000(r.traffic.bytesUp()) / 1000, r.per1000(r.appCpu),
              r.per1000(r.litestreamCpu), r.per1000(r.serverCpu), r.restoreSeconds, r.restoreProper, r.restoreTraffic.requests(),
              r.killDelay, r.lost, r.acked);
          say("  writer JVM threads, CPU ms in the window: %s", r.threads);
        }
      }
    }
    System.out.println();
    System.out.print(table(results));
    return 0;
  }

  private Result round(EmbeddedS3 s3, FaultProxy counter, Path binary, Path work, Subject system, int round,
      double delay) throws Exception {
    Path d = work.resolve(system.mode + "-" + round);
    Files.createDirectories(d);
    String parent = "peer/" + system.mode + "-" + round;
    String rateArg = max ? "0" : Integer.toString(rate);
    Lines lines = new Lines(counter);
    Litestream ls = null;
    Process replicate = null;
    ChildJvm child = null;
    try {
      if (system == Subject.LITESTREAM) {
        Path db = d.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
          st.execute("PRAGMA journal_mode=WAL");
          st.execute(LossWriterMain.TABLE_DDL);
        }
        ls = Litestream.configure(binary, d, db, s3, counter.endpoint(), parent);
        replicate = ls.replicate(d.resolve("replicate.log"));
        ls.awaitSnapshot(replicate, parent, d.resolve("replicate.log"));
        lines.litestreamPid = replicate.pid();
        child = ChildJvm.start(PeerWriterMain.class, lines::line, system.mode, db.toString(), rateArg,
            Integer.toString(warmup), Integer.toString(seconds), Integer.toString(callers));
      } else {
        child = ChildJvm.start(PeerWriterMain.class, lines::line, system.mode, d.resolve("live").toString(), rateArg,
            Integer.toString(warmup), Integer.toString(seconds), Integer.toString(callers), counter.endpoint().toString(), s3.bucket(),
            parent + "/data", s3.accessKey(), s3.secretKey(), client);
      }
      lines.pid = child.pid();
      if (!lines.summary.await(seconds + 300L, TimeUnit.SECONDS)) {
        throw new IllegalStateException(system + ": no summary from the writer; stderr:\n" + child.stderr());
      }
      Thread.sleep((long) (delay * 1000));
      if (replicate != null) {
        BenchSupport.kill9(child.pid(), replicate.pid());
        replicate.waitFor(30, TimeUnit.SECONDS);
      } else {
        BenchSupport.kill9(child.pid());
      }
      child.waitFor(30);
      Files.writeString(d.resolve("writer-stderr.txt"), child.stderr());

      Path restored = d.resolve("restored.db");
      Traffic.Snapshot beforeRestore = counter.traffic().snapshot();
      long t0 = System.nanoTime();
      double restoreOwn = Double.NaN;
      if (ls != null) {
        ls.restore(restored, d.resolve("restore.log"));
      } else {
        restoreOwn = restoreLitevault(s3, counter, parent, restored);
      }
      double restoreSeconds = (System.nanoTime() - t0) / 1e9;
      double restoreProper = ls != null ? restoreSeconds : restoreOwn;
      Traffic.Snapshot restoreTraffic = counter.traffic().snapshot().minus(beforeRestore);

      BitSet present = new BitSet();
      long rows = 0;
      long newestTs = 0;
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + restored);
          ResultSet rs = c.createStatement().executeQuery("SELECT seq, ts FROM w")) {
        while (rs.next()) {
          present.set((int) rs.getLong(1));
          newestTs = Math.max(newestTs, rs.getLong(2));
          rows++;
        }
      }
      // Acknowledged: every write of the warm-up and the window (the summary waits for them all, and they are
      // acknowledged in order) and each later write that printed its ack.
      long windowEnd = lines.window.first() + lines.window.measured();
      long acked = windowEnd - 1 + lines.tailAcks.size();
      long lost = 0;
      long newestLostTs = 0;
      for (long seq = 1; seq < windowEnd; seq++) {
        if (!present.get((int) seq)) {
          lost++;
        }
      }
      for (long[] ack : lines.tailAcks) {
        if (!present.get((int) ack[0])) {
          lost++;
          newestLostTs = Math.max(newestLostTs, ack[1]);
        }
      }
      double lostSeconds = lost == 0 ? 0 : Math.max(0, newestLostTs - newestTs) / 1000.0;
      return new Result(system, round, lines.window, lines.traffic, lines.appCpu, lines.litestreamCpu, lines.serverCpu,
          lines.threads, restoreSeconds, restoreProper, restoreTraffic, rows, acked, lost, lostSeconds, delay);
    } finally {
      if (child != null) {
        child.close();
      }
      if (replicate != null) {
        replicate.destroyForcibly();
      }
    }
  }

  /**
   * Litevault's {@code restore} command in a child JVM, through the counter, as a user would run it (its
   * default S3 client; the JSON result, with the phases, kept beside the output). Returns the restore's own
   * {@code seconds} (listing to rename: without the JVM's and the S3 client's start).
   */
  private double restoreLitevault(EmbeddedS3 s3, FaultProxy counter, String parent, Path out) throws Exception {
    StringBuilder stdout = new StringBuilder();
    try (ChildJvm restore = ChildJvm.start(Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY",
        s3.secretKey()), RestoreCommand.class, l -> stdout.append(l).append('\n'), "--source",
        "s3://" + s3.bucket() + "/" + parent, "--database", "data", "--output", out.toString(),
        "--endpoint", counter.endpoint().toString(), "--region", s3.region(), "--json")) {
      int exit = restore.waitFor(300);
      Files.writeString(out.resolveSibling("restore.json"), stdout + restore.stderr());
      if (exit != 0) {
        throw new IllegalStateException("restore exited " + exit + ": " + stdout + restore.stderr());
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"seconds\":([0-9.]+)").matcher(stdout);
      return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
  }

  /**
   * The writer's stdout, read by its pump thread: at {@code writing} and {@code summary} the CPU times and
   * request counts are taken there and then.
   */
  private static final class Lines {
    final CountDownLatch summary = new CountDownLatch(1);
    final List<long[]> tailAcks = new ArrayList<>();
    final FaultProxy counter;
    volatile long pid;
    volatile long litestreamPid = -1;
    double[] cpuAtStart;
    Traffic.Snapshot trafficAtStart;
    volatile Window window;
    volatile Traffic.Snapshot traffic;
    volatile double appCpu;
    volatile double litestreamCpu;
    volatile double serverCpu;
    volatile String threads = "";

    Lines(FaultProxy counter) {
      this.counter = counter;
    }

    void line(String line) {
      if (line.startsWith("ack ")) {
        int sp = line.indexOf(' ', 4);
        synchronized (tailAcks) {
          tailAcks.add(new long[] {Long.parseLong(line.substring(4, sp)), Long.parseLong(line.substring(sp + 1))});
        }
      } else if (line.startsWith("writing ")) {
        while (pid == 0) {
          Thread.onSpinWait(); // set as soon as ChildJvm.start returns, long before the child's first line
        }
        cpuAtStart = cpu();
        trafficAtStart = counter.traffic().snapshot();
      } else if (line.startsWith("threads ")) {
        threads = line.substring("threads ".length());
      } else if (line.startsWith("summary ")) {
        double[] now = cpu();
        traffic = counter.traffic().snapshot().minus(trafficAtStart);
        appCpu = now[0] - cpuAtStart[0];
        litestreamCpu = litestreamPid < 0 ? 0 : now[1] - cpuAtStart[1];
        serverCpu = now[2] - cpuAtStart[2];
        window = Window.parse(line);
        summary.countDown();
      }
    }

    private double[] cpu() {
      return new double[] {BenchSupport.cpuSeconds(pid),
          litestreamPid < 0 ? 0 : BenchSupport.cpuSeconds(litestreamPid), BenchSupport.cpuSeconds(ProcessHandle.current().pid())};
    }
  }

  // --- the table

  static String table(List<Result> results) {
    StringBuilder b = new StringBuilder();
    b.append("| system | round | writes/s | ack p50 / p99 / p99.9 / max (ms) | PUT | GET | LIST | HEAD | DELETE "
        + "| KB up | CPU s: app JVM (of it JIT) | litestream | app + litestream | S3 server JVM | restore s: wall (proper) | restore GET/LIST | rows restored "
        + "| writes lost of acked (s) |\n");
    b.append("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|\n");
    for (Result r : results) {
      Traffic.Snapshot t = r.traffic;
      b.append(String.format(Locale.ROOT,
          "| %s | %d | %.0f | %.2f / %.2f / %.2f / %.2f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.3f (%.3f) | %s | %.3f | %.3f "
              + "| %.2f (%.2f) | %d/%d | %,d | %d of %,d (%.3f) |\n",
          r.system.title, r.round, r.window.rate(), r.window.p50, r.window.p99, r.window.p999, r.window.max,
          r.per1000(t.requests("PUT")), r.per1000(t.requests("GET")), r.per1000(t.requests("LIST")),
          r.per1000(t.requests("HEAD")), r.per1000(t.requests("DELETE")), r.per1000(t.bytesUp()) / 1000,
          r.per1000(r.appCpu), r.per1000(r.jitCpu()), r.system == Subject.LITESTREAM ? String.format(Locale.ROOT, "%.3f", r.per1000(r.litestreamCpu)) : "-",
          r.per1000(r.appCpu + r.litestreamCpu), r.per1000(r.serverCpu), r.restoreSeconds, r.restoreProper,
          r.restoreTraffic.requests("GET"), r.restoreTraffic.requests("LIST"), r.restoredRows, r.lost, r.acked,
          r.lostSeconds));
    }
    b.append("\nRequests, KB and CPU seconds are per 1,000 writes of the window. ");
    Map<Subject, Double> cpu = results.stream().collect(Collectors.groupingBy(Result::system,
        Collectors.averagingDouble(r -> r.per1000(r.appCpu + r.litestreamCpu))));
    if (cpu.containsKey(Subject.LITESTREAM) && cpu.containsKey(Subject.LITEVAULT_LOCAL)) {
      b.append(String.format(Locale.ROOT, "CPU per 1,000 writes, Litevault LOCAL JVM / (plain app JVM + litestream): "
          + "%.3f / %.3f = %.2f", cpu.get(Subject.LITEVAULT_LOCAL), cpu.get(Subject.LITESTREAM),
          cpu.get(Subject.LITEVAULT_LOCAL) / cpu.get(Subject.LITESTREAM)));
      if (cpu.containsKey(Subject.LITEVAULT_REPLICATED)) {
        b.append(String.format(Locale.ROOT, "; REPLICATED: %.3f (%.2f)", cpu.get(Subject.LITEVAULT_REPLICATED),
            cpu.get(Subject.LITEVAULT_REPLICATED) / cpu.get(Subject.LITESTREAM)));
      }
    }
    b.append('\n');
    return b.toString();
  }

  private static void say(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
    System.out.flush();
  }
}
