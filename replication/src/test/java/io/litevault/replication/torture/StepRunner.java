package io.litevault.replication.torture;

import io.litevault.replication.Durability;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.Replicator;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.CheckpointMode;
import io.litevault.store.CheckpointResult;
import io.litevault.store.Database;
import io.litevault.store.MaintenancePlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Carries out the steps of a schedule against a {@link Live} system, through the {@link Workload} and the
 * {@link FaultPlan}. Every step ends quiescent (its writes committed or acknowledged within the stall bound)
 * with the content hash recorded. Checks that must happen while running (a restore during writes, a restore
 * over a stale file) report to the recorder.
 */
final class StepRunner {
  private final Live live;
  private final Workload work;
  private final FaultPlan faults;
  private final Setup setup;
  private final Recorder rec;
  private final History local;
  private final Path scratch;
  private final ObjectStore restoreStore;
  private final String prefix;
  private Path savedCopy;
  private int scratchCount;

  StepRunner(Live live, Workload work, FaultPlan faults, Setup setup, Recorder rec, History local, Path scratch,
      ObjectStore restoreStore, String prefix) {
    this.live = live;
    this.work = work;
    this.faults = faults;
    this.setup = setup;
    this.rec = rec;
    this.local = local;
    this.scratch = scratch;
    this.restoreStore = restoreStore;
    this.prefix = prefix;
  }

  /** Opens the store and starts the replicator. */
  void start() throws Exception {
    live.openStore();
    work.opened(live);
    live.startReplicator();
  }

  /**
   * The end of a schedule: faults off, everything shipped within the stall bound (a LOCAL tail too), then a
   * clean close in the given order.
   */
  void finish(boolean replicatorFirst) throws Exception {
    faults.disarm();
    Database db = live.db();
    if (!live.replicator().awaitReplicated(db.lastTxid(), faults.stallBound())) {
      String msg = "the last commit (store txid " + db.lastTxid() + ") not in the bucket " + faults.stallBound().toSeconds()
          + " s after the faults stopped; " + work.diagnosis();
      rec.failure("STALL", msg);
      throw new Workload.Abort(msg);
    }
    work.quiescent(true);
    close(replicatorFirst);
  }

  private void close(boolean replicatorFirst) {
    work.sweepPositions();
    if (replicatorFirst) {
      live.closeReplicator();
      work.sweepPositions();
      live.closeStore();
    } else {
      live.closeStore();
      work.sweepPositions();
      live.closeReplicator();
    }
    live.forgetReplicator();
  }

  private void reopen() throws Exception {
    live.openStore();
    work.opened(live);
    live.startReplicator();
  }

  /** Print each step's duration (replays). */
  static volatile boolean verbose;

  void run(int index, Step step) throws Exception {
    long t0 = System.nanoTime();
    try {
      runStep(index, step);
    } finally {
      if (verbose) {
        System.out.printf("  step %d took %d ms: %s%n", index + 1, (System.nanoTime() - t0) / 1_000_000, step.describe());
      }
    }
  }

