package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsAndHealthTest {
  @TempDir Path dir;

  @Test
  void metersFollowTheWork() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      new StoreMetricsBinder(store).bindTo(registry);
      Database db = store.database("data");
      for (int i = 0; i < 10; i++) {
        db.writeAndWait(Kv.insert(i, i));
      }
      assertThrows(WriteFailedException.class, () -> db.writeAndWait(Kv.insert(1, 1)));
      db.cached("kv", 1L, c -> Kv.get(c, 1));
      db.cached("kv", 1L, c -> Kv.get(c, 1));
      assertEquals(10.0, registry.get("litevault.writes.committed").tag("database", "data").functionCounter().count());
      assertEquals(1.0, registry.get("litevault.writes.failed").functionCounter().count());
      assertEquals(11, registry.get("litevault.commit.duration").timer().count());
      assertEquals(11, registry.get("litevault.write.queue.wait").timer().count());
      assertEquals(1.0, registry.get("litevault.cache.requests").tag("result", "hit").functionCounter().count());
      assertEquals(0.5, registry.get("litevault.cache.hit.ratio").gauge().value(), 1e-9);
      assertTrue(registry.get("litevault.wal.bytes").gauge().value() > 0);
      assertEquals(10.0, registry.get("litevault.txid").gauge().value());
      DatabaseHealth h = db.health();
      assertEquals(10, h.txid());
      assertEquals(10, h.writesCommitted());
      assertEquals(1, h.writesFailed());
      assertNotNull(h.lastCommit());
      assertTrue(store.health().healthy());
    }
    assertFalse(registry.getMeters().isEmpty());
  }

  @Test
  void healthSaysUnhealthyOnceClosed() {
    SqliteStore store = SqliteStore.builder(dir).database("data").open();
    Database db = store.database("data");
    store.close();
    assertFalse(db.health().healthy());
    assertFalse(store.health().healthy());
  }
}
