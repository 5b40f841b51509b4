package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing with two destinations, on two real file buckets: the primary's remote destination pauses mid
 * upload past its lease and a standby takes that prefix over. The paused write is never acknowledged (the
 * quorum of all can no longer be reached), every later write of the primary is refused (another process
 * writes the database now), and the standby's acknowledged writes survive in the remote bucket; the local
 * destination, never fenced, keeps what the primary shipped.
 */
class MultiDestinationFencingTest {
  @TempDir Path dir;

  private SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder().holdWalUntilGate(true)
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open();
  }

  @Test
  void aFencedDestinationFailsTheWaitingWriteAndRefusesLaterOnes() throws Exception {
    Duration ttl = Duration.ofSeconds(1);
    try (FileSystemObjectStore local = FileSystemObjectStore.create(FileSystemOptions.builder(
            Files.createDirectories(dir.resolve("local-bucket"))).build());
        FileSystemObjectStore remote = FileSystemObjectStore.create(FileSystemOptions.builder(
            Files.createDirectories(dir.resolve("remote-bucket"))).build())) {
      FaultyObjectStore primaryRemote = new FaultyObjectStore(remote);
      CountDownLatch paused = new CountDownLatch(1);
      CountDownLatch wake = new CountDownLatch(1);
      String takerContent;
      try (SqliteStore primary = openStore(dir.resolve("primary"));
          MultiReplicator m = MultiReplicator.start(primary.database("data"), MultiReplicatorOptions.builder()
              .destination("local", ReplicatorOptions.builder(local, "f/data").owner("primary")
                  .minUploadInterval(Duration.ofMillis(5)).build())
              .destination("remote", ReplicatorOptions.builder(primaryRemote, "f/data").owner("primary").leaseTtl(ttl)
                  .minUploadInterval(Duration.ofMillis(5)).build())
              .build())) {
        try {
          m.write(ReplicationTest.insert("primary", "acknowledged before the pause"), Durability.REPLICATED)
              .get(20, TimeUnit.SECONDS);
          primaryRemote.beforePut("/segments/", key -> {
            paused.countDown();
            try {
              wake.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
          CompletableFuture<Long> late = m.write(ReplicationTest.insert("primary", "written while paused"),
              Durability.REPLICATED);
          assertTrue(paused.await(20, TimeUnit.SECONDS), "the remote destination reached its upload");
          Thread.sleep(ttl.toMillis() + 300); // its lease expires while it is paused

          Path standby = Files.createDirectories(dir.resolve("standby"));
          Restore.run(RestoreOptions.builder(remote, "f/data", standby.resolve("data.db")).build());
          try (SqliteStore taker = openStore(standby);
              Replicator rt = Replicator.start(taker.database("data"), ReplicatorOptions.builder(remote, "f/data")
                  .owner("standby").minUploadInterval(Duration.ofMillis(5)).build())) {
            rt.write(ReplicationTest.insert("standby", "acknowledged by the taker"), Durability.REPLICATED)
                .get(20, TimeUnit.SECONDS);
            wake.countDown();
            ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(20, TimeUnit.SECONDS),
                "a write the fenced destination uploaded late is not acknowledged");
            assertInstanceOf(ReplicationException.class, e.getCause(), e.toString());
            assertInstanceOf(LeaseException.class, e.getCause().getCause(), e.toString());
            assertTrue(e.getCause().getMessage().contains("remote: "), e.getCause().getMessage());
            ExecutionException refused = assertThrows(ExecutionException.class,
                () -> m.write(ReplicationTest.insert("primary", "after the fence"), Durability.LOCAL).get(5, TimeUnit.SECONDS));
            assertInstanceOf(LeaseException.class, refused.getCause());
            assertTrue(refused.getCause().getMessage().contains("destination 'remote'"), refused.getCause().getMessage());
            assertFalse(m.health().destination("remote").healthy(), m.health().toString());
            rt.write(ReplicationTest.insert("standby", "after the primary woke"), Durability.REPLICATED)
                .get(20, TimeUnit.SECONDS);
            takerContent = taker.database("data").read(Dumps::dump);
          }
        } finally {
          wake.countDown();
        }
      }
      Path latest = dir.resolve("latest.db");
      Restore.run(RestoreOptions.builder(remote, "f/data", latest).build());
      assertEquals(takerContent, Dumps.dump(latest), "the remote's restore latest has every write its holder acknowledged");
      Path fromLocal = dir.resolve("local.db");
      Restore.run(RestoreOptions.builder(local, "f/data", fromLocal).build());
      assertTrue(Dumps.dump(fromLocal).contains("acknowledged before the pause"));
    }
  }
}
