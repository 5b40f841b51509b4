package io.litevault.replication;

import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreOptions;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Split brain, with real stores and a real file bucket: a primary paused past its lease while another
 * process takes over must never acknowledge a write the bucket's newest lineage lacks, and must never
 * overwrite what the new holder wrote.
 */
class FencingTest {
  @TempDir Path dir;
  FileSystemObjectStore files;
  final String prefix = "fencing/data";

  @BeforeEach
  void bucket() throws Exception {
    files = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("bucket"))).build());
  }

  @AfterEach
  void close() {
    files.close();
  }

  SqliteStore openStore(Path where) {
    return SqliteStore.builder(where).database("data", DatabaseOptions.builder()
        .migration(1, "post", SpineRegressionTest.SCHEMA).build()).open();
  }

  ReplicatorOptions.Builder options(ObjectStore store, String owner, Duration ttl) {
    return ReplicatorOptions.builder(store, prefix).owner(owner).leaseTtl(ttl).minUploadInterval(Duration.ofMillis(5));
  }

  /**
   * The primary decides to upload, then pauses (a stopped VM, a GC pause) past its lease; a standby
   * restores the bucket and takes over; the primary wakes and its upload goes out. Before fencing, the
   * standby continued the primary's lineage, the primary's late segment overwrote the standby's (same
   * key), the primary acknowledged its write, and "restore latest" lost the standby's acknowledged one.
   */
  @Test
  void aPrimaryPausedMidUploadPastItsLeaseNeverAcknowledgesAndTheTakersWritesSurvive() throws Exception {
    Duration ttl = Duration.ofSeconds(1);
    FaultyObjectStore primaryBucket = new FaultyObjectStore(files);
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch wake = new CountDownLatch(1);
    String takerContent;
    try (SqliteStore primary = openStore(dir.resolve("primary"));
        Replicator rp = Replicator.start(primary.database("data"), options(primaryBucket, "primary", ttl).build())) {
      try {
        rp.write(ReplicationTest.insert("primary", "acknowledged before the pause"), Durability.REPLICATED)
            .get(20, TimeUnit.SECONDS);
        primaryBucket.beforePut("/segments/", key -> {
          paused.countDown();
          try {
            wake.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        CompletableFuture<Long> late = rp.write(ReplicationTest.insert("primary", "written while paused"),
            Durability.REPLICATED);
        assertTrue(paused.await(20, TimeUnit.SECONDS), "the primary reached its upload");
        Thread.sleep(ttl.toMillis() + 300); // its lease expires while it is paused

        Path standby = Files.createDirectories(dir.resolve("standby"));
        Restore.run(RestoreOptions.builder(files, prefix, standby.resolve("data.db")).build());
        try (SqliteStore taker = openStore(standby);
            Replicator rt = Replicator.start(taker.database("data"), options(files, "standby", Duration.ofMinutes(2)).build())) {
          rt.write(ReplicationTest.insert("standby", "acknowledged by the taker"), Durability.REPLICATED)
              .get(20, TimeUnit.SECONDS);
          wake.countDown();
          ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(20, TimeUnit.SECONDS),
              "a write uploaded after the lease was lost is not acknowledged");
          assertInstanceOf(LeaseException.class, e.getCause(), e.toString());
          assertFalse(rp.health().healthy(), rp.health().toString());
          rt.write(ReplicationTest.insert("standby", "after the primary woke"), Durability.REPLICATED)
              .get(20, TimeUnit.SECONDS);
          assertTrue(rt.health().healthy(), rt.health().toString());
          takerContent = taker.database("data").read(Dumps::dump);
        }
      } finally {
        wake.countDown();
      }
    }
    Path latest = dir.resolve("latest.db");
    Restore.run(RestoreOptions.builder(files, prefix, latest).build());
    assertEquals(takerContent, Dumps.dump(latest), "restore latest has every write the holder acknowledged");
  }

  /**
   * A key of the lineage already holding other bytes (what a fenced writer leaves behind) is never
   * overwritten: the holder leaves that lineage for a new one and its writes stay restorable.
   */
  @Test
  void aSegmentKeyHoldingAnotherWritersBytesIsNotOverwrittenAndANewLineageStarts() throws Exception {
    try (SqliteStore store = openStore(dir.resolve("live"));
        Replicator r = Replicator.start(store.database("data"), options(files, "holder", Duration.ofMinutes(2)).build())) {
      r.write(ReplicationTest.insert("holder", "one"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      ReplicaPosition at = r.positionOf(store.database("data").lastTxid()).orElseThrow();
      String squatted = new BucketLayout(prefix).segment(at.lineage(), at.txid() + 1, at.txid() + 1);
      byte[] foreign = "written by a process that lost the lease".getBytes(StandardCharsets.UTF_8);
      files.put(squatted, foreign);
      r.write(ReplicationTest.insert("holder", "two"), Durability.REPLICATED).get(20, TimeUnit.SECONDS);
      assertNotEquals(at.lineage(), r.positionOf(store.database("data").lastTxid()).orElseThrow().lineage());
      try (var in = files.get(squatted)) {
        assertArrayEquals(foreign, in.readAllBytes(), "the other writer's object was not overwritten");
      }
      assertEquals(1, r.metrics().continuityBreaks());
      Path latest = dir.resolve("latest.db");
      Restore.run(RestoreOptions.builder(files, prefix, latest).build());
      assertEquals(store.database("data").read(Dumps::dump), Dumps.dump(latest));
    }
  }
}
