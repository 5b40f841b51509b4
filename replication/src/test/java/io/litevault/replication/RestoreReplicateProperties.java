package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.CheckpointMode;
import io.litevault.store.MaintenancePlan;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import io.litevault.testing.Unchecked;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3;

/**
 * restore(replicate(x)) == x: for random workloads (inserts, updates, deletes, schema changes, large
 * blobs, vacuums, checkpoints, restarts in either order), restoring the bucket at every transaction that
 * was replicated yields exactly the source's content at that point, and passes integrity_check. Each try
 * picks its bucket: a {@link FileSystemObjectStore}, or {@link EmbeddedS3} through the MinIO client or the
 * AWS SDK (replicated through one, restored through the same one). A failure shrinks the workload and
 * reports "Seed was N"; {@code -DQT_SEED=N} replays it.
 */
class RestoreReplicateProperties {
  /** Where a try replicates to. */
  enum Target { FILE, MINIO, AWS }

  /** Started on the first S3 try, shared by the tries (each writes under its own prefix). */
  private static EmbeddedS3 s3;

  @AfterAll
  static void stopS3() {
    if (s3 != null) {
      s3.close();
      s3 = null;
    }
  }

  private static ObjectStore bucket(Target target, Path root) throws java.io.IOException {
    if (target == Target.FILE) {
      return FileSystemObjectStore.create(Files.createDirectories(root.resolve("bucket")));
    }
    if (s3 == null) {
      s3 = EmbeddedS3.start();
    }
    S3Options options = S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build();
    return target == Target.MINIO ? MinioObjectStore.create(options) : S3ObjectStore.create(options);
  }
  enum Op { INSERT, UPDATE, DELETE, SCHEMA, BLOB, VACUUM, CHECKPOINT, RESTART_REPLICATOR_FIRST, RESTART_STORE_FIRST }

  static Gen<List<Op>> workloads() {
    Gen<Op> op = Generate.frequency(List.of(
        Pair.of(6, arbitrary().constant(Op.INSERT)),
        Pair.of(3, arbitrary().constant(Op.UPDATE)),
        Pair.of(2, arbitrary().constant(Op.DELETE)),
        Pair.of(1, arbitrary().constant(Op.SCHEMA)),
        Pair.of(1, arbitrary().constant(Op.BLOB)),
        Pair.of(1, arbitrary().constant(Op.VACUUM)),
        Pair.of(1, arbitrary().constant(Op.CHECKPOINT)),
        Pair.of(1, arbitrary().constant(Op.RESTART_REPLICATOR_FIRST)),
        Pair.of(1, arbitrary().constant(Op.RESTART_STORE_FIRST))));
    return lists().of(op).ofSizeBetween(3, 14);
  }

  private record Point(ReplicaPosition position, String dump) {}

  @Test
  void restoringAnyReplicatedTxidGivesTheSourceAtThatTxid() {
    // 18 tries of about a second; a failing workload gets at most 30 shrink attempts.
    qt().withExamples(18).withShrinkCycles(30).forAll(workloads(), arbitrary().enumValues(Target.class), longs().all())
        .checkAssert((ops, target, seed) -> Unchecked.run(() -> tryOnce(ops, target, seed)));
  }

