package io.litevault.demo;

import io.litevault.replication.Durability;
import io.litevault.replication.Replicator;
import io.litevault.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Drives the {@link Workload}: writer threads keep up to {@value #IN_FLIGHT} LOCAL writes and
 * {@value #IN_FLIGHT_REPLICATED} REPLICATED writes each in flight (so the store's group commit has batches to
 * form, and writes waiting for the bucket do not hold back the others), reader threads read alongside them, up to
 * {@value #READS_PER_WRITE} reads per write, and stop when the writes end: a day's reads come interleaved
 * with its writes. Writers never wait for readers (tying them together quadrupled the demo: a read right
 * after a write misses the cache the write invalidated), so on a slow machine the day has fewer reads per
 * write, which the report shows. Posts are written
 * with {@link Durability#REPLICATED}, comments and page views with {@link Durability#LOCAL} through the
 * replicator, sessions and one-time codes go to TTL tables of the unreplicated {@code ttl} database.
 */
final class Traffic {
  static final int IN_FLIGHT = 64;
  static final int IN_FLIGHT_REPLICATED = 512;
  static final int READS_PER_WRITE = 10;


  private final Database data;
  private final Sessions sessions;
  private final Replicator replicator;
  private final long totalWrites;
  final LongAdder submitted = new LongAdder();

  final LongAdder writes = new LongAdder();
  final LongAdder replicatedWrites = new LongAdder();
  final LongAdder reads = new LongAdder();
  final LongAdder failures = new LongAdder();
  final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
  final org.HdrHistogram.ConcurrentHistogram writeLatency = Latency.histogram();
  final org.HdrHistogram.ConcurrentHistogram replicatedLatency = Latency.histogram();
  private final AtomicLong maxPost = new AtomicLong();
  /** When the last write of the run was acknowledged (nanoTime), set by {@link #run}. */
  volatile long writesDoneNanos;
  /** Set once every write is acknowledged: the readers stop. */
  private volatile boolean writesDone;

  Traffic(Database data, Sessions sessions, Replicator replicator, long totalWrites, long existingPosts) {
    this.data = data;
    this.sessions = sessions;
    this.replicator = replicator;
    this.totalWrites = totalWrites;
    this.maxPost.set(existingPosts);
  }

  /** Runs the writers and readers to the end; {@code halfway} runs once half the writes are acknowledged. */
  void run(int writerThreads, int readerThreads, Runnable halfway) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writerThreads; w++) {
      long share = totalWrites / writerThreads + (w < totalWrites % writerThreads ? 1 : 0);
      threads.add(new Thread(() -> writeLoop(share), "demo-writer-" + w));
    }
    for (int r = 0; r < readerThreads; r++) {
      threads.add(new Thread(this::readLoop, "demo-reader-" + r));
    }
    Thread half = new Thread(() -> {
      while (writes.sum() < totalWrites / 2) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
      halfway.run();
    }, "demo-maintenance");
    threads.add(half);
    threads.forEach(Thread::start);
    for (int w = 0; w < writerThreads; w++) {
      threads.get(w).join();
    }
    writesDoneNanos = System.nanoTime();
    writesDone = true;
    for (Thread t : threads) {
      t.join();
    }
  }

  private void writeLoop(long count) {
    Semaphore local = new Semaphore(IN_FLIGHT);
    Semaphore replicated = new Semaphore(IN_FLIGHT_REPLICATED);
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    for (long i = 0; i < count; i++) {
      Workload.Kind kind = Workload.pick(rnd);
      Semaphore inFlight = kind == Workload.Kind.POST ? replicated : local;
      inFlight.acquireUninterruptibly();
      long t0 = System.nanoTime();
      boolean duringPurge = sessions.purging;
      CompletableFuture<?> f;
      org.HdrHistogram.ConcurrentHistogram extra = null;
      try {
        switch (kind) {
          case POST -> {
            f = replicator.write(Workload.post(rnd), Durability.REPLICATED)
                .thenAccept(id -> maxPost.accumulateAndGet(id, Math::max));
            extra = replicatedLatency;
          }
          case COMMENT -> f = replicator.write(Workload.comment(rnd, maxPost.get()), Durability.LOCAL);
          case VIEW -> f = replicator.write(Workload.view(rnd, maxPost.get()), Durability.LOCAL);
          default -> f = sessions.write(rnd);
        }
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      submitted.increment();
      org.HdrHistogram.ConcurrentHistogram also = extra;
      f.whenComplete((v, e) -> {
        long took = System.nanoTime() - t0;
        if (e != null) {
          failures.increment();
          firstFailure.compareAndSet(null, e);
        } else {
          Latency.recordNanos(writeLatency, took);
          if (duringPurge) {
            Latency.recordNanos(sessions.writeLatencyDuringPurge, took);
          }
          if (also != null) {
            Latency.recordNanos(also, took);
            replicatedWrites.increment();
          }
        }
        writes.increment();
        inFlight.release();
      });
    }
    local.acquireUninterruptibly(IN_FLIGHT); // every write of this thread answered
    replicated.acquireUninterruptibly(IN_FLIGHT_REPLICATED);
  }

  private void readLoop() {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    while (!writesDone && failures.sum() == 0) {
      if (reads.sum() >= submitted.sum() * READS_PER_WRITE) {
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // ahead of the day's ratio: wait for writes
        continue;
      }
      for (int i = 0; i < 64; i++) {
        long post = Workload.hot(rnd, maxPost.get());
        try {
          if (rnd.nextInt(10) < 9) {
            data.cached("post", post, c -> {
              try (PreparedStatement ps = c.prepareStatement("SELECT title, body FROM post WHERE id = ?")) {
                ps.setLong(1, post);
                try (ResultSet rs = ps.executeQuery()) {
                  return rs.next() ? rs.getString(1) : null;
                }
              }
            });
          } else {
            data.read(c -> {
              try (PreparedStatement ps = c.prepareStatement(
                  "SELECT author, body FROM comment WHERE post_id = ? ORDER BY id DESC LIMIT 10")) {
                ps.setLong(1, post);
                int n = 0;
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    n++;
                  }
                }
                return n;
              }
            });
          }
        } catch (RuntimeException e) {
          failures.increment();
          firstFailure.compareAndSet(null, e);
        }
      }
      reads.add(64);
    }
  }
}
