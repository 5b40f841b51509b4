package io.litevault.backup;

import io.litevault.testing.MutableClock;
import static io.litevault.backup.TwoBuckets.contents;
import static io.litevault.backup.TwoBuckets.put;
import static io.litevault.backup.TwoBuckets.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.Operation;
import io.litevault.bucket.OperationStats;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Copies between two real S3 buckets (EmbeddedS3; MinIO client on the source, AWS SDK on the target),
 * counting requests: exactly the changed set is copied, an unchanged source costs list requests only,
 * deletions propagate, leases stay behind, tier-to-tier copies are server-side.
 */
class IncrementalCopyTest {
  static TwoBuckets b;
  static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-23T12:00:00Z"));

  @BeforeAll
  static void start() {
    b = new TwoBuckets();
  }

  @AfterAll
  static void stop() {
    b.close();
  }

  private static TieredBackup backup(String src, String dst) {
    return TieredBackup.create(BackupOptions.builder(b.source, b.target).sourcePrefix(src).targetPrefix(dst)
        .clock(CLOCK).parallelism(3).build());
  }

  private static Map<Operation, Long> requests(ObjectStore s) {
    Map<Operation, Long> m = new EnumMap<>(Operation.class);
    s.metrics().snapshot().forEach((op, st) -> m.put(op, st.requests()));
    return m;
  }

  private static long delta(Map<Operation, Long> before, ObjectStore s, Operation op) {
    OperationStats now = s.metrics().of(op);
    return now.requests() - before.get(op);
  }

  @Test
  void copiesExactlyTheChangedSetAndDeletionsPropagate() {
    String src = "copy/";
    for (int i = 0; i < 20; i++) {
      put(b.source, src + "app/img-" + i, "image " + i);
    }
    put(b.source, src + "db/data/lineages/20261123T000000000Z-0000000a/snapshots/0000000000000001.lvsn", "snap");
    put(b.source, src + "db/data/lineages/20261123T000000000Z-0000000a/segments/0000000000000002-0000000000000003.lvsg", "seg");
    put(b.source, src + "db/data/lease", "owner=pid-1");
    try (TieredBackup backup = backup(src, "tiers1/")) {
      Map<Operation, Long> s0 = requests(b.source);
      TierRunReport first = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, first.status(), first.toString());
      assertEquals(22, first.copied());
      assertEquals(22, delta(s0, b.source, Operation.GET), "one GET per copied object");
      Map<String, String> expected = contents(b.source, src);
      expected.remove("db/data/lease");
      assertEquals(expected, contents(b.target, "tiers1/daily/"), "a faithful copy, without the lease");

      // Change 2, add 1, delete 3, rewrite the lease.
      put(b.source, src + "app/img-3", "image 3 v2");
      put(b.source, src + "app/img-4", "image 4 v2 longer");
      put(b.source, src + "app/new", "new");
      b.source.deleteAll(List.of(src + "app/img-7", src + "app/img-8", src + "app/img-9"));
      put(b.source, src + "db/data/lease", "owner=pid-2");
      Map<Operation, Long> s1 = requests(b.source);
      Map<Operation, Long> t1 = requests(b.target);
      TierRunReport second = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, second.status(), second.toString());
      assertEquals(3, second.copied());
      assertEquals(3, second.deleted());
      assertEquals(17, second.skipped());
      assertEquals(3, delta(s1, b.source, Operation.GET));
      assertEquals(0, delta(s1, b.source, Operation.HEAD));
      // 3 copies + the index + the manifest + the tier's lease (a create-only put).
      assertEquals(6, delta(t1, b.target, Operation.PUT));
      assertEquals(1, delta(t1, b.target, Operation.DELETE_BATCH));
      expected = contents(b.source, src);
      expected.remove("db/data/lease");
      assertEquals(expected, contents(b.target, "tiers1/daily/"));

      // Nothing changed: the source sees list requests only; the target writes the lease and the manifest only.
      Map<Operation, Long> s2 = requests(b.source);
      Map<Operation, Long> t2 = requests(b.target);
      TierRunReport third = backup.runNow("daily");
      assertEquals(0, third.copied());
      assertEquals(0, third.deleted());
      assertEquals(20, third.skipped());
      long sourceRequests = b.source.metrics().totalRequests() - s2.values().stream().mapToLong(Long::longValue).sum();
      assertEquals(delta(s2, b.source, Operation.LIST), sourceRequests, "an unchanged source costs list requests only");
      assertEquals(1, sourceRequests);
      assertEquals(2, delta(t2, b.target, Operation.PUT), "only the lease and the manifest");
      assertEquals(0, delta(t2, b.target, Operation.DELETE_BATCH));

