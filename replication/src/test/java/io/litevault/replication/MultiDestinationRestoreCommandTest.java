package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.cli.RestoreCommand;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Restore from any destination with the same command": the {@code restore} command line, given each
 * destination's store URI and nothing else different, restores the same database from each.
 */
class MultiDestinationRestoreCommandTest {
  @TempDir Path dir;

  @Test
  void theRestoreCommandRestoresTheSameDatabaseFromEachDestination() throws Exception {
    Path localRoot = Files.createDirectories(dir.resolve("local-bucket"));
    Path remoteRoot = Files.createDirectories(dir.resolve("remote-bucket"));
    String source;
    try (FileSystemObjectStore local = FileSystemObjectStore.create(FileSystemOptions.builder(localRoot).build());
        FileSystemObjectStore remote = FileSystemObjectStore.create(FileSystemOptions.builder(remoteRoot).build());
        SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
            .holdWalUntilGate(true).migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (MultiReplicator m = MultiReplicator.start(db, MultiReplicatorOptions.builder()
          .destination("local", ReplicatorOptions.builder(local, "app/data").minUploadInterval(Duration.ofMillis(5)).build())
          .destination("remote", ReplicatorOptions.builder(remote, "app/data").minUploadInterval(Duration.ofMillis(5)).build())
          .build())) {
        for (int i = 0; i < 50; i++) {
          m.write(ReplicationTest.insert("cli", "row " + i), i % 10 == 9 ? Durability.REPLICATED : Durability.LOCAL)
              .get(20, TimeUnit.SECONDS);
        }
        source = db.read(Dumps::dump);
      }
    }
    for (Path root : new Path[] {localRoot, remoteRoot}) {
      Path out = dir.resolve("restored-" + root.getFileName() + ".db");
      int code = new picocli.CommandLine(new RestoreCommand()).execute("--source", root.resolve("app").toUri().toString(),
          "--database", "data", "--output", out.toString());
      assertEquals(0, code, "restore from " + root);
      assertEquals(source, Dumps.dump(out), "restored from " + root.getFileName());
    }
  }
}
