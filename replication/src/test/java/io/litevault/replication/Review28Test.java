package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.store.WriteTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review 28: reproduced bugs of the change 8522f4a..139881f. */
class Review28Test {
  @TempDir Path dir;

  private SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open();
  }

  private FileSystemObjectStore bucket(String name) throws Exception {
    return FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve(name))).build());
  }

  private static ReplicatorOptions.Builder dest(FileSystemObjectStore bucket) {
    return ReplicatorOptions.builder(bucket, "f/data").minUploadInterval(Duration.ofMillis(5));
  }

  private static MultiReplicator startBoth(SqliteStore store, FileSystemObjectStore local, FileSystemObjectStore remote,
      int quorum) {
    return MultiReplicator.start(store.database("data"), MultiReplicatorOptions.builder()
        .destination("local", dest(local).build()).destination("remote", dest(remote).build()).quorum(quorum).build());
  }

  private static WriteTask<Integer> setBody(String body) {
    return c -> {
      try (var ps = c.prepareStatement("UPDATE post SET body = ? WHERE id = 1")) {
        ps.setString(1, body);
        return ps.executeUpdate();
      }
    };
  }

  private static String body(Path file) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
        var rs = c.createStatement().executeQuery("SELECT body FROM post WHERE id = 1")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /**
   * Scenario: two destinations "local" and "remote". Row 1's body is "AA" (shipped to both), then "BB"
   * (shipped to both). Then local is down (only remote configured) and the body is set back to "AA": a
   * REPLICATED write acknowledged by remote, the only copy of it. The database bytes are the very same as
   * after the first "AA" (an in-place update of a page other than page 1; WAL mode bumps no change counter).
   * The machine is lost and the file is restored from local (body "BB"); both destinations are configured
   * again. Local continues; remote refuses the file (its tip, body "AA", is not the file's state), and
   * SiblingVouch checks whether local's lineage passed through remote's tip state: it did, at the FIRST
   * "AA", before "BB".
   * Expected (SiblingVouch / MultiReplicator Javadoc: "A tip the siblings never passed through (the lagging
   * destination was in fact ahead ...) is still refused"; EarlierPoint: a new lineage "would make restore
   * latest silently drop acknowledged writes, so the replicator refuses instead"): remote was in fact ahead
   * (its tip is the newer, acknowledged "AA"), so it keeps refusing and its tip is untouched: "restore
   * latest" from remote still returns "AA".
   * Actual: the vouch matches the tip by database checksum and size only, so the older identical state
   * vouches for it; remote starts a new lineage from the "BB" file and "restore latest" from remote returns
   * "BB": the acknowledged write is hidden.
   */
  @Test
  void aSiblingVouchesForAnOlderIdenticalStateAndHidesTheLaggingSidesNewerAcknowledgedWrite() throws Exception {
    FileSystemObjectStore local = bucket("local-bucket");
    FileSystemObjectStore remote = bucket("remote-bucket");
    try (SqliteStore store = openStore(dir.resolve("old"))) {
      try (MultiReplicator m = startBoth(store, local, remote, 0)) {
        m.write(ReplicationTest.insert("a", "AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
        m.write(setBody("BB"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      }
      try (Replicator r = Replicator.start(store.database("data"), dest(remote).workDirectory(dir.resolve("w-remote")).build())) {
        r.write(setBody("AA"), Durability.REPLICATED).get(20, TimeUnit.SECONDS); // acknowledged: remote holds it
      }
    }
    Path fromRemote = dir.resolve("before.db");
    Restore.run(RestoreOptions.builder(remote, "f/data", fromRemote).build());
    assertEquals("AA", body(fromRemote), "remote's latest is the acknowledged write");
    LineageCatalog.Tip remoteTip = LineageCatalog.newestTip(remote, new BucketLayout("f/data"));

    Path fresh = Files.createDirectories(dir.resolve("new"));
    Restore.run(RestoreOptions.builder(local, "f/data", fresh.resolve("data.db")).build());
    assertEquals("BB", body(fresh.resolve("data.db")));
    try (SqliteStore store = openStore(fresh); MultiReplicator m = startBoth(store, local, remote, 0)) {
      try {
        m.write(ReplicationTest.insert("b", "after the restore"), Durability.REPLICATED).get(90, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException refused) {
        // expected: remote keeps refusing the file
      }
    }
    Path after = dir.resolve("after.db");
    Restore.run(RestoreOptions.builder(remote, "f/data", after).build());
    assertEquals("AA", body(after), "restore latest from remote lost the acknowledged write (remote tip before: "
        + remoteTip + ", after: " + LineageCatalog.newestTip(remote, new BucketLayout("f/data")) + ")");
  }
}
