package io.litevault.bench;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.testing.ChildJvm;
import io.litevault.testing.EmbeddedS3;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Data lost per kill -9 with {@code Durability.LOCAL}, Litevault against Litestream 0.3.13, in one run
 * against one S3 server ({@link EmbeddedS3}, file-backed, in this JVM). Rounds alternate: Litevault,
 * Litestream, Litevault, ... Each round starts from a fresh directory and a fresh bucket prefix, writes
 * {@code rate} single-row transactions a second ({@link LossWriterMain}), kills the application (and, for
 * Litestream, its replicator process, in the same {@code kill -9} command) after a random delay, restores
 * the latest state from the bucket and computes seconds lost = timestamp of the last acknowledged write −
 * timestamp of the newest write in the restore.
 *
 * <p>Upload times are the modification times of the data objects in the server's directory (the moment
 * S3Proxy wrote each PUT's file): segments and snapshots for Litevault, {@code .wal.lz4} and
 * {@code .snapshot.lz4} for Litestream.
 */
public final class LossBench {
  /** The systems compared. */
  public enum Subject { LITEVAULT, LITESTREAM }

  /** What the CLI hands over. */
  public record Options(int rounds, int rate, long seed, double minKillSeconds, double maxKillSeconds, Path dir,
      Path litestream, String client, List<Subject> systems) {}

  /** One round's measurement; times are wall-clock milliseconds. */
  public record Round(Subject system, int round, double killDelaySeconds, long acks, long writingMs, long killMs,
      long lastAckSeq, long lastAckTs, long restoredSeq, long restoredTs, int exitCode, List<Long> uploads) {
    double lostSeconds() {
      return (lastAckTs - restoredTs) / 1000.0;
    }

    long lostWrites() {
      return lastAckSeq - restoredSeq;
    }

    double achievedRate() {
      return acks / ((killMs - writingMs) / 1000.0);
    }

    /** Data-object uploads that completed while the writer ran (what landed before the first write excluded). */
    List<Long> steadyUploads() {
      return uploads.stream().filter(t -> t > writingMs && t <= killMs).sorted().toList();
    }

    List<Long> intervals() {
      List<Long> u = steadyUploads();
      List<Long> d = new ArrayList<>();
      for (int i = 1; i < u.size(); i++) {
        d.add(u.get(i) - u.get(i - 1));
      }
      return d;
    }

    /**
     * The newest data object in the bucket: the upload that holds the newest restored write. Its PUT may
     * finish a few ms after {@code killMs} (the kill command is forked after that instant), so it is not
     * filtered by the kill time.
     */
    long lastUploadMs() {
      return uploads.stream().max(Long::compare).orElse(0L);
    }

    /** Kill time minus the last upload: how long the newest bucket state had waited. */
    double sinceLastUploadSeconds() {
      return uploads.isEmpty() ? Double.NaN : (killMs - lastUploadMs()) / 1000.0;
    }

    /** Last upload minus the newest write it held: cut-to-landed latency of that upload. */
    double ageAtUploadSeconds() {
      return uploads.isEmpty() ? Double.NaN : (lastUploadMs() - restoredTs) / 1000.0;
    }
  }

  private final Options o;
  private final PrintStream out;

  public LossBench(Options options, PrintStream out) {
    this.o = options;
    this.out = out;
  }

