package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import io.litevault.testing.Concurrently;
import io.litevault.testing.Unchecked;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * The cache against a model, with several threads interleaving writes and cached reads.
 *
 * <p>Every write stores a value drawn from one increasing counter, so per key "newer" means
 * "larger". The model records, per key, the largest value whose write had COMPLETED. A cached read
 * must return at least the model's value as it was when the read started (never older than a
 * completed write), and never a value nobody wrote.
 *
 * <p>A failure shrinks the schedule and reports "Seed was N"; {@code -DQT_SEED=N} replays the same
 * schedules (the threads' interleaving is the scheduler's, so a race may need a few replays).
 */
class CacheCoherenceProperties {
  private static Path dir;
  private static SqliteStore store;
  private static final AtomicLong counter = new AtomicLong();
  private static final AtomicLong keySpace = new AtomicLong();

  record Op(boolean write, int key) {}

  @BeforeAll
  static void open() throws Exception {
    dir = Files.createTempDirectory("cache-props");
    store = SqliteStore.builder(dir).database("data", Kv.options().readers(4).build()).open();
  }

  @AfterAll
  static void close() {
    store.close();
  }

  /** 2-4 threads, each 5-60 operations on 5 keys, a third of them writes. */
  static Gen<List<List<Op>>> schedules() {
    Gen<Op> op = arbitrary().pick(true, false, false).zip(integers().between(0, 4), Op::new);
    return lists().of(lists().of(op).ofSizeBetween(5, 60)).ofSizeBetween(2, 4);
  }

  @Test
  void cachedReadsNeverGoBackBeforeACompletedWrite() {
    // 60 tries; a failing schedule gets at most 100 shrink attempts (each runs the threads again).
    qt().withExamples(60).withShrinkCycles(100).forAll(schedules())
        .checkAssert(threads -> Unchecked.run(() -> tryOnce(threads)));
  }

  private void tryOnce(List<List<Op>> threads) throws Exception {
    Database db = store.database("data");
    long base = keySpace.addAndGet(100); // fresh keys per try: the model starts empty
    ConcurrentHashMap<Long, Long> completed = new ConcurrentHashMap<>();
    ConcurrentHashMap<Long, Long> written = new ConcurrentHashMap<>(); // key -> max value ever submitted
    Concurrently.run(threads.size(), 60, t -> {
      for (Op op : threads.get(t)) {
        long k = base + op.key();
        if (op.write()) {
          // The value is drawn on the writer thread, so commit order and value order agree.
          long v = db.writeAndWait(c -> {
            long value = counter.incrementAndGet();
            written.merge(k, value, Math::max);
            Kv.put(k, value).execute(c);
            return value;
          });
          completed.merge(k, v, Math::max);
        } else {
          long floor = completed.getOrDefault(k, 0L);
          Long got = db.cached("kv", k, c -> Kv.get(c, k));
          long seen = got == null ? 0 : got;
          assertTrue(seen >= floor, "key " + k + ": cached read returned " + seen
              + " after a write of " + floor + " had completed");
          assertTrue(seen <= written.getOrDefault(k, 0L), "key " + k + ": value " + seen + " was never written");
        }
      }
    });
    // Quiescent: every key's cached value equals the database's.
    for (long k = base; k < base + 5; k++) {
      long key = k;
      Long inDb = db.read(c -> Kv.get(c, key));
      Long cached = db.cached("kv", key, c -> Kv.get(c, key));
      assertEquals(inDb, cached, "key " + k);
    }
  }
}
