package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaintenanceTest {
  @TempDir Path dir;

  private SqliteStore open() {
    return SqliteStore.builder(dir.resolve("store"))
        .database("data", Kv.options().build())
        .database("ttl", Kv.options().build())
        .open();
  }

  @Test
  void writesDuringTheWindowAreHeldNotFailedAndCommitInOrderAfterIt() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      db.writeAndWait(Kv.insert(0, 0));
      CountDownLatch inWindow = new CountDownLatch(1);
      CountDownLatch submitted = new CountDownLatch(1);
      List<Long> commitOrder = new CopyOnWriteArrayList<>();
      CompletableFuture<MaintenanceReport> window = CompletableFuture.supplyAsync(() -> store.maintenance(
          MaintenancePlan.builder().vacuum(true).step("wait for held writes", (name, c) -> {
            if (name.equals("ttl")) {
              inWindow.countDown();
              assertTrue(submitted.await(10, TimeUnit.SECONDS));
            }
          }).build()));
      assertTrue(inWindow.await(10, TimeUnit.SECONDS));
      List<CompletableFuture<Void>> held = new ArrayList<>();
      for (long i = 1; i <= 50; i++) {
        long k = i;
        held.add(db.write(c -> {
          Kv.insert(k, k).execute(c);
          commitOrder.add(k);
          return null;
        }));
      }
      Thread.sleep(100);
      assertTrue(held.stream().noneMatch(CompletableFuture::isDone), "held while paused");
      assertTrue(db.health().queueDepth() >= 50);
      submitted.countDown();
      MaintenanceReport report = window.get(30, TimeUnit.SECONDS);
      for (CompletableFuture<Void> f : held) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertTrue(report.succeeded(), report.toString());
      assertTrue(report.heldWrites() >= 50, report.toString());
      List<String> steps = report.steps().stream().map(s -> s.database() + ":" + s.step()).toList();
      assertEquals(List.of("data:checkpoint", "data:vacuum", "data:optimize", "data:wait for held writes",
          "ttl:checkpoint", "ttl:vacuum", "ttl:optimize", "ttl:wait for held writes"), steps);
      List<Long> expected = new ArrayList<>();
      for (long i = 1; i <= 50; i++) {
        expected.add(i);
      }
      assertEquals(expected, commitOrder, "held writes commit in submission order");
      assertEquals(51, db.read(Kv::count));
    }
  }

  @Test
  void aFailingStepResumesWritesAndReportsTheFailure() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      MaintenanceException e = assertThrows(MaintenanceException.class, () -> store.maintenance(
          MaintenancePlan.builder().step("broken", (name, c) -> {
            throw new IllegalStateException("step failed on purpose");
          }).build()));
      assertEquals("data", e.database());
      assertTrue(e.getMessage().contains("step failed on purpose") && e.getMessage().contains("writes were resumed"),
          e.getMessage());
      assertFalse(e.report().succeeded());
      db.writeAndWait(Kv.insert(1, 1));
      store.database("ttl").writeAndWait(Kv.insert(1, 1));
      assertEquals(1, db.read(Kv::count));
    }
  }

  @Test
  void snapshotWritesAConsistentCopyOfEachDatabase() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      for (int i = 0; i < 100; i++) {
        db.writeAndWait(Kv.insert(i, i * 2L));
      }
      Path snapshots = dir.resolve("snapshots");
      MaintenanceReport report = store.maintenance(MaintenancePlan.builder().snapshotTo(snapshots).databases("data").build());
      assertTrue(report.succeeded());
      try (var c = DriverManager.getConnection("jdbc:sqlite:" + snapshots.resolve("data.db"))) {
        assertEquals(100, Kv.count(c));
        try (var rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
          rs.next();
          assertEquals("ok", rs.getString(1));
        }
      }
      assertFalse(Files.exists(snapshots.resolve("ttl.db")), "only the named databases");
      MaintenanceException again = assertThrows(MaintenanceException.class,
          () -> store.maintenance(MaintenancePlan.builder().snapshotTo(snapshots).databases("data").build()));
      assertTrue(again.getMessage().contains("already exists"), again.getMessage());
    }
  }

  @Test
  void theWindowAnnouncesVacuumFramesAsACommitSoReplicationSeesThem() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      for (int i = 0; i < 100; i++) {
        db.writeAndWait(Kv.insert(i, i));
      }
      db.writeAndWait(c -> c.createStatement().executeUpdate("DELETE FROM kv WHERE k < 90"));
      List<CommitEvent> events = new CopyOnWriteArrayList<>();
      db.addCommitListener(events::add);
      store.maintenance(MaintenancePlan.builder().vacuum(true).databases("data").build());
      assertEquals(1, events.size(), "VACUUM's frames were announced: " + events);
      assertEquals(WalPosition.WAL_HEADER_BYTES, events.get(0).walStart().offset(), "after the TRUNCATE");
      db.writeAndWait(Kv.insert(1000, 1));
      assertEquals(2, events.size());
      assertEquals(events.get(0).walEnd(), events.get(1).walStart());
    }
  }

  @Test
  void pausingTimesOutCleanlyWhenAWriteNeverEnds() throws Exception {
    try (SqliteStore store = open()) {
      Database db = store.database("data");
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Void> longWrite = db.write(c -> {
        release.await();
        return null;
      });
      MaintenanceException e = assertThrows(MaintenanceException.class, () -> store.maintenance(
          MaintenancePlan.builder().holdTimeout(Duration.ofMillis(200)).build()));
      assertTrue(e.getMessage().contains("could not pause the writers"), e.getMessage());
      release.countDown();
      longWrite.get(10, TimeUnit.SECONDS);
      db.writeAndWait(Kv.insert(1, 1));
      assertEquals(1, db.read(Kv::count));
    }
  }
}
