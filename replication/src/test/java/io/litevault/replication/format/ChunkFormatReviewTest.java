package io.litevault.replication.format;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.store.WalPosition;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Review of snapshot format version 2 at the codec level (hostile headers, edge sizes). */
class ChunkFormatReviewTest {
  private static final String LINEAGE = "20261202T000000Z-0a1b2c3d";

  /**
   * Scenario: a version-2 snapshot whose header claims {@code Integer.MAX_VALUE} pages in one chunk of
   * {@code Integer.MAX_VALUE} pages, with an empty chunk, and every CRC (index, chunk, object) right.
   * What goes wrong: {@code readChunk}'s loop bound {@code firstPage + pages} overflows to a negative int,
   * so it decodes no page at all; the chunk's XOR (0) then "matches", and {@link SnapshotCodec#read}
   * returns normally, having handed the sink zero of the 2^31-1 pages it vouches for.
   */
  @Test
  void aSnapshotClaimingMaxPagesIsNotAcceptedWithoutAnyPage() throws Exception {
    byte[] bytes = HostileSnapshot.v2(Codec.NONE.id, 4096, Integer.MAX_VALUE, 7, 1234, 1, 2, 4128, LINEAGE,
        Integer.MAX_VALUE, 1, new long[][] {{0, 0, 0}}, new byte[0], 0);
    AtomicInteger handed = new AtomicInteger();
    FormatException e = assertThrows(FormatException.class,
        () -> SnapshotCodec.read(new ByteArrayInputStream(bytes), "hostile.lvsn", (pgno, page, hash) -> handed.incrementAndGet()),
        () -> "read() accepted a snapshot of " + Integer.MAX_VALUE + " pages after handing over " + handed.get());
    assertTrue(e.getMessage().contains("hostile.lvsn"), e.getMessage());
  }

  /**
   * Scenario: the same kind of header, two chunks ({@code chunkPages} 2^30, 0x7FFFFFF0 pages), all CRCs
   * right. What goes wrong: {@code chunks()} computes the last chunk's page count with an int overflow
   * ({@code first + chunkPages - 1} wraps): the layout a parallel restore trusts does not add up to the
   * pages of the header.
   */
  @Test
  void theLayoutsChunksCoverExactlyTheHeadersPages() throws Exception {
    int pages = 0x7FFFFFF0;
    byte[] bytes = HostileSnapshot.v2(Codec.NONE.id, 4096, pages, 7, 1234, 1, 2, 4128, LINEAGE, 1 << 30, 2,
        new long[][] {{0, 0, 0}, {0, 0, 0}}, new byte[0], 0);
    SnapshotCodec.Layout layout;
    try {
      layout = SnapshotCodec.layout(bytes, "hostile.lvsn");
    } catch (FormatException refused) {
      return; // refusing it is fine too
    }
    long covered = layout.chunks().stream().mapToLong(SnapshotCodec.Chunk::pages).sum();
    assertEquals(pages, covered, "pages the chunks cover: " + layout.chunks());
  }

  /** Passing scenarios: an empty database (0 pages) and page size 65536 over several chunks round-trip. */
  @Test
  void emptyDatabaseAndLargestPagesRoundTrip() throws Exception {
    for (int[] c : new int[][] {{4096, 0, 1024}, {65536, 0, 64}, {65536, 130, 64}, {65536, 130, 1}}) {
      Random r = new Random(c[1]);
      List<byte[]> db = new ArrayList<>();
      for (int i = 0; i < c[1]; i++) {
        byte[] p = new byte[c[0]];
        r.nextBytes(p);
        db.add(p);
      }
      for (Codec codec : Codec.values()) {
        SnapshotCodec.Header h = new SnapshotCodec.Header(codec, c[0], c[1], 7, 1234, new WalPosition(1, 2, 4128), LINEAGE);
        Path file = Files.createTempFile("snap", ".lvsn");
        try {
          SnapshotCodec.write(file, h, pgno -> db.get(pgno - 1), c[2]);
          byte[] bytes = Files.readAllBytes(file);
          List<byte[]> back = new ArrayList<>();
          SnapshotCodec.read(new ByteArrayInputStream(bytes), "s", (pgno, page, hash) -> back.add(page.clone()));
          assertEquals(db.size(), back.size());
          for (int i = 0; i < db.size(); i++) {
            assertArrayEquals(db.get(i), back.get(i));
          }
          SnapshotCodec.Layout layout = SnapshotCodec.layout(bytes, "s");
          assertEquals(c[1] == 0 ? 0 : (c[1] - 1) / c[2] + 1, layout.chunks().size());
        } finally {
          Files.delete(file);
        }
      }
    }
  }
}
