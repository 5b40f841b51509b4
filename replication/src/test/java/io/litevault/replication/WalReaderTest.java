package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The golden WAL files (see {@link GoldenWalFiles}): 7 frames of 4096-byte pages in 3 transactions. */
class WalReaderTest {
  private static final int FRAME = GoldenWalFiles.FRAME;

  static WalReader.Source golden(String name) throws IOException {
    byte[] bytes;
    try (InputStream in = WalReaderTest.class.getResourceAsStream("/wal/" + name)) {
      bytes = in.readAllBytes();
    }
    return (pos, dst) -> {
      if (pos >= bytes.length) {
        return 0;
      }
      int n = (int) Math.min(dst.remaining(), bytes.length - pos);
      dst.put(bytes, (int) pos, n);
      return n;
    };
  }

  @Test
  void aGoodWalYieldsItsThreeTransactionsWithTheirPages() throws Exception {
    WalReader r = WalReader.open(golden("good.wal"), -1, -1);
    assertEquals(4096, r.header().pageSize());
    List<WalTransaction> txns = r.readCommitted(32);
    assertEquals(3, txns.size());
    assertEquals(32 + 7L * FRAME, txns.get(2).endOffset());
    assertTrue(txns.get(0).pages().containsKey(1), "CREATE TABLE rewrites page 1 (the schema)");
    for (int i = 1; i < 3; i++) {
      assertTrue(txns.get(i).dbSizePages() >= txns.get(i - 1).dbSizePages());
    }
    // A strict read of a known committed range gives the same transactions.
    List<WalTransaction> strict = r.read(txns.get(0).endOffset(), txns.get(2).endOffset());
    assertEquals(2, strict.size());
    assertEquals(txns.get(1).pages().keySet(), strict.get(0).pages().keySet());
  }

  @Test
  void saltMismatchEndsTheValidWalAtThatFrame() throws Exception {
    WalReader r = WalReader.open(golden("salt-mismatch.wal"), -1, -1);
    List<WalTransaction> txns = r.readCommitted(32);
    assertTrue(txns.stream().allMatch(t -> t.endOffset() <= 32 + FRAME), "nothing from frame 2 on: " + txns.size());
    WalFormatException e = assertThrows(WalFormatException.class, () -> r.read(32, 32 + 7L * FRAME));
    assertTrue(e.getMessage().contains("salts do not match"), e.getMessage());
  }

  @Test
  void checksumMismatchEndsTheValidWalAtThatFrame() throws Exception {
    WalReader r = WalReader.open(golden("checksum-mismatch.wal"), -1, -1);
    List<WalTransaction> txns = r.readCommitted(32);
    assertTrue(txns.stream().allMatch(t -> t.endOffset() <= 32 + 2L * FRAME), "nothing from frame 3 on");
    WalFormatException e = assertThrows(WalFormatException.class, () -> r.read(32, 32 + 7L * FRAME));
    assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
  }

  @Test
  void aTornLastFrameLosesOnlyTheLastTransaction() throws Exception {
    WalReader good = WalReader.open(golden("good.wal"), -1, -1);
    WalReader torn = WalReader.open(golden("torn-last-frame.wal"), -1, -1);
    List<WalTransaction> all = good.readCommitted(32);
    List<WalTransaction> left = torn.readCommitted(32);
    assertEquals(2, left.size());
    assertEquals(all.get(1).endOffset(), left.get(1).endOffset());
    WalFormatException e = assertThrows(WalFormatException.class, () -> torn.read(32, 32 + 7L * FRAME));
    assertTrue(e.getMessage().contains("missing or torn"), e.getMessage());
  }

  @Test
  void theExpectedSaltsAreEnforcedAndOffsetsMustBeFrameBoundaries() throws Exception {
    WalReader r = WalReader.open(golden("good.wal"), -1, -1);
    long s1 = r.header().salt1();
    long s2 = r.header().salt2();
    assertNotNull(WalReader.open(golden("good.wal"), s1, s2));
    WalFormatException reset = assertThrows(WalFormatException.class, () -> WalReader.open(golden("good.wal"), s1 + 1, s2));
    assertTrue(reset.getMessage().contains("the WAL was reset"), reset.getMessage());
    assertThrows(WalFormatException.class, () -> r.read(33, 32 + FRAME));
  }

  @Test
  void aDamagedHeaderIsRefused() throws Exception {
    WalReader.Source good = golden("good.wal");
    WalReader.Source badMagic = (pos, dst) -> {
      int n = good.read(pos, dst);
      if (pos == 0) {
        dst.put(0, (byte) 0);
      }
      return n;
    };
    assertThrows(WalFormatException.class, () -> WalReader.open(badMagic, -1, -1));
    assertThrows(WalFormatException.class, () -> WalReader.open((pos, dst) -> 0, -1, -1));
    ByteBuffer b = ByteBuffer.allocate(32);
    good.read(0, b);
    b.putInt(24, b.getInt(24) + 1);
    byte[] header = b.array();
    assertThrows(WalFormatException.class, () -> WalHeader.parse(ByteBuffer.wrap(header)));
  }
}