  private void tryOnce(List<Op> ops, Target target, long seed) throws Exception {
    Path root = Files.createTempDirectory("prop");
    Random random = new Random(seed);
    // A fresh prefix per try: the S3 bucket is shared by the tries.
    String prefix = "p" + Long.toHexString(random.nextLong() & Long.MAX_VALUE) + "/data";
    try (ObjectStore bucket = bucket(target, root)) {
      ReplicatorOptions options = ReplicatorOptions.builder(bucket, prefix).minUploadInterval(Duration.ZERO)
          .maxSegmentBytes(256 * 1024).build();
      Path live = root.resolve("live");
      SqliteStore store = open(live);
      Replicator replicator = Replicator.start(store.database("data"), options);
      List<Point> points = new ArrayList<>();
      int tables = 1;
      int nextId = 0;
      try {
        for (Op op : ops) {
          Database db = store.database("data");
          switch (op) {
            case INSERT -> {
              int n = 1 + random.nextInt(50);
              int from = nextId;
              nextId += n;
              replicator.write(c -> {
                try (var ps = c.prepareStatement("INSERT INTO t0(id, v) VALUES (?, ?)")) {
                  for (int i = from; i < from + n; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "row " + i + " " + Long.toHexString(random.nextLong()));
                    ps.executeUpdate();
                  }
                }
                return null;
              }, Durability.REPLICATED).get();
            }
            case UPDATE -> replicator.write(c -> exec(c,
                "UPDATE t0 SET v = v || '+' WHERE id % " + (2 + random.nextInt(4)) + " = 0"), Durability.REPLICATED).get();
            case DELETE -> replicator.write(c -> exec(c,
                "DELETE FROM t0 WHERE id % " + (3 + random.nextInt(5)) + " = 1"), Durability.REPLICATED).get();
            case SCHEMA -> {
              int t = tables++;
              replicator.write(c -> {
                exec(c, "CREATE TABLE t" + t + "(k INTEGER PRIMARY KEY, x TEXT)");
                exec(c, "CREATE INDEX t0_v_" + t + " ON t0(v)");
                return exec(c, "INSERT INTO t" + t + "(x) SELECT v FROM t0 LIMIT 10");
              }, Durability.REPLICATED).get();
            }
            case BLOB -> replicator.write(c -> {
              exec(c, "CREATE TABLE IF NOT EXISTS blobs(b BLOB)");
              try (var ps = c.prepareStatement("INSERT INTO blobs VALUES (?)")) {
                byte[] b = new byte[50_000 + random.nextInt(400_000)];
                random.nextBytes(b);
                ps.setBytes(1, b);
                return ps.executeUpdate();
              }
            }, Durability.REPLICATED).get();
            case VACUUM -> store.maintenance(MaintenancePlan.builder().vacuum(true).gateWait(Duration.ofSeconds(10)).build());
            case CHECKPOINT -> db.checkpoint(random.nextBoolean() ? CheckpointMode.TRUNCATE : CheckpointMode.PASSIVE).get();
            case RESTART_REPLICATOR_FIRST, RESTART_STORE_FIRST -> {
              if (op == Op.RESTART_REPLICATOR_FIRST) {
                replicator.close();
                store.close();
              } else {
                store.close();
                replicator.close();
              }
              store = open(live);
              replicator = Replicator.start(store.database("data"), options);
            }
          }
          Database now = store.database("data");
          if (now.lastTxid() > 0) {
            assertTrue(replicator.awaitReplicated(now.lastTxid(), Duration.ofSeconds(30)), "replicated after " + op);
            points.add(new Point(replicator.positionOf(now.lastTxid()).orElseThrow(), now.read(Dumps::dump)));
          }
        }
      } finally {
        replicator.close();
        store.close();
      }
      int i = 0;
      for (Point p : points) {
        Path out = root.resolve("restored-" + i++ + ".db");
        Restore.run(RestoreOptions.builder(bucket, prefix, out).lineage(p.position().lineage()).txid(p.position().txid()).build());
        assertEquals(p.dump(), Dumps.dump(out), "restore at " + p.position() + " from " + target + " after " + ops);
        assertEquals("ok", Dumps.integrity(out));
      }
    } finally {
      deleteTree(root);
    }
  }

  /** Statements are closed, as the WriteTask contract asks (an open one makes VACUUM fail). */
  private static int exec(java.sql.Connection c, String sql) throws java.sql.SQLException {
    try (var s = c.createStatement()) {
      return s.executeUpdate(sql);
    }
  }

  private static SqliteStore open(Path live) {
    return SqliteStore.builder(live).database("data", DatabaseOptions.builder()
        .migration(1, "t0", "CREATE TABLE t0(id INTEGER PRIMARY KEY, v TEXT)").passiveCheckpointPages(20).build()).open();
  }

  static void deleteTree(Path root) throws java.io.IOException {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
