package io.litevault.replication.format;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import io.litevault.testing.Unchecked;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * decode(encode(x)) == x for segments and snapshots, and any flipped byte is detected. A failure
 * shrinks the case and reports "Seed was N"; {@code -DQT_SEED=N} replays it. Each property gets at
 * most 1000 shrink attempts (a try takes a few milliseconds).
 */
class FormatProperties {
  private static final int SHRINKS = 1000;

  static Gen<Codec> codecs() {
    return arbitrary().enumValues(Codec.class);
  }

  private static byte[] page(Random r, int size, boolean compressible) {
    byte[] p = new byte[size];
    if (compressible) {
      for (int i = 0; i < size; i += 64) {
        p[i] = (byte) r.nextInt();
      }
    } else {
      r.nextBytes(p);
    }
    return p;
  }

  private static Segment segment(long seed, int txns, int pageSize) {
    Random r = new Random(seed);
    List<Segment.Txn> list = new ArrayList<>();
    long first = 1 + r.nextInt(1000);
    for (int i = 0; i < txns; i++) {
      Map<Integer, byte[]> pages = new LinkedHashMap<>();
      int n = 1 + r.nextInt(5);
      for (int j = 0; j < n; j++) {
        pages.put(1 + r.nextInt(50), page(r, pageSize, r.nextBoolean()));
      }
      list.add(new Segment.Txn(first + i, 1_700_000_000_000L + i, 50 + r.nextInt(10), r.nextLong(), pages));
    }
    return new Segment("20261123T000000Z-0a1b2c3d", pageSize, r.nextLong(), list,
        new io.litevault.store.WalPosition(r.nextInt() & 0xffffffffL, r.nextInt() & 0xffffffffL, 32 + r.nextInt(1 << 20)));
  }

  @Test
  void segmentsRoundTrip() {
    qt().withExamples(60).withShrinkCycles(SHRINKS).forAll(codecs(), longs().all(), integers().between(1, 8))
        .checkAssert((codec, seed, txns) -> Unchecked.run(() -> segmentsRoundTrip(codec, seed, txns)));
  }

  private void segmentsRoundTrip(Codec codec, long seed, int txns) throws Exception {
    Segment s = segment(seed, txns, 1024);
    byte[] bytes = SegmentCodec.encode(s, codec);
    Segment back = SegmentCodec.decode(bytes, "seg");
    assertEquals(s.lineage(), back.lineage());
    assertEquals(s.checksumBefore(), back.checksumBefore());
    assertEquals(s.walEnd(), back.walEnd());
    assertEquals(s.transactions().size(), back.transactions().size());
    for (int i = 0; i < txns; i++) {
      Segment.Txn a = s.transactions().get(i);
      Segment.Txn b = back.transactions().get(i);
      assertEquals(a.txid(), b.txid());
      assertEquals(a.timestampMillis(), b.timestampMillis());
      assertEquals(a.dbSizePages(), b.dbSizePages());
      assertEquals(a.checksumAfter(), b.checksumAfter());
      assertEquals(a.pages().keySet(), b.pages().keySet());
      for (Integer k : a.pages().keySet()) {
        assertArrayEquals(a.pages().get(k), b.pages().get(k));
      }
    }
    SegmentCodec.Header h = SegmentCodec.peekHeader(new ByteArrayInputStream(bytes), "seg");
    assertEquals(s.firstTxid(), h.firstTxid());
    assertEquals(s.last().txid(), h.lastTxid());
  }

  @Test
  void aFlippedByteInASegmentIsAlwaysDetected() {
    qt().withExamples(60).withShrinkCycles(SHRINKS).forAll(codecs(), longs().all(), integers().between(0, 1_000_000))
        .checkAssert((codec, seed, where) -> Unchecked.run(() -> aFlippedByteIsDetected(codec, seed, where)));
  }

  private void aFlippedByteIsDetected(Codec codec, long seed, int where) throws Exception {
    byte[] bytes = SegmentCodec.encode(segment(seed, 3, 512), codec);
    bytes[where % bytes.length] ^= (byte) (1 + (seed & 0x7f));
    assertThrows(FormatException.class, () -> SegmentCodec.decode(bytes, "seg"));
  }

  @Test
  void snapshotsRoundTripAndCarryTheDatabaseChecksum() {
    qt().withExamples(30).withShrinkCycles(SHRINKS).forAll(codecs(), longs().all(), integers().between(0, 40))
        .checkAssert((codec, seed, pages) -> Unchecked.run(() -> snapshotRoundTrip(codec, seed, pages)));
  }

  private void snapshotRoundTrip(Codec codec, long seed, int pages) throws Exception {
    Random r = new Random(seed);
    List<byte[]> db = new ArrayList<>();
    DatabaseChecksum expected = new DatabaseChecksum();
    for (int i = 1; i <= pages; i++) {
      byte[] p = page(r, 1024, r.nextBoolean());
      db.add(p);
      expected.set(i, p);
    }
    Path file = Files.createTempFile("snap", ".lvsn");
    try {
      SnapshotCodec.Header h = new SnapshotCodec.Header(codec, 1024, pages, 42, 1234,
          new io.litevault.store.WalPosition(7, 0xfffffffeL, 4128), "20261123T000000Z-0a1b2c3d");
      long checksum = SnapshotCodec.write(file, h, pgno -> db.get(pgno - 1));
      assertEquals(expected.value(), checksum);
      List<byte[]> back = new ArrayList<>();
      SnapshotCodec.Header read = SnapshotCodec.read(Files.newInputStream(file), "snap", (pgno, p, hash) -> {
        assertEquals(back.size() + 1, pgno);
        assertEquals(DatabaseChecksum.pageHash(pgno, p), hash, "the hash handed to the sink");
        back.add(p.clone());
      });
      assertEquals(h, read);
      assertEquals(pages, back.size());
      for (int i = 0; i < pages; i++) {
        assertArrayEquals(db.get(i), back.get(i));
      }
      byte[] bytes = Files.readAllBytes(file);
      bytes[r.nextInt(bytes.length)] ^= 0x10;
      assertThrows(FormatException.class, () -> SnapshotCodec.read(new ByteArrayInputStream(bytes), "snap", (pgno, p, hash) -> { }));
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void theDatabaseChecksumIsOrderIndependentAndTracksResizes() {
    qt().withExamples(50).withShrinkCycles(SHRINKS).forAll(longs().all()).checkAssert(FormatProperties::checksumOnce);
  }

  private static void checksumOnce(long seed) {
    Random r = new Random(seed);
    DatabaseChecksum a = new DatabaseChecksum();
    Map<Integer, byte[]> state = new LinkedHashMap<>();
    for (int i = 0; i < 30; i++) {
      int pgno = 1 + r.nextInt(20);
      byte[] p = page(r, 512, false);
      a.set(pgno, p);
      state.put(pgno, p);
    }
    int size = 1 + r.nextInt(20);
    a.resize(size);
    DatabaseChecksum b = new DatabaseChecksum();
    List<Integer> keys = new ArrayList<>(state.keySet());
    java.util.Collections.shuffle(keys, r);
    for (int k : keys) {
      if (k <= size) {
        b.set(k, state.get(k));
      }
    }
    b.resize(size);
    assertEquals(b.value(), a.value());
  }
}