  private void runStep(int index, Step step) throws Exception {
    rec.step(index, step.describe());
    Database db = live.db();
    if (step instanceof Step.Insert s) {
      String t = Writes.table(Writes.tables(db), (int) s.dataSeed());
      work.submit(s.durability(), Writes.insert(t, s.rows(), s.rowBytes(), s.dataSeed()));
    } else if (step instanceof Step.Burst s) {
      burst(s.writes(), s.threads(), s.replicatedPercent(), s.dataSeed(), 0);
    } else if (step instanceof Step.ReplicatedClients s) {
      clients(s);
    } else if (step instanceof Step.IdleRace s) {
      idleRace(s);
    } else if (step instanceof Step.BigTxn s) {
      work.submit(s.durability(), Writes.big("t0", s.bytes(), s.dataSeed()));
    } else if (step instanceof Step.BulkLoad s) {
      SplittableRandom r = new SplittableRandom(s.dataSeed());
      for (int done = 0; done < s.totalBytes(); done += s.txnBytes()) {
        work.submit(Durability.LOCAL, Writes.bulk("t0", s.txnBytes(), r.nextLong()));
      }
      work.awaitAll();
      work.submit(Durability.REPLICATED, Writes.insert("t0", 1, 100, r.nextLong()));
    } else if (step instanceof Step.Update s) {
      work.submit(s.durability(), Writes.update(Writes.table(Writes.tables(db), s.table()), s.mod()));
    } else if (step instanceof Step.Delete s) {
      work.submit(s.durability(), Writes.delete(Writes.table(Writes.tables(db), s.table()), s.mod(), s.rem()));
    } else if (step instanceof Step.Schema s) {
      work.submit(s.durability(), Writes.schema(s.op(), Writes.tables(db), s.table()));
    } else if (step instanceof Step.DetachedWrites s) {
      detached(s);
    } else if (step instanceof Step.Checkpoint s) {
      db.checkpoint(s.mode()).get(60, TimeUnit.SECONDS);
    } else if (step instanceof Step.PassiveUntilComplete) {
      passiveUntilComplete();
    } else if (step instanceof Step.ForcedCheckpoint s) {
      forcedCheckpoint(s);
    } else if (step instanceof Step.Maintenance s) {
      MaintenancePlan.Builder plan = MaintenancePlan.builder().vacuum(s.vacuum()).gateWait(Duration.ofSeconds(3))
          .holdTimeout(Duration.ofSeconds(60));
      if (s.replicationSnapshot()) {
        plan.step("replication snapshot", live.replicator().maintenanceStep());
      }
      live.maintenance(plan.build());
    } else if (step instanceof Step.SnapshotUnderWrites s) {
      live.replicator().maintenanceStep().run(Live.DB, null); // only raises the snapshot request
      burst(s.writes(), 2, 10, s.dataSeed(), 1);
    } else if (step instanceof Step.Idle s) {
      Thread.sleep(s.millis());
    } else if (step instanceof Step.FailCall s) {
      faults.failCall(s.nth(), s.kind());
      SplittableRandom r = new SplittableRandom(s.dataSeed());
      for (int i = 0; i < s.writesAfter(); i++) {
        work.submitAndWait(Durability.REPLICATED, Writes.small("t0", r.nextLong()));
      }
    } else if (step instanceof Step.LoseAnswer s) {
      faults.loseAnswers(s.puts(), s.kind());
      SplittableRandom r = new SplittableRandom(s.dataSeed());
      for (int i = 0; i < s.writesAfter(); i++) {
        work.submit(Durability.REPLICATED, Writes.small("t0", r.nextLong()));
        if (i % 2 == 1) {
          work.awaitAll();
        }
      }
    } else if (step instanceof Step.Outage s) {
      faults.down(true);
      SplittableRandom r = new SplittableRandom(s.dataSeed());
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(s.millis());
      for (int i = 0; i < s.writesDuring(); i++) {
        work.submit(i % 2 == 0 ? Durability.LOCAL : Durability.REPLICATED, Writes.small("t0", r.nextLong()));
        Thread.sleep(s.millis() / Math.max(1, s.writesDuring()) / 2);
      }
      long left = end - System.nanoTime();
      if (left > 0) {
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left));
      }
      faults.quiet();
    } else if (step instanceof Step.Slow s) {
      faults.latency(Duration.ofMillis(s.latencyMillis()));
      SplittableRandom r = new SplittableRandom(s.dataSeed());
      try {
        for (int i = 0; i < s.writesDuring(); i++) {
          work.submitAndWait(Durability.REPLICATED, Writes.small("t0", r.nextLong()));
        }
      } finally {
        faults.quiet();
      }
    } else if (step instanceof Step.ProxyFault s) {
      if (faults.http()) {
        faults.proxy(s.kind(), s.times(), s.bytes());
      }
      SplittableRandom r = new SplittableRandom(s.dataSeed());
      try {
        for (int i = 0; i < s.writesDuring(); i++) {
          work.submitAndWait(Durability.REPLICATED, Writes.small("t0", r.nextLong()));
        }
      } finally {
        faults.quiet();
      }
    } else if (step instanceof Step.ConcurrentRestore s) {
      concurrentRestore(s);
    } else if (step instanceof Step.RestoreOverStale) {
      restoreOverStale();
    } else if (step instanceof Step.SaveCopy s) {
      work.awaitAll();
      savedCopy = scratch.resolve("copy-" + (++scratchCount));
      if (s.whileClosed()) {
        close(true);
        Live.copyFiles(live.dir(), savedCopy);
        reopen();
      } else {
        live.copyFilesOpen(savedCopy);
      }
    } else if (step instanceof Step.Rollback) {
      if (savedCopy != null) {
        close(true);
        Live.copyFiles(savedCopy, live.dir());
        reopen();
        // The bucket wins: a file that lost shipped commits stops replication, and the documented
        // recovery is to restore the bucket's newest point over it and start again.
        if (live.replicatorRefused(java.time.Duration.ofSeconds(30))) {
          close(true);
          live.restoreLatestOverLocal();
          reopen();
        }
      }
    } else if (step instanceof Step.Restart s) {
      switch (s.kind()) {
        case REPLICATOR_FIRST -> {
          close(true);
          reopen();
        }
        case STORE_FIRST -> {
          close(false);
          reopen();
        }
        case REPLICATOR_ONLY -> {
          work.sweepPositions();
          live.closeReplicator();
          work.sweepPositions();
          live.startReplicator();
        }
      }
    } else if (step instanceof Step.Kill) {
      return; // the parent kills this JVM; nothing to do in process
    } else {
      throw new IllegalArgumentException("unknown step " + step);
    }
    long tq = System.nanoTime();
    work.awaitAll();
    long tq2 = System.nanoTime();
    work.quiescent();
    if (verbose) {
      System.out.printf("    waiting for the writes %d ms, hash %d ms%n", (tq2 - tq) / 1_000_000, (System.nanoTime() - tq2) / 1_000_000);
    }
  }

  /** {@code writes} small writes from {@code threads} threads, without waiting between them. */
  private void burst(int writes, int threads, int replicatedPercent, long seed, int pauseEvery) throws Exception {
    List<String> tables = Writes.tables(live.db());
    List<CompletableFuture<Void>> submitters = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      submitters.add(CompletableFuture.runAsync(() -> {
        SplittableRandom r = new SplittableRandom(seed + thread);
        for (int i = thread; i < writes; i += threads) {
          Durability d = r.nextInt(100) < replicatedPercent ? Durability.REPLICATED : Durability.LOCAL;
          work.submit(d, Writes.small(Writes.table(tables, r.nextInt(4) == 0 ? r.nextInt() : 0), r.nextLong()));
          if (pauseEvery > 0 && i % 10 == 0) {
            try {
              Thread.sleep(pauseEvery);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        }
      }, clientThreads));
    }
    CompletableFuture.allOf(submitters.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
  }

  /** See {@link Step.IdleRace}. */
  private void idleRace(Step.IdleRace s) throws Exception {
    SplittableRandom r = new SplittableRandom(s.dataSeed());
    SplittableRandom inGate = new SplittableRandom(s.dataSeed() + 1);
    SlowGate gate = live.slowGate();
    Database db = live.db();
    java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicLong madeAt = new java.util.concurrent.atomic.AtomicLong(-1);
    int hits = 0;
    if (gate != null) {
      gate.duringCheck = () -> {
        if (armed.getAndSet(false)) { // once per round: a commit while the checkpoint thread is in the gates
          long before = db.lastTxid();
          work.submit(Durability.LOCAL, Writes.small("t0", inGate.nextLong()));
          long until = System.nanoTime() + 200_000_000L; // bounded: the writer may be waiting for this thread
          while (db.lastTxid() == before && System.nanoTime() < until) {
            Thread.onSpinWait();
          }
          madeAt.set(WalIndexFile.read(db).mxFrame());
        }
      };
    }
    try {
      for (int i = 0; i < s.rounds(); i++) {
        work.submitAndWait(Durability.REPLICATED, Writes.small("t0", r.nextLong()));
        // The bucket is down for the idle pause: a commit made in it cannot be shipped, so no gate may
        // release it, and no checkpoint may copy it.
        faults.down(true);
        madeAt.set(-1);
        armed.set(true);
        Thread.sleep(setup.idleCheckpointAfter().toMillis() + 20);
        armed.set(false);
        long made = madeAt.get();
        if (made > 0) {
          hits++;
          WalIndexFile.Header wal = WalIndexFile.read(db);
          if (wal.nBackfill() >= made) {
            rec.failure("CHECKPOINT_PAST_GATE", "a checkpoint copied WAL frame " + made + ", committed while it "
                + "consulted the gates and never shipped (nBackfill " + wal.nBackfill() + ", mxFrame " + wal.mxFrame() + ")");
          }
        }
        faults.down(false);
        work.submit(Durability.LOCAL, Writes.small("t0", r.nextLong()));
        work.submit(Durability.LOCAL, Writes.small("t0", r.nextLong()));
      }
    } finally {
      if (gate != null) {
        gate.duringCheck = null;
      }
      faults.down(false);
    }
    work.awaitAll();
    if (verbose) {
      System.out.printf("  idle race: %d of %d rounds committed during a gate check on the checkpoint thread%n",
          hits, s.rounds());
    }
  }

  /** Concurrent clients, each waiting for its REPLICATED acknowledgement before its next write. */
  private void clients(Step.ReplicatedClients s) throws Exception {
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int t = 0; t < s.threads(); t++) {
      long seed = s.dataSeed() + t;
      clients.add(CompletableFuture.runAsync(() -> {
        SplittableRandom r = new SplittableRandom(seed);
        try {
          for (int i = 0; i < s.writesEach(); i++) {
            work.submitAndWait(Durability.REPLICATED, Writes.small("t0", r.nextLong()));
          }
        } catch (Workload.Abort | InterruptedException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }, clientThreads));
    }
    try {
      CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable c = e.getCause() instanceof java.util.concurrent.CompletionException ce ? ce.getCause() : e.getCause();
      if (c instanceof Workload.Abort a) {
        throw a;
      }
      throw e;
    }
  }

  /** Threads for concurrent clients (the common pool has one thread on two cores). */
  private static final java.util.concurrent.ExecutorService clientThreads = java.util.concurrent.Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "torture-client");
    t.setDaemon(true);
    return t;
  });

  private void detached(Step.DetachedWrites s) throws Exception {
    work.awaitAll();
    work.sweepPositions();
    live.closeReplicator();
    live.forgetReplicator();
    SplittableRandom r = new SplittableRandom(s.dataSeed());
    for (int i = 0; i < s.writes(); i++) {
      work.submit(Durability.LOCAL, Writes.small("t0", r.nextLong()));
    }
    work.awaitAll();
    work.quiescent();
    live.startReplicator();
  }

  private void passiveUntilComplete() throws Exception {
    Database db = live.db();
    if (!live.replicator().awaitReplicated(db.lastTxid(), faults.stallBound())) {
      String msg = "store txid " + db.lastTxid() + " not in the bucket " + faults.stallBound().toSeconds()
          + " s after the faults stopped (no write was waiting); " + work.diagnosis();
      rec.failure("STALL", msg);
      throw new Workload.Abort(msg);
    }
    for (int i = 0; i < 50; i++) {
      CheckpointResult r = db.checkpoint(CheckpointMode.PASSIVE).get(60, TimeUnit.SECONDS);
      if (r.complete() || (!r.ran() && db.health().walBytes() == 0)) {
        return;
      }
      Thread.sleep(20);
    }
  }

  private void forcedCheckpoint(Step.ForcedCheckpoint s) throws Exception {
    faults.down(true);
    try {
      long target = setup.hardWalLimitBytes() + s.extraBytes();
      long seed = s.extraBytes();
      for (long written = 0; written < target; written += 256 << 10) {
        work.submit(Durability.LOCAL, Writes.big("t0", 256 << 10, seed++));
        work.awaitAll();
      }
    } finally {
      faults.quiet();
    }
    work.submit(Durability.REPLICATED, Writes.insert("t0", 1, 100, s.extraBytes()));
  }

  private Path freshRestorePath() throws Exception {
    Path dir = scratch.resolve("restore-" + (++scratchCount));
    Files.createDirectories(dir);
    return dir.resolve("restored.db");
  }

  /** A restore of the latest point while writes go on; the restored state must be a state the database had. */
  private void concurrentRestore(Step.ConcurrentRestore s) throws Exception {
    Path out = freshRestorePath();
    List<String> ackedBefore = local.acked().stream().map(w -> w.tag).toList();
    CompletableFuture<Object> restore = CompletableFuture.supplyAsync(() -> {
      for (int attempt = 0; ; attempt++) {
        try {
          return Restore.run(RestoreOptions.builder(restoreStore, prefix, out).build());
        } catch (RestoreException e) {
          if (e.kind() == RestoreException.Kind.NOTHING_TO_RESTORE) {
            return e;
          }
          if (attempt < 3 && e.getMessage().contains("disappeared during the restore")) {
            continue; // retention deleted what the plan had listed: the message says to try again
          }
          return e;
        } catch (RuntimeException e) {
          return e;
        }
      }
    });
    burst(s.writesDuring(), 2, 30, s.dataSeed(), 1);
    Object result = restore.get(300, TimeUnit.SECONDS);
    work.awaitAll();
    if (result instanceof RestoreException e && e.kind() == RestoreException.Kind.NOTHING_TO_RESTORE) {
      return;
    }
    if (result instanceof Exception e) {
      rec.failure("CONCURRENT_RESTORE", "restore of the latest point while writing failed: " + e);
      return;
    }
    checkRestored("CONCURRENT_RESTORE", out, ackedBefore, null);
  }

  /**
   * A forced restore over a stale database that has a -wal beside it (a copy of the live files plus one more
   * commit in its WAL): the result must be the bucket's state, not the stale WAL replayed onto it.
   */
  private void restoreOverStale() throws Exception {
    Path stale = scratch.resolve("stale-" + (++scratchCount));
    live.copyFilesOpen(stale);
    Path target = freshRestorePath();
    String staleTag = "stale-" + scratchCount;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + stale.resolve(Live.DB + ".db"))) {
      Writes.exec(c, "PRAGMA wal_autocheckpoint = 0");
      Writes.exec(c, "INSERT INTO wlog(tag) VALUES ('" + staleTag + "')");
      Writes.exec(c, "INSERT INTO t0(k, v) VALUES (-1, 'stale')");
      Live.copyFiles(stale, target.getParent()); // while open: the -wal still holds the stale commit
    }
    Files.move(target.getParent().resolve(Live.DB + ".db"), target);
    Files.move(target.getParent().resolve(Live.DB + ".db-wal"), target.resolveSibling(target.getFileName() + "-wal"));
    List<String> ackedBefore = local.acked().stream().map(w -> w.tag).toList();
    try {
      Restore.run(RestoreOptions.builder(restoreStore, prefix, target).force(true).build());
    } catch (RestoreException e) {
      if (e.kind() != RestoreException.Kind.NOTHING_TO_RESTORE) {
        rec.failure("RESTORE_OVER_STALE", "forced restore over a stale file failed: " + e);
      }
      return;
    }
    checkRestored("RESTORE_OVER_STALE", target, ackedBefore, staleTag);
  }

  /** Integrity, write log and content of a restore taken while running. */
  private void checkRestored(String check, Path out, List<String> ackedBefore, String forbiddenTag) throws Exception {
    String integrity = ContentHash.integrity(out);
    if (!integrity.equals("ok")) {
      rec.failure(check, "integrity_check of the restored file: " + integrity);
      return;
    }
    ContentHash.State st = ContentHash.read(out);
    if (forbiddenTag != null && st.tags().contains(forbiddenTag)) {
      rec.failure(check, "the restored file contains '" + forbiddenTag + "', a commit that was only in the stale -wal "
          + "beside the output: SQLite replayed the old WAL onto the restored database");
      return;
    }
    List<String> missing = new ArrayList<>(ackedBefore);
    missing.removeAll(st.tags());
    missing.removeIf(t -> !local.currentTags().contains(t)); // rolled back locally: checked by the final oracle
    if (!missing.isEmpty()) {
      rec.failure(check, missing.size() + " REPLICATED write(s) acknowledged before the restore began are missing from it, "
          + "first " + missing.get(0) + "; it holds " + st.tags().size() + " writes through '" + st.lastTag() + "'");
    }
    if (!local.isPrefixOfABranch(st.tags())) {
      rec.failure(check, "the restored write log (" + st.tags().size() + " writes through '" + st.lastTag()
          + "') is not a state the database ever had");
    }
    String want = local.hashAfter(st.lastTag());
    if (want != null && st.tags().equals(local.prefixThrough(st.lastTag())) && !want.equals(st.hash())) {
      rec.failure(check, "the restored content differs from the source's after write '" + st.lastTag() + "' (hash "
          + st.hash().substring(0, 12) + ", source " + want.substring(0, 12) + ")");
    }
  }

  Replicator replicator() {
    return live.replicator();
  }
}