  public List<Round> run() throws Exception {
    Path work = o.dir() != null ? o.dir() : Files.createTempDirectory("litevault-loss-");
    Files.createDirectories(work);
    Random random = new Random(o.seed());
    List<Round> rounds = new ArrayList<>();
    say("work directory %s, seed %d, %d rounds each, %d writes/s, kill after %.0f–%.0f s", work, o.seed(), o.rounds(),
        o.rate(), o.minKillSeconds(), o.maxKillSeconds());
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(work.resolve("s3")).start();
        ObjectStore bucket = BenchSupport.minio(s3)) {
      say("S3 server %s", s3);
      for (int i = 0; i < o.rounds(); i++) {
        for (Subject system : o.systems()) {
          double delay = o.minKillSeconds() + random.nextDouble() * (o.maxKillSeconds() - o.minKillSeconds());
          Path dir = work.resolve(system.name().toLowerCase(Locale.ROOT) + "-" + i);
          Files.createDirectories(dir);
          Round r = system == Subject.LITEVAULT ? litevault(s3, bucket, dir, i, delay) : litestream(s3, dir, i, delay);
          rounds.add(r);
          say("%-10s round %2d: killed after %5.2f s (exit %d), %,6d acks (%.0f/s); last ack #%d; restored #%d: "
              + "lost %.3f s (%d writes); %d uploads meanwhile, mean interval %s ms; since last upload %.3f s, "
              + "newest write's age at upload %.3f s", system, i, r.killDelaySeconds(), r.exitCode(), r.acks(),
              r.achievedRate(), r.lastAckSeq(), r.restoredSeq(), r.lostSeconds(), r.lostWrites(),
              r.steadyUploads().size(), fmt(mean(r.intervals())), r.sinceLastUploadSeconds(), r.ageAtUploadSeconds());
        }
      }
    }
    out.println();
    out.print(table(rounds));
    return rounds;
  }

  // --- Litevault: one child JVM with the store and the replicator

  private Round litevault(EmbeddedS3 s3, ObjectStore bucket, Path dir, int round, double delay) throws Exception {
    String prefix = "litevault/round-" + round;
    Acks acks = new Acks();
    ChildJvm child = ChildJvm.start(LossWriterMain.class, acks::line, "litevault", dir.resolve("live").toString(),
        Integer.toString(o.rate()), s3.endpoint().toString(), s3.bucket(), prefix, s3.accessKey(), s3.secretKey(),
        o.client());
    try {
      acks.awaitWriting(child, 120);
      Thread.sleep((long) (delay * 1000));
      long killMs = System.currentTimeMillis();
      BenchSupport.kill9(child.pid());
      int exit = child.waitFor(30);
      Files.writeString(dir.resolve("child-stderr.txt"), child.stderr());
      Path restored = dir.resolve("restored.db");
      saveListing(s3, prefix, dir.resolve("objects-at-kill.txt"));
      Restore.run(RestoreOptions.builder(bucket, prefix, restored).build());
      saveListing(s3, prefix, dir.resolve("objects-after-restore.txt"));
      long[] newest = newest(restored);
      return new Round(Subject.LITEVAULT, round, delay, acks.count, acks.writingMs, killMs, acks.lastSeq, acks.lastTs,
          newest[0], newest[1], exit, BenchSupport.uploadTimes(s3, prefix, ".lvsg", ".lvsn"));
    } finally {
      child.close();
    }
  }

  // --- Litestream: the writer JVM and `litestream replicate`, killed together

  private Round litestream(EmbeddedS3 s3, Path dir, int round, double delay) throws Exception {
    String prefix = "litestream/round-" + round;
    Path db = dir.resolve("ls.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute(LossWriterMain.TABLE_DDL);
    }
    Litestream litestream = Litestream.configure(o.litestream(), dir, db, s3, s3.endpoint(), prefix);
    Process ls = litestream.replicate(dir.resolve("replicate.log"));
    ChildJvm child = null;
    try {
      // The generation's first snapshot lands before the clock starts, as for Litevault.
      litestream.awaitSnapshot(ls, prefix, dir.resolve("replicate.log"));
      Acks acks = new Acks();
      child = ChildJvm.start(LossWriterMain.class, acks::line, "sqlite", db.toString(), Integer.toString(o.rate()));
      acks.awaitWriting(child, 120);
      Thread.sleep((long) (delay * 1000));
      long killMs = System.currentTimeMillis();
      BenchSupport.kill9(child.pid(), ls.pid());
      int exit = child.waitFor(30);
      Files.writeString(dir.resolve("child-stderr.txt"), child.stderr());
      ls.waitFor(30, TimeUnit.SECONDS);
      saveListing(s3, prefix, dir.resolve("objects-at-kill.txt"));
      Path restored = dir.resolve("restored.db");
      litestream.restore(restored, dir.resolve("restore.log"));
      long[] newest = newest(restored);
      return new Round(Subject.LITESTREAM, round, delay, acks.count, acks.writingMs,
          killMs, acks.lastSeq, acks.lastTs, newest[0], newest[1], exit, BenchSupport.uploadTimes(s3, prefix, ".wal.lz4", ".snapshot.lz4"));
    } finally {
      if (child != null) {
        child.close();
      }
      ls.destroyForcibly();
    }
  }

  // --- shared

  /** The acknowledgements a child printed, in order (one stdout pump thread writes, the round reads after it). */
  private static final class Acks {
    private final CountDownLatch writing = new CountDownLatch(1);
    volatile long writingMs;
    volatile long count;
    volatile long lastSeq;
    volatile long lastTs;

    void line(String line) {
      if (line.startsWith("ack ")) {
        int sp = line.indexOf(' ', 4);
        lastSeq = Long.parseLong(line.substring(4, sp));
        lastTs = Long.parseLong(line.substring(sp + 1));
        count++;
      } else if (line.startsWith("writing ")) {
        writingMs = Long.parseLong(line.substring(8));
        writing.countDown();
      }
    }

    void awaitWriting(ChildJvm child, int seconds) throws InterruptedException {
      if (!writing.await(seconds, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the writer did not start; stderr:\n" + child.stderr());
      }
    }
  }

  /** {seq, ts} of the newest row in a restored database. */
  private static long[] newest(Path db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        ResultSet rs = c.createStatement().executeQuery("SELECT seq, ts FROM w ORDER BY seq DESC LIMIT 1")) {
      return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : new long[] {0, 0};
    }
  }

  /** Writes "mtime-ms size key" of every file under {@code prefix} to {@code file}, for the record. */
  private static void saveListing(EmbeddedS3 s3, String prefix, Path file) throws IOException {
    Path root = s3.directory().resolve(s3.bucket()).resolve(prefix);
    StringBuilder b = new StringBuilder();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
        b.append(Files.getLastModifiedTime(p).toMillis()).append(' ').append(Files.size(p)).append(' ')
            .append(root.relativize(p)).append('\n');
      }
    }
    Files.writeString(file, b.toString());
  }

  // --- the table

  static String table(List<Round> rounds) {
    StringBuilder b = new StringBuilder();
    b.append("| system | rounds | seconds lost: mean | median | max | min | writes lost: mean | upload interval ms: mean (min–max) "
        + "| since last upload at kill, s: mean | newest write's age at its upload, s: mean | writes/s achieved |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    double[] means = new double[Subject.values().length];
    double[] maxes = new double[Subject.values().length];
    for (Subject s : Subject.values()) {
      List<Round> rs = rounds.stream().filter(r -> r.system() == s).toList();
      if (rs.isEmpty()) {
        continue;
      }
      List<Double> lost = rs.stream().map(Round::lostSeconds).sorted().toList();
      List<Long> intervals = rs.stream().flatMap(r -> r.intervals().stream()).toList();
      means[s.ordinal()] = mean(lost);
      maxes[s.ordinal()] = lost.get(lost.size() - 1);
      b.append(String.format(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.0f | %s (%s–%s) | %.3f | %.3f | %.0f |\n",
          s == Subject.LITEVAULT ? "Litevault LOCAL" : "Litestream 0.3.13", rs.size(), means[s.ordinal()], median(lost),
          maxes[s.ordinal()], lost.get(0), mean(rs.stream().map(r -> (double) r.lostWrites()).toList()),
          fmt(mean(intervals)), intervals.isEmpty() ? "-" : Long.toString(intervals.stream().min(Long::compare).get()),
          intervals.isEmpty() ? "-" : Long.toString(intervals.stream().max(Long::compare).get()),
          mean(rs.stream().map(Round::sinceLastUploadSeconds).toList()),
          mean(rs.stream().map(Round::ageAtUploadSeconds).toList()),
          mean(rs.stream().map(Round::achievedRate).toList())));
    }
    if (means[0] > 0 && means[1] > 0) {
      b.append(String.format(Locale.ROOT, "%nLitevault / Litestream: mean %.2f, max %.2f%n", means[0] / means[1],
          maxes[0] / maxes[1]));
    }
    return b.toString();
  }

  private static double mean(List<? extends Number> xs) {
    return xs.stream().mapToDouble(Number::doubleValue).filter(d -> !Double.isNaN(d)).average().orElse(Double.NaN);
  }

  private static double median(List<Double> sorted) {
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static String fmt(double d) {
    return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.0f", d);
  }

  private void say(String format, Object... args) {
    out.println(String.format(Locale.ROOT, format, args));
    out.flush();
  }
}
