package io.litevault.replication.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.litevault.testing.Unchecked;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A compacted object holds a range's net effect: written, read back and applied to the state before the
 * range, it leaves the same file and database checksum as applying the range's transactions one by one,
 * with every codec; its header says what was written; any flipped byte or cut is refused as corrupt.
 * A failure shrinks the case and reports "Seed was N"; {@code -DQT_SEED=N} replays it.
 */
class CompactedCodecProperties {
  private static final int PAGE = 512;

  @Test
  void aCompactedRangeRestoresTheSameStateAsItsTransactions() {
    qt().withExamples(500).withShrinkCycles(1000).forAll(longs().all(), integers().between(1, 12), integers().between(0, 20))
        .checkAssert((seed, txnCount, startPages) -> Unchecked.run(() -> roundTripOnce(seed, txnCount, startPages)));
  }

  private void roundTripOnce(long seed, int txnCount, int startPages) throws Exception {
    RandomHistory h = RandomHistory.of(seed, txnCount, startPages, PAGE);
    NetEffect effect = new NetEffect();
    h.txns().forEach(effect::add);
    DatabaseChecksum before = RandomHistory.checksumOf(h.start());
    Codec codec = Codec.values()[(int) Math.floorMod(seed, (long) Codec.values().length)];
    CompactedCodec.Header header = new CompactedCodec.Header(codec, 1 + (int) Math.floorMod(seed, 3L), PAGE, 7,
        6 + txnCount, 1_000, 2_000, 2_000, before.value(), h.sequential().value(), effect.minPages(), effect.sizePages(),
        effect.pageCount(), "20261202T000000000Z-0123abcd");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CompactedCodec.write(out, header, effect.cursor());
    byte[] object = out.toByteArray();

    NetEffect decoded = new NetEffect();
    CompactedCodec.Header read = CompactedCodec.read(new ByteArrayInputStream(object), "o", new CompactedCodec.PageSink() {
      boolean first = true;

      @Override
      public void page(int pgno, byte[] page) {
        if (first) {
          decoded.end(header.minPages()); // the smallest size first, then the pages above it survive
          first = false;
        }
        System.arraycopy(page, 0, decoded.pageBuffer(pgno, PAGE), 0, PAGE);
      }
    });
    assertEquals(header, read);
    if (decoded.isEmpty()) {
      decoded.end(header.minPages());
    }
    decoded.end(header.dbSizePagesAfter());

    DatabaseChecksum state = RandomHistory.checksumOf(h.start());
    decoded.applyTo(state);
    assertEquals(header.checksumAfter(), state.value(), "database checksum after the range");
    assertFileEquals(h, decoded, startPages);
    corruptionIsRefused(object, seed);
  }

