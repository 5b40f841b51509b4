package io.litevault.replication.torture;

import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.store.Database;
import io.litevault.store.WriteTask;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Submits the schedule's writes and records what happens to them. Every write task also appends its tag to
 * the write log ({@code wlog}) in its own transaction; LOCAL writes go through {@code Database.write},
 * REPLICATED ones through {@code Replicator.write}. At quiescent points it records the content hash with the
 * store txid, and the replicator's {@code positionOf} for every txid it has shipped since the last time.
 */
final class Workload {
  /** The part of a write task that changes data; the workload adds the write-log row. */
  @FunctionalInterface
  interface Body {
    void apply(Connection c) throws Exception;
  }

  /** Thrown to stop a schedule: a check failed in a way that makes the rest meaningless (a stall). */
  static final class Abort extends Exception {
    private static final long serialVersionUID = 1L;

    Abort(String message) {
      super(message);
    }
  }

  private record Pending(String tag, Durability durability, CompletableFuture<Long> future) {}

  private final Recorder rec;
  private final History local;
  private final String tagPrefix;
  private final FaultPlan faults;
  private final List<Pending> pending = new ArrayList<>();
  private Live live;
  private int opens;
  private final java.util.concurrent.atomic.AtomicInteger counter = new java.util.concurrent.atomic.AtomicInteger(); // clients submit from many threads
  private int sweptInstance = -1;
  private int quiescentPoints;
  static final long ALWAYS_HASH_BYTES = 4L << 20;
  private long sweptTxid;

  Workload(Recorder rec, History local, String tagPrefix, FaultPlan faults) {
    this.rec = rec;
    this.local = local;
    this.tagPrefix = tagPrefix;
    this.faults = faults;
  }

  /** The store was (re)opened: record its write log and content as the epoch's txid 0. */
  void opened(Live live) throws Exception {
    this.live = live;
    opens++;
    ContentHash.State s = live.db().read(ContentHash::read);
    long now = System.currentTimeMillis();
    rec.opened(live.epoch(), s.tags(), now);
    rec.state(live.epoch(), live.db().lastTxid(), s.lastTag(), s.hash(), now);
  }

  /** Queues one write; returns its tag. */
  String submit(Durability durability, Body body) {
    return submitPending(durability, body).tag();
  }

  private Pending submitPending(Durability durability, Body body) {
    String tag = tagPrefix + opens + "w" + counter.incrementAndGet();
    WriteTask<Long> task = c -> {
      body.apply(c);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO wlog(tag) VALUES (?) RETURNING seq")) {
        ps.setString(1, tag);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    };
    rec.submitted(tag, durability, System.currentTimeMillis());
    Replicator r = live.replicator();
    CompletableFuture<Long> f = durability == Durability.LOCAL ? live.db().write(task) : r.write(task, durability);
    // Wait on the stage after the recording, so the model has the write once the wait returns.
    CompletableFuture<Long> recorded = f.whenComplete((seq, e) -> {
      if (e == null) {
        rec.committed(tag, seq);
        if (durability == Durability.REPLICATED) {
          rec.acked(tag, System.currentTimeMillis());
        }
      }
    });
    Pending p = new Pending(tag, durability, recorded);
    synchronized (pending) {
      pending.add(p);
    }
    return p;
  }

  /** Submits and waits for this write only (within the stall bound); other threads may submit meanwhile. */
  String submitAndWait(Durability durability, Body body) throws Abort, InterruptedException {
    Pending p = submitPending(durability, body);
    await(p, faults.deadlineNanos());
    synchronized (pending) {
      pending.remove(p);
    }
    return p.tag();
  }

  /**
   * Waits for every queued write: LOCAL ones to commit, REPLICATED ones to be acknowledged, each within the
   * stall bound counted from when the faults stopped. A write that fails or misses the bound is a failure
   * that stops the schedule.
   */
  void awaitAll() throws Abort, InterruptedException {
    List<Pending> all;
    synchronized (pending) {
      all = new ArrayList<>(pending);
      pending.clear();
    }
    long deadline = faults.deadlineNanos();
    for (Pending p : all) {
      await(p, deadline);
    }
  }

  private void await(Pending p, long deadline) throws Abort, InterruptedException {
    {
      try {
        p.future().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        String what = p.durability() == Durability.REPLICATED
            ? "REPLICATED write " + p.tag() + " not acknowledged " + faults.stallBound().toSeconds() + " s after the faults stopped"
            : "LOCAL write " + p.tag() + " not committed within " + faults.stallBound().toSeconds() + " s";
        String msg = what + "; " + diagnosis();
        rec.failure("STALL", msg);
        throw new Abort(msg);
      } catch (ExecutionException e) {
        String msg = p.durability() + " write " + p.tag() + " failed: " + e.getCause();
        rec.failure("WRITE", msg);
        throw new Abort(msg);
      }
    }
  }

  String diagnosis() {
    Database db = live.db();
    Replicator r = live.replicator();
    return "store txid " + db.lastTxid() + ", replicated through " + (r == null ? "-" : r.replicatedTxid())
        + ", replicator " + (r == null ? "closed" : r.health()) + ", store " + db.health();
  }

  /**
   * At a quiescent point (no write in flight): the content hash and write log, in one read transaction;
   * checks the write log against the writes the model saw commit, then records positions.
   */
  void quiescent() throws Exception {
    quiescent(false);
  }

  /**
   * Like {@link #quiescent()}; the content hash is computed when {@code forceHash}, when the database is
   * small (under {@link #ALWAYS_HASH_BYTES}), and at every third quiescent point otherwise (hashing costs about
   * a second per 20 MB; the write log alone still identifies the state).
   */
  void quiescent(boolean forceHash) throws Exception {
    Database db = live.db();
    long before = db.lastTxid();
    boolean hash = forceHash || ++quiescentPoints % 3 == 0 || db.read(ContentHash::size) <= ALWAYS_HASH_BYTES;
    ContentHash.State s = db.read(c -> ContentHash.read(c, hash));
    long after = db.lastTxid();
    if (before == after) {
      rec.state(live.epoch(), after, s.lastTag(), s.hash() == null ? "-" : s.hash(), System.currentTimeMillis());
    }
    List<String> model = local.currentTags();
    if (!s.tags().equals(model)) {
      int i = 0;
      while (i < Math.min(s.tags().size(), model.size()) && s.tags().get(i).equals(model.get(i))) {
        i++;
      }
      rec.failure("WLOG", "the live database's write log (" + s.tags().size() + " writes) differs from the writes "
          + "whose futures completed (" + model.size() + ") at row " + (i + 1) + ": database has "
          + (i < s.tags().size() ? s.tags().get(i) : "nothing") + ", futures say " + (i < model.size() ? model.get(i) : "nothing"));
    }
    sweepPositions();
  }

  /** Records {@code positionOf} for every store txid shipped since the last sweep of this replicator. */
  void sweepPositions() {
    Replicator r = live.replicator();
    if (r == null) {
      return;
    }
    if (sweptInstance != live.instance()) {
      sweptInstance = live.instance();
      sweptTxid = 0;
    }
    long upTo = r.replicatedTxid();
    for (long k = sweptTxid + 1; k <= upTo; k++) {
      long txid = k;
      r.positionOf(k).ifPresent(p -> rec.position(live.instance(), live.epoch(), txid, p.lineage(), p.txid()));
    }
    sweptTxid = Math.max(sweptTxid, upTo);
  }
}