      String manifest = read(b.target, "tiers1/daily/_litevault/backup-run.json");
      assertEquals("SUCCEEDED", json(manifest).path("status").asText(), manifest);
      assertEquals(20, json(manifest).path("skipped").asLong(), manifest);
      assertEquals(25, backup.metrics().tier("daily").objectsCopied());
    }
  }

  @Test
  void tierToTierCopiesAreServerSideAndIncremental() {
    String src = "t2t/";
    for (int i = 0; i < 10; i++) {
      put(b.source, src + "f" + i, "file " + i);
    }
    try (TieredBackup backup = backup(src, "tiers2/")) {
      assertEquals(RunStatus.SUCCEEDED, backup.runNow("daily").status());
      Map<Operation, Long> s0 = requests(b.source);
      Map<Operation, Long> t0 = requests(b.target);
      TierRunReport week = backup.runNow("1-week");
      assertEquals(RunStatus.SUCCEEDED, week.status(), week.toString());
      assertEquals(10, week.copied());
      assertEquals(10, delta(t0, b.target, Operation.COPY), "server-side copies");
      assertEquals(0, delta(t0, b.target, Operation.GET) - 5, "only manifests, indexes and the lease are read");
      assertEquals(0, b.source.metrics().totalRequests() - s0.values().stream().mapToLong(Long::longValue).sum(),
          "a tier-to-tier run does not touch the source");
      assertEquals(contents(b.target, "tiers2/daily/"), contents(b.target, "tiers2/1-week/"));

      put(b.source, src + "f1", "file 1 changed");
      b.source.delete(src + "f2");
      backup.runNow("daily");
      TierRunReport again = backup.runNow("1-week");
      assertEquals(1, again.copied());
      assertEquals(1, again.deleted());
      assertEquals(8, again.skipped());
      assertEquals(contents(b.target, "tiers2/daily/"), contents(b.target, "tiers2/1-week/"));
      assertEquals("file 1 changed", read(b.target, "tiers2/1-week/f1"));
      assertEquals(backup.metrics().tier("daily").stateAsOf(), again.stateAsOf(), "1-week holds daily's point in time");
    }
  }

  @Test
  void largeObjectsStreamMultipartAndKeepTheirChecksum() throws Exception {
    String src = "big/";
    byte[] body = new byte[12 * 1024 * 1024 + 123]; // three parts at the target's 5 MiB part size
    new Random(7).nextBytes(body);
    b.source.put(src + "video.bin", new ByteArrayInputStream(body), body.length);
    try (TieredBackup backup = backup(src, "tiers3/")) {
      Map<Operation, Long> t0 = requests(b.target);
      TierRunReport r = backup.runNow("daily");
      assertEquals(RunStatus.SUCCEEDED, r.status(), r.toString());
      assertEquals(body.length, r.bytesCopied());
      assertEquals(3, delta(t0, b.target, Operation.UPLOAD_PART));
      try (InputStream in = b.target.get("tiers3/daily/video.bin")) {
        assertArrayEquals(body, in.readAllBytes());
      }
      CRC32C crc = new CRC32C();
      crc.update(body);
      String index = read(b.target, "tiers3/daily/_litevault/index.tsv");
      assertTrue(index.contains(body.length + "\t" + Long.toHexString(crc.getValue()) + "\t"), index);
      assertFalse(backup.runNow("daily").copied() > 0, "unchanged on the second run");
    }
  }

  @Test
  void aTierWhoseUpstreamNeverRanFailsWithoutTouchingAnything() {
    try (TieredBackup backup = backup("nothing/", "tiers4/")) {
      Map<Operation, Long> t0 = requests(b.target);
      TierRunReport r = backup.runNow("2-week");
      assertEquals(RunStatus.FAILED, r.status());
      assertTrue(r.errors().get(0).contains("upstream tier '1-week' has never completed a run"), r.errors().toString());
      assertEquals(2, delta(t0, b.target, Operation.PUT), "only the lease and the manifest recording the failure");
      assertEquals(1, backup.metrics().tier("2-week").failures());
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode json(String text) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
