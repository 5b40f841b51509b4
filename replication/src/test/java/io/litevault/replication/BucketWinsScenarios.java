package io.litevault.replication;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.ReplicationPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the hostile reviews of "the bucket wins" (Review7Test to Review9Test) build their scenarios from: a
 * file bucket that can go down, replicator options with quick retries, crash images of a live store put
 * back (a kill -9, or with an older image a power loss), and the checks after a restart.
 */
abstract class BucketWinsScenarios {
  @TempDir Path dir;

  ObjectStore real;
  FaultyObjectStore bucket;
  ReplicatorOptions options;

  void bucket(String prefix) throws Exception {
    bucket(prefix, ReplicatorOptions.DEFAULT_LEASE_TTL);
  }

  /** A file bucket behind a FaultyObjectStore, and options for {@code prefix} with quick retries. */
  void bucket(String prefix, Duration leaseTtl) throws Exception {
    real = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    bucket = new FaultyObjectStore(real);
    options = ReplicatorOptions.builder(bucket, prefix).minUploadInterval(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).leaseTtl(leaseTtl).build();
  }

  static DatabaseOptions.Builder firstOptions() {
    return DatabaseOptions.builder().holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA)
        .passiveCheckpointPages(100_000).idleCheckpointAfter(Duration.ofHours(1));
  }

  static DatabaseOptions.Builder breakingOptions() {
    return DatabaseOptions.builder().holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA)
        .restartWalBytes(64 * 1024).hardWalLimitBytes(128 * 1024);
  }

  /** Copies db and WAL at a commit boundary of the live store into {@code to}. */
  static void image(Database db, Path live, Path to) throws Exception {
    ReplicationPort.of(db).atCommitBoundary(end -> {
      io.litevault.testing.Unchecked.run(() -> {
        Files.createDirectories(to);
        Files.copy(live.resolve("data.db"), to.resolve("data.db"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(live.resolve("data.db-wal"), to.resolve("data.db-wal"), StandardCopyOption.REPLACE_EXISTING);
      });
      return null;
    }).get(20, TimeUnit.SECONDS);
  }

  /** Replaces db and WAL of {@code live} with the image in {@code from}, dropping the -shm (the work directory stays). */
  static void putImageBack(Path from, Path live) throws Exception {
    Files.deleteIfExists(live.resolve("data.db-shm"));
    Files.copy(from.resolve("data.db"), live.resolve("data.db"), StandardCopyOption.REPLACE_EXISTING);
    if (Files.exists(from.resolve("data.db-wal"))) {
      Files.copy(from.resolve("data.db-wal"), live.resolve("data.db-wal"), StandardCopyOption.REPLACE_EXISTING);
    } else {
      Files.deleteIfExists(live.resolve("data.db-wal"));
    }
  }

  /** Starts a replicator and tries one REPLICATED write: its failure, or null. */
  Throwable startAndWrite(Database db) throws Exception {
    try (Replicator r = Replicator.start(db, options)) {
      r.write(ReplicationTest.insert("after", "restart"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  String restoreLatest(String prefix, String name) throws Exception {
    Path out = dir.resolve(name);
    Restore.run(RestoreOptions.builder(real, prefix, out).build());
    return Dumps.dump(out);
  }

  static String withoutOutageRows(String dump) {
    return dump.lines().filter(l -> !l.contains("|outage|")).collect(Collectors.joining("\n"));
  }
}
