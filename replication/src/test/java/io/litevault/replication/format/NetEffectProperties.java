package io.litevault.replication.format;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import io.litevault.testing.Unchecked;
import org.junit.jupiter.api.Test;

/**
 * A segment's net effect, applied at once, leaves the same file and the same database checksum as its
 * transactions applied one by one, whatever they do to the size (grow, shrink, shrink and regrow); and
 * the {@link PageFileWriter} that writes them gives the same file on the caller's thread or another.
 * A failure shrinks the case and reports "Seed was N"; {@code -DQT_SEED=N} replays it.
 */
class NetEffectProperties {
  private static final int PAGE = 512;

  @Test
  void theNetEffectEqualsApplyingTransactionsOneByOne() {
    // 1000 tries of a few milliseconds; a failing case gets at most 2000 shrink attempts.
    qt().withExamples(1000).withShrinkCycles(2000).forAll(longs().all(), integers().between(1, 12), integers().between(0, 20))
        .checkAssert((seed, txnCount, startPages) -> Unchecked.run(() -> netEffectOnce(seed, txnCount, startPages)));
  }

  private void netEffectOnce(long seed, int txnCount, int startPages) throws Exception {
    RandomHistory h = RandomHistory.of(seed, txnCount, startPages, PAGE);
    List<Segment.Txn> txns = h.txns();
    byte[][] start = h.start();
    List<byte[]> model = h.model();
    DatabaseChecksum sequential = h.sequential();
    int size = h.finalPages();

    // At once, into a real file.
    NetEffect effect = new NetEffect();
    txns.forEach(effect::add);
    DatabaseChecksum net = checksumOf(start);
    assertEquals(size, effect.applyTo(net));
    assertEquals(sequential.value(), net.value(), "checksum");
    Path file = Files.createTempFile("net", ".db");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      PageFileWriter writer = new PageFileWriter(ch, PAGE);
      for (int i = 0; i < startPages; i++) {
        writer.write(i + 1, start[i]);
      }
      writer.flush();
      effect.applyTo(ch, writer, startPages, PAGE);
    }
    byte[] bytes = Files.readAllBytes(file);
    Files.delete(file);
    assertEquals((long) size * PAGE, bytes.length, "file size");
    for (int i = 0; i < size; i++) {
      assertArrayEquals(model.get(i), Arrays.copyOfRange(bytes, i * PAGE, (i + 1) * PAGE), "page " + (i + 1));
    }
  }

  /** The restore's snapshot writer hands full runs to another thread: the file must be the same. */
  @Test
  void writingRunsOnAnotherThreadGivesTheSameFile() {
    qt().withExamples(20).withShrinkCycles(100).forAll(longs().all())
        .checkAssert(seed -> Unchecked.run(() -> writingRunsOnce(seed)));
  }

  private void writingRunsOnce(long seed) throws Exception {
    Random random = new Random(seed);
    int pages = 2_000 + random.nextInt(4_000); // more than one 1 MiB run of 512-byte pages
    byte[][] content = new byte[pages][];
    List<Integer> order = new ArrayList<>();
    for (int p = 1; p <= pages; p++) {
      if (random.nextInt(20) != 0) { // gaps break runs
        content[p - 1] = page(random);
        order.add(p);
      }
    }
    java.util.concurrent.ExecutorService io = java.util.concurrent.Executors.newSingleThreadExecutor();
    Path sync = Files.createTempFile("sync", ".db");
    Path async = Files.createTempFile("async", ".db");
    try (FileChannel a = FileChannel.open(sync, StandardOpenOption.WRITE);
        FileChannel b = FileChannel.open(async, StandardOpenOption.WRITE)) {
      PageFileWriter one = new PageFileWriter(a, PAGE);
      PageFileWriter two = new PageFileWriter(b, PAGE, io);
      for (int p : order) {
        one.write(p, content[p - 1]);
        two.write(p, content[p - 1]);
      }
      one.flush();
      two.flush();
      byte[] written = Files.readAllBytes(async);
      assertArrayEquals(Files.readAllBytes(sync), written);
      int last = order.get(order.size() - 1); // in the last run: written only by the final flush
      assertArrayEquals(content[last - 1], Arrays.copyOfRange(written, (last - 1) * PAGE, last * PAGE));
    } finally {
      io.shutdownNow();
      Files.delete(sync);
      Files.delete(async);
    }
  }

  private static DatabaseChecksum checksumOf(byte[][] pages) {
    DatabaseChecksum c = new DatabaseChecksum();
    for (int i = 0; i < pages.length; i++) {
      c.set(i + 1, pages[i]);
    }
    c.resize(pages.length);
    return c;
  }

  private static byte[] page(Random random) {
    byte[] b = new byte[PAGE];
    random.nextBytes(b);
    return b;
  }
}
