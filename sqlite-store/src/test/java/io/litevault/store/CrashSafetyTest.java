package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.testing.ChildJvm;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real child JVM writes through the store and is killed with {@code kill -9} at a random moment;
 * every write it had acknowledged must be in the reopened database, which must pass integrity_check,
 * and the store must go on writing on the crashed files. The default run does 2 rounds; the torture
 * profile ({@code mvn -Ptorture}) does {@code -Dlitevault.torture.rounds} (default 20).
 */
class CrashSafetyTest {
  @TempDir Path dir;
  /** Each child round writes keys from its own range, so rounds never collide. */
  private long firstKey;

  @Test
  void killNineKeepsEveryAcknowledgedWrite() throws Exception {
    rounds(2, Synchronous.NORMAL);
  }

  @Test
  @Tag("torture")
  void killNineTorture() throws Exception {
    int rounds = Integer.getInteger("litevault.torture.rounds", 20);
    rounds(rounds, Synchronous.NORMAL);
    rounds(Math.max(1, rounds / 2), Synchronous.FULL);
  }

  private void rounds(int rounds, Synchronous sync) throws Exception {
    Random random = new Random();
    Set<Long> acked = ConcurrentHashMap.newKeySet();
    for (int round = 0; round < rounds; round++) {
      CountDownLatch enough = new CountDownLatch(1);
      AtomicInteger roundAcks = new AtomicInteger();
      int killAfter = 200 + random.nextInt(3000);
      try (ChildJvm child = ChildJvm.start(CrashWriterMain.class, line -> {
        if (line.startsWith("ack ")) {
          acked.add(Long.parseLong(line.substring(4)));
          if (roundAcks.incrementAndGet() >= killAfter) {
            enough.countDown();
          }
        }
      }, dir.toString(), sync.name(), Long.toString(firstKey))) {
        assertTrue(enough.await(60, TimeUnit.SECONDS), "child made no progress; stderr:\n" + child.stderr());
        Thread.sleep(random.nextInt(50)); // land the kill anywhere: mid-batch, mid-commit, mid-checkpoint
        child.kill9();
        assertFalse(child.alive());
      }
      firstKey += 1_000_000;
      try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
        Database db = store.database("data");
        Set<Long> present = db.read(c -> {
          Set<Long> keys = new java.util.HashSet<>();
          try (var rs = c.createStatement().executeQuery("SELECT k, v FROM kv")) {
            while (rs.next()) {
              assertEquals(rs.getLong(1) * 7, rs.getLong(2), "row intact");
              keys.add(rs.getLong(1));
            }
          }
          return keys;
        });
        for (Long k : acked) {
          assertTrue(present.contains(k), "round " + round + ": acknowledged write " + k + " lost after kill -9");
        }
        assertEquals("ok", db.read(c -> {
          try (var rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
            rs.next();
            return rs.getString(1);
          }
        }));
        db.writeAndWait(Kv.put(-1 - round, (-1 - round) * 7L)); // it goes on writing on the crashed files
      }
    }
    assertFalse(acked.isEmpty());
  }
}
