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
    // Version 1; version 2 as written (XOR from 32 KiB back: rare in these small segments); and version 2 XORing
    // every later image that is sparser, which a writer may do too.
    for (int distance : new int[] {-1, SegmentCodec.XOR_DISTANCE, 0}) {
      int version = distance < 0 ? SegmentCodec.VERSION_1 : SegmentCodec.VERSION;
      byte[] bytes = SegmentCodec.encode(s, codec, version, Math.max(0, distance));
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
          assertArrayEquals(a.pages().get(k), b.pages().get(k), "distance " + distance + ", txn " + a.txid() + ", page " + k);
        }
      }
      SegmentCodec.NetSegment net = SegmentCodec.decodeNet(bytes, "seg");
      assertEquals(expected.minPages(), net.effect().minPages());
      assertEquals(expected.sizePages(), net.effect().sizePages());
      assertEquals(pages(expected), pages(net.effect()), "distance " + distance);
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
          byte[] bytes = SegmentCodec.encode(hotSegment(seed, 1 + (int) Math.floorMod(seed, 12L)), codecOf(seed >> 1), version,
              (seed & 2) == 0 ? 0 : SegmentCodec.XOR_DISTANCE);
          bytes[where % bytes.length] ^= (byte) (1 + Math.floorMod(seed >> 3, 255L));
          assertThrows(FormatException.class, () -> SegmentCodec.decode(bytes, "seg"));
          assertThrows(FormatException.class, () -> SegmentCodec.decodeNet(bytes, "seg"));
        }));
  }

  @Test
  void anUnknownVersionIsRefusedByName() throws Exception {
    byte[] bytes = SegmentCodec.encode(hotSegment(7, 5), Codec.ZSTD, SegmentFormat.V2);
    bytes[5] = 3;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    java.nio.ByteBuffer.wrap(bytes, bytes.length - 4, 4).putInt((int) crc.getValue());
    UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class,
        () -> SegmentCodec.decode(bytes, "segments/x.lvsg"));
    assertTrue(e.getMessage().contains("segments/x.lvsg: segment format version 3 is not supported"), e.getMessage());
    assertTrue(e.getMessage().contains("written by a newer Litevault"), e.getMessage());
    assertEquals("segments/x.lvsg", e.object());
    assertEquals(3, e.version());
    assertEquals(2, e.newestRead());
    assertThrows(UnsupportedVersionException.class,
        () -> SegmentCodec.peekHeader(new java.io.ByteArrayInputStream(bytes), "segments/x.lvsg"));
  }

  @Test
  void aPageFormOtherThanAnImageOrAnXorWithAnEarlierImageIsRefused() throws Exception {
    Map<Integer, byte[]> pages = new LinkedHashMap<>();
    pages.put(3, new byte[PAGE]);
    Segment s = new Segment("20261202T000000000Z-0a1b2c3d", PAGE, 1, List.of(new Segment.Txn(5, 1, 4, 2, pages)),
        new WalPosition(1, 2, 32));
    for (int form : new int[] {1, 2, 255}) {
      byte[] bytes = SegmentCodec.encode(s, Codec.NONE, SegmentCodec.VERSION, SegmentCodec.XOR_DISTANCE);
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
  void countersInPlaceAreWrittenAsVersion2AndMuchSmaller() throws Exception {
    // Page views: 300 transactions, each counting on a hot page and 10 of 200 others, two bytes in place in
    // pages of text; a hot page's next image is 40 KiB further on.
    Random r = new Random(42);
    int pageSize = 4096;
    byte[][] db = new byte[201][];
    for (int i = 1; i <= 200; i++) {
      db[i] = new byte[pageSize];
      for (int k = 0; k < pageSize; k++) {
        db[i][k] = (byte) ('a' + r.nextInt(26));
      }
    }
    List<Segment.Txn> txns = new ArrayList<>();
    for (int t = 0; t < 300; t++) {
      Map<Integer, byte[]> pages = new LinkedHashMap<>();
      for (int j = 0; j < 11; j++) {
        int pgno = j == 0 ? 1 : 2 + r.nextInt(199);
        int at = r.nextInt(pageSize / 2 - 1) * 2;
        db[pgno][at]++;
        db[pgno][at + 1] = (byte) t;
        pages.put(pgno, db[pgno].clone());
      }
      txns.add(new Segment.Txn(1 + t, t, 200, t, pages));
    }
    Segment s = new Segment("20261202T000000000Z-0a1b2c3d", pageSize, 0, txns, new WalPosition(1, 2, 32));
    byte[] written = SegmentCodec.encode(s, Codec.ZSTD, SegmentFormat.V2);
    int v1 = SegmentCodec.encode(s, Codec.ZSTD, SegmentCodec.VERSION_1, 0).length;
    assertArrayEquals(SegmentCodec.encode(s, Codec.ZSTD, SegmentCodec.VERSION_1, 0), SegmentCodec.encode(s, Codec.ZSTD),
        "the default writes version 1");
    assertArrayEquals(SegmentCodec.encode(s, Codec.ZSTD), SegmentCodec.encode(s, Codec.ZSTD, SegmentFormat.V1));
    assertEquals(SegmentCodec.VERSION, ((written[4] & 0xff) << 8) | (written[5] & 0xff));
    assertTrue(written.length < v1 / 2, "version 2: " + written.length + " bytes, version 1: " + v1);
    assertEquals(pages(netOf(s)), pages(SegmentCodec.decodeNet(written, "seg").effect()));
  }

  @Test
  void theWriterNeverWritesMoreThanVersion1() {
    qt().withExamples(200).withShrinkCycles(1000).forAll(longs().all(), integers().between(1, 300))
        .checkAssert((seed, txns) -> Unchecked.run(() -> {
          Segment s = hotSegment(seed, txns);
          Codec codec = codecOf(seed);
          byte[] written = SegmentCodec.encode(s, codec, SegmentFormat.V2);
          byte[] v1 = SegmentCodec.encode(s, codec, SegmentCodec.VERSION_1, 0);
          assertTrue(written.length <= v1.length, written.length + " bytes written, version 1: " + v1.length);
          assertEquals(pages(netOf(s)), pages(SegmentCodec.decodeNet(written, "seg").effect()));
        }));
  }

  private static NetEffect netOf(Segment s) {
    NetEffect e = new NetEffect();
    s.transactions().forEach(e::add);
    return e;
  }
}
