package io.litevault.bucket.crypt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.testing.Unchecked;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The encrypted format's round trip: for random plaintext sizes (biased to the segment boundaries, where an
 * off-by-one would hide) and random ranges, decrypt(encrypt(x)) == x, every ranged read returns exactly its
 * slice, the stored size is the format's and the listed size is the plaintext's. A failure reports "Seed was
 * N"; {@code -DQT_SEED=N} replays it.
 */
class CryptFormatProperties {
  @TempDir
  static Path dir;
  static ObjectStore plain;
  static EncryptedObjectStore store;

  @BeforeAll
  static void open() {
    plain = FileSystemObjectStore.create(dir);
    store = EncryptedObjectStore.wrap(plain, TestKeys.provider(TestKeys.fresh()));
  }

  @AfterAll
  static void close() {
    store.close();
  }

  static Gen<Integer> sizes() {
    int f = Framing.FIRST_PLAIN;
    int p = Framing.PLAIN;
    Gen<Integer> boundary = Generate.pick(java.util.List.of(0, 1, f - 1, f, f + 1, f + p - 1, f + p, f + p + 1,
        f + 2 * p));
    Gen<Integer> delta = integers().between(-3, 3);
    return boundary.zip(delta, (b, d) -> Math.max(0, b + d)).mix(integers().between(0, 3 * Framing.SEGMENT), 50);
  }

  @Test
  void sizesMapBothWays() {
    qt().withExamples(20_000).forAll(longs().between(0, 1L << 40))
        .checkAssert(n -> assertEquals(n, Framing.plainSize(Framing.storedSize(n))));
  }

  @Test
  void roundTripsAndRangedReadsAtRandomOffsets() {
    qt().withExamples(40).withShrinkCycles(20).forAll(sizes(), longs().all())
        .checkAssert((size, seed) -> Unchecked.run(() -> check(size, seed)));
  }

  private static void check(int size, long seed) throws Exception {
    Random r = new Random(seed);
    byte[] body = new byte[size];
    r.nextBytes(body);
    String key = "db/lineages/20261203T000000000Z-0000000" + (seed & 7) + "/segments/" + size + "-" + seed + ".lvsg";
    boolean streamed = r.nextBoolean();
    if (streamed) {
      store.put(key, new ByteArrayInputStream(body), r.nextBoolean() ? size : ObjectStore.UNKNOWN_LENGTH);
    } else {
      store.put(key, body);
    }
    assertEquals(Framing.storedSize(size), Files.size(dir.resolve(key)), "stored size");
    assertEquals(size, store.stat(key).orElseThrow().size(), "plaintext size");
    try (InputStream in = store.get(key)) {
      assertArrayEquals(body, in.readAllBytes(), "whole body");
    }
    for (int i = 0; i < 6; i++) {
      long off = size == 0 ? r.nextInt(3) : (long) r.nextInt(size + 2);
      long len = r.nextInt(4) == 0 ? Framing.SEGMENT + r.nextInt(100) : r.nextInt(70_000);
      byte[] want = Arrays.copyOfRange(body, (int) Math.min(off, size), (int) Math.min(size, off + len));
      try (InputStream in = store.get(key, off, len)) {
        assertArrayEquals(want, in.readAllBytes(), "range " + off + "+" + len + " of " + size);
      }
    }
    store.delete(key);
  }
}
