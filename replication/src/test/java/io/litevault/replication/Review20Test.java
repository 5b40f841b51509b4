package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.SegmentVersions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review 20: segment format version 2 (XORed page images). */
class Review20Test {
  private static int exec(Connection c, String sql) throws java.sql.SQLException {
    try (Statement s = c.createStatement()) {
      return s.executeUpdate(sql);
    }
  }

  /**
   * Bug (regression against 2353aa9, the format change's own goal inverted): version 2 makes the bucket's
   * segments about twice as large as version 1 did for an ordinary workload — rows whose text is rewritten
   * and moves inside its pages (UPDATE ... SET v = new || old, cut to a length). The writer XORs a page's
   * later image whenever the XOR has fewer non-zero bytes than the image; on pages of text whose cells
   * moved, that XOR is nearly as dense as the image and random-looking, while zstd compressed the whole
   * later image to almost nothing as a match of the earlier one. Every multi-transaction segment grows
   * (here 250,298 bytes as version 1, 506,279 as written; each segment 14-155% larger), which also
   * costs upload bytes, storage and every tier's copy, and pushes more segments past the 5 MiB create-only
   * limit. Correct behaviour: the new encoding never writes a segment larger than the previous release
   * would have (choose per segment, or per image by what the codec gains). The branch's next commit
   * (632ae35, "encode both versions ... keeping the smaller") makes this test pass.
   */
  @Test
  void version2SegmentsAreNotLargerThanVersion1(@TempDir Path root) throws Exception {
    Random random = new Random(7);
    String prefix = "r20/grow";
    try (ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(root.resolve("bucket")))) {
      ReplicatorOptions options = ReplicatorOptions.builder(bucket, prefix).minUploadInterval(Duration.ofMillis(500))
          .build();
      try (SqliteStore store = SqliteStore.builder(root.resolve("live")).database("data", DatabaseOptions.builder()
          .holdWalUntilGate(true)
          .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, v TEXT NOT NULL)").build()).open()) {
        Database db = store.database("data");
        try (Replicator replicator = Replicator.start(db, options)) {
          replicator.write(c -> {
            try (var ps = c.prepareStatement("INSERT INTO t(id, n, v) VALUES (?, 0, ?)")) {
              for (int i = 0; i < 300; i++) {
                ps.setInt(1, i);
                ps.setString(2, "row " + i + " " + Long.toHexString(random.nextLong()).repeat(1 + random.nextInt(8)));
                ps.executeUpdate();
              }
            }
            return null;
          }, Durability.REPLICATED).get();
          for (int w = 0; w < 1500; w++) {
            int id = random.nextInt(300);
            String text = Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
            db.write(c -> {
              try (var ps = c.prepareStatement("UPDATE t SET n = n + 1, v = substr(? || v, 1, 600) WHERE id = ?")) {
                ps.setString(1, text);
                ps.setInt(2, id);
                return ps.executeUpdate();
              }
            });
            if (w % 100 == 99) {
              Thread.sleep(300);
            }
          }
          long last = replicator.write(c -> exec(c, "UPDATE t SET n = n + 1 WHERE id = 0"), Durability.REPLICATED)
              .thenApply(x -> db.lastTxid()).get();
          assertTrue(replicator.awaitReplicated(last, Duration.ofSeconds(60)));
        }
      }
      long v2Total = 0;
      long v1Total = 0;
      int larger = 0;
      int segments = 0;
      StringBuilder report = new StringBuilder();
      try (var listed = bucket.list(prefix + "/")) {
        for (ObjectInfo o : (Iterable<ObjectInfo>) listed::iterator) {
          if (o.key().endsWith(".lvsg")) {
            byte[] v2;
            try (var in = bucket.get(o.key())) {
              v2 = in.readAllBytes();
            }
            byte[] v1 = SegmentVersions.asVersion1(v2, o.key());
            segments++;
            v2Total += v2.length;
            v1Total += v1.length;
            larger += v2.length > v1.length ? 1 : 0;
            report.append(o.key().substring(o.key().lastIndexOf('/') + 1)).append(' ').append(v1.length).append(" -> ")
                .append(v2.length).append('\n');
          }
        }
      }
      assertTrue(v2Total <= v1Total, "the bucket's " + segments + " segments weigh " + v2Total + " bytes as written (version 2), "
          + v1Total + " as the previous release wrote them (version 1); " + larger + " of them grew:\n" + report);
    }
  }

  /**
   * Bug (regression against 2353aa9): after this release has replicated a database, rolling the service back
   * to the previous release (a bad deploy undone: the house plan's "a bad deploy loses nothing") leaves it
   * unable to replicate at all. The previous release reads the tip of the newest lineage to resume it
   * ({@code LineageCatalog.newestTip}, a ranged read of the newest segment's header) and refuses version 2
   * there ("segment format version 2 is not supported (this code reads 1)"); the shipper retries that step
   * forever, so its REPLICATED writes are never acknowledged and its LOCAL writes pile up in the WAL, never in
   * the bucket. FORMAT.md ("Compatibility") only asks to upgrade readers before the writer; nothing warns
   * that the writer cannot be rolled back, and nothing lets a release write version 1 until every process is
   * upgraded. The child JVM here is exactly the previous release: replication's only main-code change in
   * 2353aa9..b268042 is SegmentCodec, so the child runs this build's classes with 2353aa9's SegmentCodec (kept
   * as a test resource, compiled here) in front. Correct behaviour: the release before keeps replicating a
   * bucket this release wrote (version 2 written only once enabled, after every reader and writer reads it),
   * or at the very least refuses at Replicator.start; on b268042 the child's REPLICATED write times out. Also
   * fails on the branch's head (bfc6117): its rule "version 2 only when smaller" still writes this tip segment
   * (a hot page, 300 KB of other pages, the hot page again) as version 2, so whether a rollback works depends
   * on which segment happens to be newest.
   */
  @Test
  void thePreviousReleaseCannotReplicateAfterARollback(@TempDir Path root) throws Exception {
    Path live = root.resolve("live");
    Path bucketDir = Files.createDirectories(root.resolve("bucket"));
    try (ObjectStore bucket = FileSystemObjectStore.create(bucketDir);
        SqliteStore store = SqliteStore.builder(live).database("data", options()).open()) {
      Database db = store.database("data");
      try (Replicator replicator = Replicator.start(db, ReplicatorOptions.builder(bucket, "rollback/data")
          .minUploadInterval(Duration.ofSeconds(10)).build())) {
        for (int i = 0; i < 5; i++) {
          int n = i;
          replicator.write(c -> exec(c, "INSERT INTO t(id, n, v) VALUES (" + n + ", 0, 'row')"), Durability.REPLICATED)
              .get();
        }
        // The newest segment: a counter's page, 300 KB of other pages, the counter's page again (so that also
        // the branch's later rule, "version 2 only when smaller", writes it as version 2).
        byte[] noise = new byte[300_000];
        new Random(1).nextBytes(noise);
        db.write(c -> exec(c, "UPDATE t SET n = n + 1 WHERE id = 0")).get();
        db.write(c -> {
          try (var ps = c.prepareStatement("INSERT INTO t(id, n, v) VALUES (1000, 0, ?)")) {
            ps.setBytes(1, noise);
            return ps.executeUpdate();
          }
        }).get();
        replicator.write(c -> exec(c, "UPDATE t SET n = n + 1 WHERE id = 0"), Durability.REPLICATED).get();
      }
    }
    // The previous release: 2353aa9's SegmentCodec compiled in front of this build's classes.
    Path old = Files.createDirectories(root.resolve("old-classes"));
    Path src = Files.createDirectories(root.resolve("old-src/io/litevault/replication/format")).resolve("SegmentCodec.java");
    try (var in = Review20Test.class.getResourceAsStream("/review20/SegmentCodec-2353aa9.java.txt")) {
      Files.write(src, in.readAllBytes());
    }
    javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
    assertEquals(0, javac.run(null, null, null, "-d", old.toString(), "-cp", System.getProperty("java.class.path"),
        src.toString()));
    java.util.List<String> cmd = java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", old + java.io.File.pathSeparator + System.getProperty("java.class.path"),
        PreviousRelease.class.getName(), live.toString(), bucketDir.toString(), "rollback/data");
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (out) {
            out.append(line).append('\n');
          }
        }
      } catch (java.io.IOException ignored) {
        // the child ended
      }
    });
    reader.start();
    if (!child.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)) {
      child.destroyForcibly();
    }
    reader.join(5000);
    String output;
    synchronized (out) {
      output = out.toString();
    }
    String verdict = output.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse("no result:\n" + output);
    assertTrue(output.contains("SEGMENT FORMAT VERSION 1"), "the child is not the previous release:\n" + output);
    assertEquals("RESULT ACK", verdict, "the previous release, rolled back to, could not replicate");
  }

  private static DatabaseOptions options() {
    return DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, v TEXT NOT NULL)").build();
  }

  /** The previous release's replicator on the same files and bucket (run in a child JVM). */
  static final class PreviousRelease {
    public static void main(String[] args) throws Exception {
      java.lang.reflect.Field version = Class.forName("io.litevault.replication.format.SegmentCodec")
          .getDeclaredField("VERSION");
      version.setAccessible(true);
      System.out.println("SEGMENT FORMAT VERSION " + version.get(null));
      String result;
      try (ObjectStore bucket = FileSystemObjectStore.create(Path.of(args[1]));
          SqliteStore store = SqliteStore.builder(Path.of(args[0])).database("data", options()).open()) {
        Database db = store.database("data");
        Replicator replicator = Replicator.start(db, ReplicatorOptions.builder(bucket, args[2]).build());
        try {
          replicator.write(c -> exec(c, "UPDATE t SET n = n + 1 WHERE id = 0"), Durability.REPLICATED)
              .get(30, java.util.concurrent.TimeUnit.SECONDS);
          result = "ACK";
        } catch (java.util.concurrent.TimeoutException e) {
          result = "TIMEOUT after 30 s; replicator health: " + replicator.health();
        } catch (java.util.concurrent.ExecutionException e) {
          result = "FAILED " + e.getCause();
        }
      } catch (RuntimeException e) {
        result = "START FAILED " + e;
      }
      System.out.println("RESULT " + result);
      System.out.flush();
      Runtime.getRuntime().halt(0); // a replicator stuck retrying would hold its close
    }
  }
}
