package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The pure parts: what a plan copies, skips and deletes, and the streaming check. */
class CopyPlanTest {
  private static final Instant T = Instant.parse("2026-11-23T00:00:00Z");

  private static ObjectInfo o(String key, long size, String etag) {
    return new ObjectInfo(key, size, etag, T);
  }

  @Test
  void onlyDatabaseLeasesAreLeftBehindAndSegmentsAreChainedInTxidOrder() {
    String l = "db/a/lineages/20261123T000000000Z-0000000a/";
    List<ObjectInfo> src = List.of(o("s/db/a/lease", 10, "e1"), o("s/contracts/lease", 5, "e2"),
        o("s/db/a/leases/0000000000000007", 10, "e7"), o("s/contracts/leases/0000000000000001", 5, "e8"),
        o("s/" + l + "segments/0000000000000003-0000000000000003.lvsg", 1, "e3"),
        o("s/" + l + "segments/0000000000000002-0000000000000002.lvsg", 1, "e4"),
        o("s/" + l + "snapshots/0000000000000001.lvsn", 1, "e5"), o("s/_litevault/index.tsv", 1, "e6"));
    CopyPlan p = CopyPlan.of("s/", src, "t/daily/", List.of(o("t/daily/old", 1, "x")), TierIndex.empty(), Set.of(), true);
    assertEquals(2, p.skippedLeases);
    assertEquals(List.of("contracts/lease", "contracts/leases/0000000000000001", l + "snapshots/0000000000000001.lvsn"),
        p.first.stream().map(CopyPlan.Item::relKey).sorted().toList(), "an application file named lease is data");
    assertEquals(List.of(l + "segments/0000000000000002-0000000000000002.lvsg", l + "segments/0000000000000003-0000000000000003.lvsg"),
        p.segmentChains.get(l).stream().map(CopyPlan.Item::relKey).sorted().toList());
    assertEquals(List.of("old"), p.deletes);
  }

  @Test
  void unchangedNeedsIndexEntryListingAndTierSizeToAgree() {
    ObjectInfo src = o("k", 3, "etag-1");
    TierIndex.Entry e = new TierIndex.Entry(3, 0x1234, "etag-1", T.toEpochMilli());
    assertTrue(CopyPlan.unchanged(src, e, o("t/k", 3, "other-etag")));
    assertEquals(false, CopyPlan.unchanged(src, e, null), "deleted from the tier behind our back");
    assertEquals(false, CopyPlan.unchanged(src, e, o("t/k", 2, "x")), "resized in the tier");
    assertEquals(false, CopyPlan.unchanged(o("k", 3, "etag-2"), e, o("t/k", 3, "x")), "rewritten upstream");
    assertEquals(false, CopyPlan.unchanged(new ObjectInfo("k", 3, "etag-1", T.plusSeconds(1)), e, o("t/k", 3, "x")));
    assertEquals(false, CopyPlan.unchanged(src, null, o("t/k", 3, "x")), "never indexed");
  }

  @Test
  void checkingStreamComputesCrcAndRefusesABodyLongerThanListed() throws IOException {
    byte[] body = "hello backup".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    CheckingStream ok = new CheckingStream(new ByteArrayInputStream(body), body.length);
    assertArrayEquals(body, ok.readAllBytes());
    CRC32C crc = new CRC32C();
    crc.update(body);
    assertEquals(crc.getValue(), ok.crc());
    InputStream longer = new CheckingStream(new ByteArrayInputStream(body), body.length - 1);
    IOException e = assertThrows(IOException.class, () -> longer.readNBytes(body.length - 1));
    assertTrue(e.getMessage().contains("rewritten during the run"), e.getMessage());
  }
}
