package io.litevault.replication.format;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.litevault.store.WalPosition;
import io.litevault.testing.Unchecked;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Snapshot format version 2 (independently compressed chunks behind an index): for random databases,
 * codecs and chunk sizes, the sequential reader and the chunk-by-chunk reader a parallel restore uses
 * ({@link SnapshotCodec#layout}, {@link SnapshotCodec#readChunk} on exactly each chunk's bytes) both
 * give back every page, and the chunk XORs make the database checksum; any flipped byte is a
 * {@link FormatException} for the sequential reader, and for the chunked one unless it lies in the
 * trailer the chunked reader never reads. Version-1 snapshots (written here by hand, per
 * docs/FORMAT.md) are still read. QuickTheories: a failure prints its seed.
 */
class ChunkedSnapshotProperties {
  private static final int PAGE = 1024;

  private record Written(byte[] bytes, List<byte[]> pages, long checksum, SnapshotCodec.Header header) {}

  private static Written write(Codec codec, long seed, int pages, int chunkPages) throws Exception {
    Random r = new Random(seed);
    List<byte[]> db = new ArrayList<>();
    for (int i = 0; i < pages; i++) {
      byte[] p = new byte[PAGE];
      if (r.nextBoolean()) {
        r.nextBytes(p);
      } else {
        p[r.nextInt(PAGE)] = (byte) r.nextInt();
      }
      db.add(p);
    }
    SnapshotCodec.Header h = new SnapshotCodec.Header(codec, PAGE, pages, 7, 1234, new WalPosition(1, 2, 4128),
        "20261202T000000Z-0a1b2c3d");
    Path file = Files.createTempFile("snap", ".lvsn");
    try {
      long checksum = SnapshotCodec.write(file, h, pgno -> db.get(pgno - 1), chunkPages);
      return new Written(Files.readAllBytes(file), db, checksum, h);
    } finally {
      Files.delete(file);
    }
  }

  private static List<byte[]> readSequentially(byte[] bytes) throws Exception {
    List<byte[]> back = new ArrayList<>();
    SnapshotCodec.read(new ByteArrayInputStream(bytes), "snap", (pgno, p, hash) -> {
      assertEquals(back.size() + 1, pgno);
      back.add(p.clone());
    });
    return back;
  }

  /** As a parallel restore does: the layout from the first bytes, then each chunk from its own bytes. */
  private static List<byte[]> readByChunks(byte[] bytes, long[] xor) throws Exception {
    long need = SnapshotCodec.layoutBytes(Arrays.copyOf(bytes, Math.min(bytes.length, 64 * 1024)), "snap");
    assertTrue(need > 0, "a chunked snapshot");
    SnapshotCodec.Layout layout = SnapshotCodec.layout(Arrays.copyOf(bytes, (int) need), "snap");
    byte[][] pages = new byte[layout.header().dbSizePages()][];
    List<SnapshotCodec.Chunk> chunks = new ArrayList<>(layout.chunks());
    java.util.Collections.reverse(chunks); // any order
    for (SnapshotCodec.Chunk c : chunks) {
      int from = (int) (layout.payloadStart() + c.offset());
      byte[] part = Arrays.copyOfRange(bytes, Math.min(from, bytes.length), (int) Math.min(bytes.length, from + c.length()));
      xor[0] ^= SnapshotCodec.readChunk(new ByteArrayInputStream(part), layout.header(), c, "snap",
          (pgno, p, hash) -> pages[pgno - 1] = p.clone());
    }
    return Arrays.asList(pages);
  }

  @Test
  void bothReadersGiveBackEveryPageAndTheChecksum() {
    qt().withExamples(40).forAll(FormatProperties.codecs(), longs().all(), integers().between(0, 40), integers().between(1, 9))
        .checkAssert((codec, seed, pages, chunkPages) -> Unchecked.run(() -> {
          Written w = write(codec, seed, pages, chunkPages);
          assertPages(w.pages(), readSequentially(w.bytes()));
          long[] xor = {0};
          assertPages(w.pages(), readByChunks(w.bytes(), xor));
          assertEquals(w.checksum(), xor[0], "the chunks' XORs make the database checksum");
          SnapshotCodec.Layout layout = SnapshotCodec.layout(w.bytes(), "snap");
          assertEquals(pages == 0 ? 0 : (pages - 1) / chunkPages + 1, layout.chunks().size());
          assertEquals(w.header(), layout.header());
        }));
  }

  @Test
  void aFlippedByteIsDetectedByTheReaderThatReadsIt() {
    qt().withExamples(60).withShrinkCycles(20).forAll(FormatProperties.codecs(), longs().all(), integers().between(1, 30), integers().all())
        .checkAssert((codec, seed, pages, where) -> Unchecked.run(() -> {
          Written w = write(codec, seed, pages, 4);
          byte[] bytes = w.bytes().clone();
          int at = Math.floorMod(where, bytes.length);
          bytes[at] ^= (byte) (1 + (seed & 0x7f));
          assertThrows(FormatException.class, () -> readSequentially(bytes), "byte " + at);
          boolean trailer = at >= bytes.length - 12; // database checksum and whole-object CRC: not read by chunks
          if (!trailer) {
            assertThrows(FormatException.class, () -> readByChunks(bytes, new long[1]), "byte " + at);
          }
        }));
  }

  @Test
  void version1SnapshotsAreStillRead() {
    qt().withExamples(20).forAll(FormatProperties.codecs(), longs().all(), integers().between(0, 20))
        .checkAssert((codec, seed, pages) -> Unchecked.run(() -> {
          Written w = write(codec, seed, pages, 3);
          byte[] v1 = version1(w.header(), w.pages(), w.checksum());
          assertPages(w.pages(), readSequentially(v1));
          assertEquals(-1, SnapshotCodec.layoutBytes(v1, "snap"), "no chunks: read whole");
        }));
  }

  /** Version 1 as docs/FORMAT.md describes it: one compressed stream of every page. */
  private static byte[] version1(SnapshotCodec.Header h, List<byte[]> pages, long checksum) throws Exception {
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    try (OutputStream z = h.codec().compress(payload)) {
      for (byte[] p : pages) {
        z.write(p);
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(SnapshotCodec.MAGIC);
    out.writeShort(1);
    out.writeByte(h.codec().id);
    out.writeByte(0);
    out.writeInt(h.pageSize());
    out.writeInt(h.dbSizePages());
    out.writeLong(h.txid());
    out.writeLong(h.timestampMillis());
    out.writeLong(payload.size());
    out.writeInt((int) h.walEnd().salt1());
    out.writeInt((int) h.walEnd().salt2());
    out.writeLong(h.walEnd().offset());
    byte[] lineage = h.lineage().getBytes(StandardCharsets.US_ASCII);
    out.writeByte(lineage.length);
    out.write(lineage);
    out.write(payload.toByteArray());
    out.writeLong(checksum);
    CRC32C crc = new CRC32C();
    crc.update(bytes.toByteArray());
    out.writeInt((int) crc.getValue());
    return bytes.toByteArray();
  }

  private static void assertPages(List<byte[]> expected, List<byte[]> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), "page " + (i + 1));
    }
  }
}
