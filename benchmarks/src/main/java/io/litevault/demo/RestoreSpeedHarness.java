package io.litevault.demo;

import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestorePlan;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.bucket.ObjectStore;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The restore speed target, timed in one run: a database of {@code --size-mib} (1 GiB by default, large
 * blobs written in big transactions) is replicated to a file-backed {@link EmbeddedS3} (its first snapshot),
 * then {@code --transactions} small transactions are committed one by one (200,000 by default: each is its
 * own store transaction, shipped in segments). Then it times (a) copying the database file on the same disk
 * ({@code Files.copy} + fsync) and (b) {@link Restore#run} of the latest state from the bucket (download,
 * chain verification, {@code PRAGMA integrity_check}, rename), and prints the ratio b / a (target: at most 3).
 * Both start warm (the file and the bucket's files were just written; caches are not dropped on a shared
 * machine).
 */
@Command(name = "restore-speed", mixinStandardHelpOptions = true,
    description = "Times Restore.run of a large replicated database against copying the file.")
public final class RestoreSpeedHarness implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--dir", description = "working directory (default: a fresh temporary directory; needs ~4x the size free)")
  Path dir;

  @Option(names = "--size-mib", defaultValue = "1024", description = "database size before the small transactions (default: ${DEFAULT-VALUE})")
  int sizeMib;

  @Option(names = "--transactions", defaultValue = "200000", description = "small transactions after the snapshot (default: ${DEFAULT-VALUE})")
  int transactions;

  @Option(names = "--client", defaultValue = "minio", description = "minio or aws (default: ${DEFAULT-VALUE})")
  String client;

  @Option(names = "--integrity-check", defaultValue = "FULL", description = "FULL, QUICK or NONE (default: ${DEFAULT-VALUE})")
  io.litevault.replication.restore.IntegrityCheck check;

  @Option(names = "--reuse", description = "reuse the database and bucket a previous run left in --dir; time again")
  boolean reuse;

  @Option(names = "--rounds", defaultValue = "1", description = "time copy and restore this many times (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--parallelism", defaultValue = "4", description = "restore parallelism; 1 reads a snapshot in one stream (default: ${DEFAULT-VALUE})")
  int parallelism;

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.exit(new CommandLine(new RestoreSpeedHarness()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path work = dir != null ? dir : Files.createTempDirectory("litevault-restore-speed-");
    Path live = work.resolve("live");
    try (EmbeddedS3 s3 = EmbeddedS3.builder().filesystem(work.resolve("bucket")).start();
        ObjectStore bucket = open(s3)) {
      DatabaseOptions options = DatabaseOptions.builder()
          .migration(1, "blobs", "CREATE TABLE blob(id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
          .migration(2, "small", "CREATE TABLE small(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
          .build();
      long smallTxids;
      if (!reuse) {
      try (SqliteStore store = SqliteStore.builder(live).database("data", options).open()) {
        Database db = store.database("data");
        long t0 = System.nanoTime();
        fill(db);
        say("built a %d MiB database in %.1f s", Files.size(live.resolve("data.db")) >> 20, secs(t0));
        t0 = System.nanoTime();
        try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, "litevault/data").build())) {
          long first = db.lastTxid();
          for (int i = 0; i < transactions; i++) {
            int n = i;
            db.writeAndWait(c -> {
              try (PreparedStatement ps = c.prepareStatement("INSERT INTO small(v) VALUES (?)")) {
                ps.setString(1, "transaction " + n + " " + Long.toHexString(ThreadLocalRandom.current().nextLong()));
                return ps.executeUpdate();
              }
            });
          }
          smallTxids = db.lastTxid() - first;
          if (!r.awaitReplicated(db.lastTxid(), Duration.ofMinutes(10))) {
            throw new IllegalStateException("replication did not catch up: " + r.health());
          }
          say("snapshot + %,d small transactions (%,d store txids) replicated in %.1f s: %s", transactions, smallTxids,
              secs(t0), r.metrics());
        }
      }
      }
      Path source = live.resolve("data.db");
      long size = Files.size(source);

      for (int round = 1; round <= rounds; round++) {
        say("round %d:", round);
        Path copy = work.resolve("copy").resolve("data.db");
        Files.createDirectories(copy.getParent());
        Files.deleteIfExists(copy);
        long c0 = System.nanoTime();
        Files.copy(source, copy);
        try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
        double copySecs = secs(c0);

        Path restored = work.resolve("restored").resolve("data.db");
        RestoreOptions ro = RestoreOptions.builder(bucket, "litevault/data", restored).integrityCheck(check).parallelism(parallelism)
            .force(true).build();
        RestorePlan plan = Restore.plan(ro);
        long r0 = System.nanoTime();
        RestoreResult result = Restore.run(ro);
        double restoreSecs = secs(r0);
        say("copy of the %,d-byte file (Files.copy + fsync): %.2f s", size, copySecs);
        say("Restore.run (%s check): %.2f s: %d objects (snapshot + %d segments), %.1f MiB downloaded, txid %d",
            check, restoreSecs, result.objects(), plan.segments().size(), result.bytes() / 1048576.0, result.txid());
        say("ratio restore / copy = %.2f (target <= 3)", restoreSecs / copySecs);
      }
      say("files under %s (delete when done)", work);
      return 0;
    }
  }

  private ObjectStore open(EmbeddedS3 s3) {
    S3Options o = S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString()).region(s3.region())
        .credentials(s3.accessKey(), s3.secretKey()).build();
    return "aws".equals(client) ? S3ObjectStore.create(o) : MinioObjectStore.create(o);
  }

  /** Fills the database with 1 MiB blobs, 16 per transaction (half random, half text: compresses like real data). */
  private void fill(Database db) {
    int blobs = sizeMib;
    for (int done = 0; done < blobs; done += 16) {
      int count = Math.min(16, blobs - done);
      db.writeAndWait(c -> {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO blob(payload) VALUES (?)")) {
          byte[] b = new byte[1 << 20];
          for (int i = 0; i < count; i++) {
            ThreadLocalRandom.current().nextBytes(b);
            java.util.Arrays.fill(b, b.length / 2, b.length, (byte) ('a' + i));
            ps.setBytes(1, b);
            ps.addBatch();
          }
          return ps.executeBatch().length;
        }
      });
    }
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static void say(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
  }
}