  private void assertFileEquals(RandomHistory h, NetEffect decoded, int startPages) throws Exception {
    Path file = Files.createTempFile("compacted", ".db");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      PageFileWriter writer = new PageFileWriter(ch, PAGE);
      for (int i = 0; i < startPages; i++) {
        writer.write(i + 1, h.start()[i]);
      }
      writer.flush();
      decoded.applyTo(ch, writer, startPages, PAGE);
    }
    byte[] bytes = Files.readAllBytes(file);
    Files.delete(file);
    assertEquals((long) h.finalPages() * PAGE, bytes.length, "file size");
    for (int i = 0; i < h.finalPages(); i++) {
      assertArrayEquals(h.model().get(i), Arrays.copyOfRange(bytes, i * PAGE, (i + 1) * PAGE), "page " + (i + 1));
    }
  }

  /** A flipped byte anywhere, or a cut, is a {@link FormatException}: never pages applied as if whole. */
  private void corruptionIsRefused(byte[] object, long seed) {
    Random r = new Random(seed);
    byte[] flipped = object.clone();
    int at = r.nextInt(flipped.length);
    flipped[at] ^= (byte) (1 + r.nextInt(255));
    assertThrows(FormatException.class, () -> CompactedCodec.read(new ByteArrayInputStream(flipped), "o", (p, b) -> { }),
        "byte " + at + " of " + object.length + " flipped");
    byte[] cut = Arrays.copyOf(object, r.nextInt(object.length));
    assertThrows(FormatException.class, () -> CompactedCodec.read(new ByteArrayInputStream(cut), "o", (p, b) -> { }),
        "cut at " + cut.length + " of " + object.length);
  }

  /** Ranges of many pages span several chunks: every page comes back, in order, whatever the chunk boundaries. */
  @Test
  void manyPagesSpanChunks() {
    qt().withExamples(30).withShrinkCycles(100).forAll(longs().all(), integers().between(0, 3 * CompactedCodec.CHUNK_PAGES + 7))
        .checkAssert((seed, count) -> Unchecked.run(() -> manyPagesOnce(seed, count)));
  }

  private void manyPagesOnce(long seed, int count) throws Exception {
    Random r = new Random(seed);
    java.util.TreeMap<Integer, byte[]> pages = new java.util.TreeMap<>();
    while (pages.size() < count) {
      pages.put(1 + r.nextInt(4 * CompactedCodec.CHUNK_PAGES), RandomHistory.page(r, PAGE));
    }
    NetEffect effect = new NetEffect();
    effect.add(new Segment.Txn(1, 0, 4 * CompactedCodec.CHUNK_PAGES, 0, pages));
    CompactedCodec.Header header = new CompactedCodec.Header(Codec.values()[r.nextInt(Codec.values().length)], 2, PAGE,
        1, 1, 0, 0, 0, 0, 0, effect.minPages(), effect.sizePages(), effect.pageCount(), "l");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CompactedCodec.write(out, header, effect.cursor());
    java.util.TreeMap<Integer, byte[]> back = new java.util.TreeMap<>();
    CompactedCodec.read(new ByteArrayInputStream(out.toByteArray()), "o", (pgno, page) -> back.put(pgno, page.clone()));
    assertEquals(pages.keySet(), back.keySet());
    pages.forEach((pgno, page) -> assertArrayEquals(page, back.get(pgno), "page " + pgno));
  }

  @Test
  void aHeaderThatCannotBeTrueIsRefusedWhenBuilt() {
    assertThrows(IllegalArgumentException.class, () -> new CompactedCodec.Header(Codec.NONE, 0, PAGE, 1, 2, 0, 0, 0, 0, 0,
        1, 2, 1, "l"));
    assertThrows(IllegalArgumentException.class, () -> new CompactedCodec.Header(Codec.NONE, 1, PAGE, 5, 4, 0, 0, 0, 0, 0,
        1, 2, 1, "l"));
    assertThrows(IllegalArgumentException.class, () -> new CompactedCodec.Header(Codec.NONE, 1, PAGE, 1, 2, 0, 0, 0, 0, 0,
        3, 2, 1, "l"));
  }

  /**
   * A version-1 object (no maximum commit time) is still read: the same pages, its maximum unknown, so a
   * restore to a time never applies it whole. Made from a version-2 object by the documented difference:
   * version 1 and the 8 bytes of {@code maxTimestampMillis} (offset 44) removed, CRC recomputed.
   */
  @Test
  void aVersion1ObjectIsReadWithItsMaximumCommitTimeUnknown() throws Exception {
    java.util.TreeMap<Integer, byte[]> pages = new java.util.TreeMap<>();
    pages.put(1, new byte[PAGE]);
    pages.put(3, new byte[PAGE]);
    pages.get(3)[7] = 42;
    NetEffect effect = new NetEffect();
    effect.add(new Segment.Txn(5, 1_000, 3, 0, pages));
    CompactedCodec.Header v2 = new CompactedCodec.Header(Codec.ZSTD, 1, PAGE, 5, 9, 1_000, 900, 1_200, 11, 12,
        effect.minPages(), effect.sizePages(), effect.pageCount(), "l");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CompactedCodec.write(out, v2, effect.cursor());
    byte[] b = out.toByteArray();
    assertEquals(1_200, java.nio.ByteBuffer.wrap(b, 44, 8).getLong(), "maxTimestampMillis at offset 44");
    byte[] v1 = new byte[b.length - 8];
    System.arraycopy(b, 0, v1, 0, 44);
    System.arraycopy(b, 52, v1, 44, b.length - 52 - 4);
    v1[5] = 1; // u16 version at offset 4
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(v1, 0, v1.length - 4);
    java.nio.ByteBuffer.wrap(v1, v1.length - 4, 4).putInt((int) crc.getValue());
    java.util.TreeMap<Integer, byte[]> back = new java.util.TreeMap<>();
    CompactedCodec.Header read = CompactedCodec.read(new ByteArrayInputStream(v1), "v1", (pgno, page) -> back.put(pgno, page.clone()));
    assertEquals(CompactedCodec.MAX_TIMESTAMP_UNKNOWN, read.maxTimestampMillis());
    assertEquals(900, read.lastTimestampMillis());
    assertEquals(pages.keySet(), back.keySet());
    assertArrayEquals(pages.get(3), back.get(3));
    v1[5] = 3;
    assertThrows(FormatException.class, () -> CompactedCodec.read(new ByteArrayInputStream(v1), "v3", (pgno, page) -> { }));
  }
}
