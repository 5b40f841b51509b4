package io.litevault.demo;

import io.litevault.replication.Replicator;
import io.litevault.store.Database;
import java.util.ArrayDeque;

/**
 * Replication lag, commit to bucket, measured from outside the library: every 10 ms it notes the newest
 * committed txid with the time, and records for each noted txid how long it took until
 * {@link Replicator#replicatedTxid()} reached it. Covers every write (LOCAL writes wait up to the upload
 * interval; REPLICATED ones make it upload at once); resolution ±10 ms.
 */
final class LagSampler implements AutoCloseable {
  private final Database db;
  private final Replicator replicator;
  final org.HdrHistogram.ConcurrentHistogram lag = Latency.histogram();
  private final Thread thread;
  private volatile boolean stop;

  LagSampler(Database db, Replicator replicator) {
    this.db = db;
    this.replicator = replicator;
    this.thread = new Thread(this::run, "demo-lag-sampler");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void run() {
    ArrayDeque<long[]> pending = new ArrayDeque<>(); // {txid, nanos}
    long lastNoted = db.lastTxid();
    while (!stop) {
      long now = System.nanoTime();
      long committed = db.lastTxid();
      if (committed > lastNoted) {
        pending.add(new long[] {committed, now});
        lastNoted = committed;
      }
      long replicated = replicator.replicatedTxid();
      while (!pending.isEmpty() && pending.peek()[0] <= replicated) {
        Latency.recordNanos(lag, now - pending.poll()[1]);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    Thread.sleep(30); // a last round after the final upload
    stop = true;
    thread.join();
  }
}
