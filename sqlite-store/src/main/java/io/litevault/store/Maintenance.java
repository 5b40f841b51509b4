package io.litevault.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one maintenance window: parks the writer thread of each database (after the writes queued
 * before the window commit), runs the plan's steps on this thread with the parked writers'
 * connections, and lets the writers go again, whatever happened. Writes that arrive meanwhile wait in
 * the queues, in order.
 */
final class Maintenance {
  private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

  private Maintenance() {}

  static MaintenanceReport run(List<Database> databases, MaintenancePlan plan) {
    long start = System.nanoTime();
    CountDownLatch resume = new CountDownLatch(1);
    List<MaintenanceReport.StepResult> results = new ArrayList<>();
    int held = 0;
    Throwable failure = null;
    String failedDb = null;
    try {
      List<CompletableFuture<Void>> parked = new ArrayList<>();
      for (Database db : databases) {
        db.writer().holdTimeout(plan.holdTimeout());
        CompletableFuture<Void> isParked = new CompletableFuture<>();
        parked.add(isParked);
        db.writer().control(() -> {
          isParked.complete(null);
          if (!resume.await(1, TimeUnit.DAYS)) {
            log.error("database '{}': maintenance never resumed its writer", db.name());
          }
        }).whenComplete((v, e) -> {
          if (e != null) {
            isParked.completeExceptionally(e);
          }
        });
      }
      CompletableFuture.allOf(parked.toArray(CompletableFuture[]::new))
          .get(plan.holdTimeout().toNanos(), TimeUnit.NANOSECONDS);
      for (Database db : databases) {
        StepRecorder r = new StepRecorder(db, results);
        failedDb = db.name();
        runSteps(db, plan, r);
        held = Math.max(held, databases.stream().mapToInt(d -> d.writer().queueDepth()).sum());
      }
      failedDb = null;
    } catch (TimeoutException e) {
      failure = new StoreException(null, "maintenance could not pause the writers within the hold timeout ("
          + plan.holdTimeout().toMillis() + " ms): a long write is running; nothing was done", e);
    } catch (Throwable t) {
      failure = t;
    } finally {
      for (Database db : databases) {
        db.writer().holdTimeout(null);
      }
      resume.countDown();
    }
    Duration paused = Duration.ofNanos(System.nanoTime() - start);
    MaintenanceReport report = new MaintenanceReport(results, paused, held);
    if (failure != null) {
      if (failure instanceof java.util.concurrent.ExecutionException ee && ee.getCause() != null) {
        failure = ee.getCause();
      }
      throw new MaintenanceException(failedDb, "maintenance failed" + (failedDb == null ? "" : " on database '"
          + failedDb + "'") + ": " + WriteFailedException.describe(failure) + "; writes were resumed", failure, report);
    }
    log.info("maintenance of {} database(s) done in {} ms, {} write(s) held", databases.size(),
        paused.toMillis(), held);
    return report;
  }

  private static void runSteps(Database db, MaintenancePlan plan, StepRecorder r) throws Exception {
    Connection c = db.writer().connection();
    Writer writer = db.writer();
    r.step("checkpoint", () -> {
      // The writer is parked, so no frame comes meanwhile: let replication ship the last ones. Never
      // forced: overruling a gate would break its continuity (a new lineage and a full snapshot) for a
      // checkpoint that can simply wait for the next window or the store's own policy.
      if (!db.checkpointer().awaitGates(writer.walSnapshot().end(), plan.gateWait())) {
        writer.resync(); // closes the writer's statements all the same: VACUUM needs none open
        return "skipped: a checkpoint gate (replication) has not released the WAL; it stays until it does";
      }
      CheckpointResult result = db.checkpointer().checkpoint(CheckpointMode.TRUNCATE, false);
      writer.resync();
      return result.toString();
    });
    if (plan.vacuum()) {
      r.writingStep("vacuum", () -> {
        try {
          return exec(c, "VACUUM");
        } catch (java.sql.SQLException e) {
          if (String.valueOf(e.getMessage()).contains("statements in progress")) {
            throw new IllegalStateException("VACUUM of '" + db.name() + "' found a statement still open on the writer "
                + "connection: a write task did not close a Statement/ResultSet it opened (use try-with-resources)", e);
          }
          throw e;
        }
      });
    }
    if (plan.optimize()) {
      r.writingStep("optimize", () -> exec(c, "PRAGMA optimize")); // it may write sqlite_stat1: a commit
    }
    if (plan.snapshotDirectory() != null) {
      r.step("snapshot", () -> {
        Files.createDirectories(plan.snapshotDirectory());
        Path target = plan.snapshotDirectory().resolve(db.name() + ".db").toAbsolutePath();
        if (Files.exists(target)) {
          throw new IllegalStateException("snapshot target " + target + " already exists; VACUUM INTO will not overwrite it");
        }
        exec(c, "VACUUM INTO '" + target.toString().replace("'", "''") + "'");
        return target + " (" + Files.size(target) + " bytes)";
      });
    }
    for (Map.Entry<String, MaintenanceStep> step : plan.steps().entrySet()) {
      r.writingStep(step.getKey(), () -> {
        step.getValue().run(db.name(), c);
        return null;
      });
    }
  }

  private static String exec(Connection c, String sql) throws Exception {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
    return null;
  }

  /** Times steps, records results, and publishes what writing steps put in the WAL. */
  private static final class StepRecorder {
    interface Body {
      String run() throws Exception;
    }

    private final Database db;
    private final List<MaintenanceReport.StepResult> results;

    StepRecorder(Database db, List<MaintenanceReport.StepResult> results) {
      this.db = db;
      this.results = results;
    }

    void step(String name, Body body) throws Exception {
      long t0 = System.nanoTime();
      try {
        String detail = body.run();
        results.add(new MaintenanceReport.StepResult(db.name(), name, Duration.ofNanos(System.nanoTime() - t0), detail, null));
      } catch (Exception e) {
        results.add(new MaintenanceReport.StepResult(db.name(), name, Duration.ofNanos(System.nanoTime() - t0), null, e));
        throw e;
      }
    }

    /** A step that may change the database: its frames are announced like a commit, the cache dropped. */
    void writingStep(String name, Body body) throws Exception {
      db.writer().resync();
      try {
        step(name, body);
      } finally {
        db.writer().publish(0);
        db.cache().invalidateAll();
      }
    }
  }
}
