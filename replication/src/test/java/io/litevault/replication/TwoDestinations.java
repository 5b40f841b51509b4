package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.store.WriteTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;

/**
 * The setup the reviews of several destinations share (Review28Test to Review31Test): database "data" with
 * table {@code post}, file buckets, destinations "local" and "remote" at prefix {@code f/data}, and row 1's body.
 */
final class TwoDestinations {
  private TwoDestinations() {}

  /** The store at {@code where}: database "data", WAL held until the replicators' gates. */
  static SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open();
  }

  /** A file bucket in {@code dir}/{@code name}. */
  static FileSystemObjectStore bucket(Path dir, String name) throws Exception {
    return FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve(name))).build());
  }

  /** A destination at prefix {@code f/data} uploading every 5 ms. */
  static ReplicatorOptions.Builder dest(ObjectStore bucket) {
    return ReplicatorOptions.builder(bucket, "f/data").minUploadInterval(Duration.ofMillis(5));
  }

  /** "local" and "remote", with {@code quorum} (0: all). */
  static MultiReplicator startBoth(SqliteStore store, ObjectStore local, ObjectStore remote, int quorum) {
    return MultiReplicator.start(store.database("data"), MultiReplicatorOptions.builder()
        .destination("local", dest(local).build()).destination("remote", dest(remote).build()).quorum(quorum).build());
  }

  /** Sets row 1's body (an in-place update). */
  static WriteTask<Integer> setBody(String body) {
    return c -> {
      try (var ps = c.prepareStatement("UPDATE post SET body = ? WHERE id = 1")) {
        ps.setString(1, body);
        return ps.executeUpdate();
      }
    };
  }

  /** Row 1's body in the database file {@code file}, or null. */
  static String body(Path file) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
        var rs = c.createStatement().executeQuery("SELECT body FROM post WHERE id = 1")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
