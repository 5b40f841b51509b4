package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicatorMetricsBinderTest {
  @TempDir Path dir;

  @Test
  void metersFollowTheReplicatorsCounters() throws Exception {
    FileSystemObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (SqliteStore store = SqliteStore.builder(dir.resolve("live")).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open();
        Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, "m/data").build())) {
      new ReplicatorMetricsBinder(r).bindTo(registry);
      for (int i = 0; i < 3; i++) {
        r.write(ReplicationTest.insert("m", "row " + i), Durability.REPLICATED).get(10, TimeUnit.SECONDS);
      }
      assertEquals(r.metrics().transactionsShipped(),
          registry.get("litevault.replication.transactions.shipped").tag("database", "data").functionCounter().count());
      assertTrue(registry.get("litevault.replication.bytes.uploaded").functionCounter().count() > 0);
      assertEquals(1, registry.get("litevault.replication.snapshots.uploaded").functionCounter().count());
      assertEquals(1, registry.get("litevault.replication.running").gauge().value());
      assertEquals(1, registry.get("litevault.replication.healthy").gauge().value());
      assertEquals(0, registry.get("litevault.replication.unannounced.wal.losses").functionCounter().count());
      assertTrue(registry.get("litevault.replication.last.upload.age").gauge().value() >= 0);
    }
  }
}
