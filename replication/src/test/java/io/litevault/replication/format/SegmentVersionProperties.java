package io.litevault.replication.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.litevault.store.WalPosition;
import io.litevault.testing.Unchecked;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Segment format version 2 (a page's later images in a segment stored as XORs with the image before) decodes
 * to exactly what was encoded, and to the same net effect as version 1, which is still read; any flipped
 * byte of either version is refused. The histories rewrite a few hot pages in small steps, shrink the
 * database over them and grow it again (a page's base for its next XOR is its previous image in the
 * segment, dropped by a shrink or not), as a hot B-tree does. A failure shrinks the case and reports "Seed
 * was N"; {@code -DQT_SEED=N} replays it.
 */
class SegmentVersionProperties {
  private static final int PAGE = 512;

  /** A segment whose transactions mostly rewrite a few hot pages a few bytes at a time. */
  static Segment hotSegment(long seed, int txnCount) {
    Random r = new Random(seed);
    Map<Integer, byte[]> current = new HashMap<>();
    List<Segment.Txn> txns = new ArrayList<>();
    int size = 4 + r.nextInt(8);
    for (int t = 0; t < txnCount; t++) {
      size = Math.max(1, size + r.nextInt(7) - 3);
      Map<Integer, byte[]> pages = new LinkedHashMap<>();
      int writes = r.nextInt(6);
      for (int i = 0; i < writes; i++) {
        int pgno = 1 + r.nextInt(size + 2); // sometimes past the new size (dropped by it)
        byte[] page = current.containsKey(pgno) && r.nextInt(8) > 0 ? current.get(pgno).clone() : new byte[PAGE];
        if (r.nextInt(10) == 0) {
          r.nextBytes(page); // a whole new image now and then
        } else {
          for (int k = r.nextInt(20); k >= 0; k--) {
            page[r.nextInt(PAGE)] = (byte) r.nextInt();
          }
        }
        current.put(pgno, page);
        pages.put(pgno, page);
      }
      txns.add(new Segment.Txn(100 + t, 1_700_000_000_000L + t, size, r.nextLong(), pages));
    }
    return new Segment("20261202T000000000Z-0a1b2c3d", PAGE, r.nextLong(), txns,
        new WalPosition(r.nextInt() & 0xffffffffL, r.nextInt() & 0xffffffffL, 32 + r.nextInt(1 << 20)));
  }

  private static Codec codecOf(long seed) {
    return Codec.values()[(int) Math.floorMod(seed, (long) Codec.values().length)];
  }

  @Test
  void bothVersionsDecodeToWhatWasEncodedAndToTheSameNetEffect() {
    qt().withExamples(400).withShrinkCycles(1000).forAll(longs().all(), integers().between(1, 40))
        .checkAssert((seed, txns) -> Unchecked.run(() -> roundTripOnce(seed, txns)));
  }

  private void roundTripOnce(long seed, int txnCount) throws Exception {
    Segment s = hotSegment(seed, txnCount);
    Codec codec = codecOf(seed);
    NetEffect expected = new NetEffect();
    s.transactions().forEach(expected::add);
    for (int version : new int[] {SegmentCodec.VERSION_1, SegmentCodec.VERSION}) {
      byte[] bytes = SegmentCodec.encode(s, codec, version);
      assertEquals(version, ((bytes[4] & 0xff) << 8) | (bytes[5] & 0xff));
      Segment back = SegmentCodec.decode(bytes, "seg");
      assertEquals(s.transactions().size(), back.transactions().size());
      for (int i = 0; i < txnCount; i++) {
        Segment.Txn a = s.transactions().get(i);
        Segment.Txn b = back.transactions().get(i);
        assertEquals(a.txid(), b.txid());
        assertEquals(a.dbSizePages(), b.dbSizePages());
        assertEquals(a.checksumAfter(), b.checksumAfter());
        assertEquals(new ArrayList<>(a.pages().keySet()), new ArrayList<>(b.pages().keySet()));
        for (Integer k : a.pages().keySet()) {
          assertArrayEquals(a.pages().get(k), b.pages().get(k), "version " + version + ", txn " + a.txid() + ", page " + k);
        }
      }
      SegmentCodec.NetSegment net = SegmentCodec.decodeNet(bytes, "seg");
      assertEquals(expected.minPages(), net.effect().minPages());
      assertEquals(expected.sizePages(), net.effect().sizePages());
      assertEquals(pages(expected), pages(net.effect()), "version " + version);
      assertEquals(s.transactions().size(), net.checksumsAfter().length);
      assertEquals(s.last().checksumAfter(), net.checksumsAfter()[txnCount - 1]);
    }
  }

  private static Map<Integer, String> pages(NetEffect e) throws Exception {
    Map<Integer, String> m = new LinkedHashMap<>();
    CompactedCodec.PageCursor c = e.cursor();
    while (c.next()) {
      m.put(c.pgno(), java.util.HexFormat.of().formatHex(c.page()));
    }
    return m;
  }

  @Test
  void aFlippedByteInEitherVersionIsRefused() {
    qt().withExamples(300).withShrinkCycles(1000).forAll(longs().all(), integers().between(0, 1_000_000))
        .checkAssert((seed, where) -> Unchecked.run(() -> {
          int version = (seed & 1) == 0 ? SegmentCodec.VERSION : SegmentCodec.VERSION_1;
          byte[] bytes = SegmentCodec.encode(hotSegment(seed, 1 + (int) Math.floorMod(seed, 12L)), codecOf(seed >> 1), version);
          bytes[where % bytes.length] ^= (byte) (1 + Math.floorMod(seed >> 3, 255L));
          assertThrows(FormatException.class, () -> SegmentCodec.decode(bytes, "seg"));
          assertThrows(FormatException.class, () -> SegmentCodec.decodeNet(bytes, "seg"));
        }));
  }

  @Test
  void anUnknownVersionIsRefusedByName() throws Exception {
    byte[] bytes = SegmentCodec.encode(hotSegment(7, 5), Codec.ZSTD);
    bytes[5] = 3;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    java.nio.ByteBuffer.wrap(bytes, bytes.length - 4, 4).putInt((int) crc.getValue());
    FormatException e = assertThrows(FormatException.class, () -> SegmentCodec.decode(bytes, "segments/x.lvsg"));
    assertTrue(e.getMessage().contains("segments/x.lvsg: segment format version 3 is not supported"), e.getMessage());
  }

  @Test
  void aPageFormOtherThanAnImageOrAnXorWithAnEarlierImageIsRefused() throws Exception {
    Map<Integer, byte[]> pages = new LinkedHashMap<>();
    pages.put(3, new byte[PAGE]);
    Segment s = new Segment("20261202T000000000Z-0a1b2c3d", PAGE, 1, List.of(new Segment.Txn(5, 1, 4, 2, pages)),
        new WalPosition(1, 2, 32));
    for (int form : new int[] {1, 2, 255}) {
      byte[] bytes = SegmentCodec.encode(s, Codec.NONE);
      int at = bytes.length - 4 - PAGE - 1; // the only page's form byte
      assertEquals(0, bytes[at]);
      bytes[at] = (byte) form;
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(bytes, 0, bytes.length - 4);
      java.nio.ByteBuffer.wrap(bytes, bytes.length - 4, 4).putInt((int) crc.getValue());
      FormatException e = assertThrows(FormatException.class, () -> SegmentCodec.decodeNet(bytes, "seg"));
      assertTrue(e.getMessage().contains("page 3 of transaction 5 has form " + form), e.getMessage());
    }
  }

  @Test
  void version2IsSmallerOnHotPages() throws Exception {
    Segment s = hotSegment(42, 400);
    int v1 = SegmentCodec.encode(s, Codec.ZSTD, SegmentCodec.VERSION_1).length;
    int v2 = SegmentCodec.encode(s, Codec.ZSTD).length;
    assertTrue(v2 < v1, "version 2: " + v2 + " bytes, version 1: " + v1);
  }
}
