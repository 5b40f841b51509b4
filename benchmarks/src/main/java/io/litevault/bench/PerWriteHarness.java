package io.litevault.bench;

import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import io.litevault.store.Synchronous;
import io.litevault.store.TaskIsolation;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Locale;

/**
 * Issue 14's per-transaction ratio on a shared machine: {@code WriteBenchmark.single} against
 * {@code WriteBenchmark.plain}, but interleaved. JMH runs the two trials one after the other, so on a
 * machine whose load swings (other sessions' builds and disks) each sees a different machine; here one
 * thread alternates short slices of the two (one write per transaction each: the store's
 * {@code writeAndWait} of one INSERT, or one autocommitted INSERT on a plain connection with a reused
 * statement, WAL, same synchronous level), so both see the same load, and sums each side's writes
 * and time.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.litevault.bench.PerWriteHarness [--seconds=30] [--slice-ms=100] [--sync=NORMAL,FULL]
 * </pre>
 */
public final class PerWriteHarness {
  private PerWriteHarness() {}

  public static void main(String[] args) throws Exception {
    int seconds = 30;
    int sliceMs = 100;
    String syncs = "NORMAL,FULL";
    for (String a : args) {
      if (a.startsWith("--seconds=")) {
        seconds = Integer.parseInt(a.substring(10));
      } else if (a.startsWith("--slice-ms=")) {
        sliceMs = Integer.parseInt(a.substring(11));
      } else if (a.startsWith("--sync=")) {
        syncs = a.substring(7);
      } else {
        throw new IllegalArgumentException("unknown argument " + a);
      }
    }
    for (String s : syncs.split(",")) {
      run(Synchronous.valueOf(s.trim()), seconds, sliceMs);
    }
  }

  private static void run(Synchronous sync, int seconds, int sliceMs) throws SQLException {
    Path storeDir = BenchSupport.newDirectory("litevault-perwrite-store-");
    Path plainDir = BenchSupport.newDirectory("litevault-perwrite-plain-");
    try (SqliteStore store = BenchSupport.openStore(storeDir, sync, TaskIsolation.SAVEPOINT);
        Connection plain = BenchSupport.openPlain(plainDir, sync);
        PreparedStatement insert = plain.prepareStatement(BenchSupport.INSERT)) {
      Database db = store.database(BenchSupport.DB);
      long[] keys = new long[2];
      long[] ops = new long[2];
      long[] nanos = new long[2];
      long sliceNanos = sliceMs * 1_000_000L;
      long warmupEnd = System.nanoTime() + 5_000_000_000L;
      long end = warmupEnd + seconds * 1_000_000_000L;
      for (int slice = 0; System.nanoTime() < end; slice++) {
        int mode = slice & 1; // 0: store, 1: plain
        long start = System.nanoTime();
        long stop = start + sliceNanos;
        long n = 0;
        do {
          long key = ++keys[mode];
          if (mode == 0) {
            db.writeAndWait(c -> BenchSupport.insertOnce(c, key));
          } else {
            insert.setLong(1, key);
            insert.setString(2, BenchSupport.VALUE);
            insert.executeUpdate();
          }
          n++;
        } while (System.nanoTime() < stop);
        if (start >= warmupEnd) {
          ops[mode] += n;
          nanos[mode] += System.nanoTime() - start;
        }
      }
      double single = ops[0] * 1e9 / nanos[0];
      double plainRate = ops[1] * 1e9 / nanos[1];
      System.out.printf(Locale.ROOT, "%s: single %.0f writes/s, plain %.0f writes/s, single/plain %.2f "
          + "(%d s interleaved in %d ms slices after 5 s warm-up)%n", sync, single, plainRate, single / plainRate,
          seconds, sliceMs);
    } finally {
      BenchSupport.deleteRecursively(storeDir);
      BenchSupport.deleteRecursively(plainDir);
    }
  }
}
