package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two destinations, "local" fresher than "remote"; the machine is lost and a file is restored from one of
 * them. The fresher destination refuses a file restored from the lagging one (a new lineage would hide its
 * newer writes). The lagging destination starts a new lineage from a file restored from the fresher one: the
 * fresher one's lineage recorded the lagging one's tip commit and then the file's state (Witnesses; this was
 * the open bug of review 27; a vouch by content alone was withdrawn in review 28, see Review28Test).
 */
class RestoreFromOneDestinationTest {
  @TempDir Path dir;
  FileSystemObjectStore local;
  FileSystemObjectStore remote;

  private SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open();
  }

  /**
   * Both destinations hold "in both" (a MultiReplicator shipped it to both); then only local was configured
   * for a while (the remote was "down"), and a single replicator continued local's lineage with "in local
   * only". The remote's tip is a point of local's lineage.
   */
  @BeforeEach
  void twoBucketsLocalAhead() throws Exception {
    local = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("local-bucket"))).build());
    remote = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("remote-bucket"))).build());
    try (SqliteStore store = openStore(dir.resolve("old"))) {
      try (MultiReplicator m = startBoth(store)) {
        m.write(ReplicationTest.insert("a", "in both"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator r = Replicator.start(store.database("data"), options(local, "old-work-local"))) {
        r.write(ReplicationTest.insert("a", "in local only"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
    }
  }

  private ReplicatorOptions options(FileSystemObjectStore bucket, String work) {
    return ReplicatorOptions.builder(bucket, "f/data").workDirectory(dir.resolve(work))
        .minUploadInterval(Duration.ofMillis(5)).build();
  }

  private MultiReplicator startBoth(SqliteStore store) {
    return MultiReplicator.start(store.database("data"), MultiReplicatorOptions.builder()
        .destination("local", ReplicatorOptions.builder(local, "f/data").minUploadInterval(Duration.ofMillis(5)).build())
        .destination("remote", ReplicatorOptions.builder(remote, "f/data").minUploadInterval(Duration.ofMillis(5)).build())
        .build());
  }

  @Test
  void restoredFromTheFresherDestinationTheLaggingOneStartsANewLineageAndRestoresTheFile() throws Exception {
    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(local, "f/data", fresh.resolve("data.db")).build());
    String remoteTipBefore = LineageCatalog.newestTip(remote, new BucketLayout("f/data")).lineage();
    String expected;
    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store)) {
      m.write(ReplicationTest.insert("a", "after the restore"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
      expected = store.database("data").read(Dumps::dump);
      assertTrue(m.health().destinations().stream().allMatch(d -> d.health().running()), m.health().toString());
    }
    assertTrue(LineageCatalog.newestTip(remote, new BucketLayout("f/data")).lineage().compareTo(remoteTipBefore) > 0,
        "the remote started a new lineage");
    for (FileSystemObjectStore bucket : new FileSystemObjectStore[] {local, remote}) {
      Path out = dir.resolve("restored-" + bucket.hashCode() + ".db");
      Restore.run(RestoreOptions.builder(bucket, "f/data", out).build());
      assertEquals(expected, Dumps.dump(out), "restore latest from " + bucket.describe());
    }
  }

  /** The reverse: restored from the lagging remote, the fresher local must keep refusing the file. */
  @Test
  void restoredFromTheLaggingDestinationTheFresherOneStillRefusesTheFile() throws Exception {
    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(remote, "f/data", fresh.resolve("data.db")).build());
    LineageCatalog.Tip localTip = LineageCatalog.newestTip(local, new BucketLayout("f/data"));
    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store)) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> m.write(
          ReplicationTest.insert("a", "after the restore"), Durability.REPLICATED).get(90, TimeUnit.SECONDS));
      assertInstanceOf(LocalBehindBucketException.class, e.getCause().getCause(), e.getCause().toString());
    }
    assertEquals(localTip, LineageCatalog.newestTip(local, new BucketLayout("f/data")),
        "the fresher bucket's tip is untouched: 'restore latest' still returns the row only it has");
  }
}
