package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of b0d7e7f: lease-only bugs. */
class Review26LeaseTest {
  static final Duration TTL = Duration.ofSeconds(10);
  @TempDir Path dir;
  final BucketLayout layout = new BucketLayout("r26/db");
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T01:00:00Z"));
  final AtomicLong nanos = new AtomicLong(1);

  Lease lease(io.litevault.bucket.ObjectStore store, String owner, String home) {
    return new Lease(store, layout, owner, home, TTL, clock, nanos::get);
  }

  /**
   * Scenario: a holder's renewal PUT of generation g+1 is stored but its answer is lost (the client gives up:
   * renewIfDue throws). Before the next renewal the process closes (Replicator.close, a Handover) and releases
   * the lease: release() puts a released body at generation + 1 = g+1, which exists (its own live renewal),
   * so putIfAbsent answers false and release gives up silently (no read of g+1, no release at g+2).
   * Expected: the lease is released (the newest generation says released): a successor (a standby after a
   * handover) may take over at once and continue the lineage.
   * Actual: the newest generation is the holder's live g+1, not released: a standby waits for its expiry and then
   * takes it as an expired lease of another machine (fenced, new lineage), as if the primary had died.
   */
  @Test
  void aReleaseAfterARenewalWhoseAnswerWasLostReleasesTheLease() throws Exception {
    try (FileSystemObjectStore files = FileSystemObjectStore.create(
        FileSystemOptions.builder(Files.createDirectories(dir.resolve("b"))).build())) {
      FaultyObjectStore flaky = new FaultyObjectStore(files);
      Lease holder = lease(flaky, "host-a", "boot/a");
      holder.acquire();
      clock.advance(TTL);
      nanos.addAndGet(TTL.toNanos());
      flaky.failAfterPut(1, ErrorKind.TIMEOUT); // generation 2 is stored, its answer lost
      assertThrows(ObjectStoreException.class, holder::renewIfDue);
      holder.release();
      Lease.Holder newest = lease(files, "viewer", "").holder().orElseThrow();
      assertTrue(newest.released(), "after release() the newest generation (" + newest.generation() + ", owner "
          + newest.owner() + ", expires " + Instant.ofEpochMilli(newest.expiresAtMillis()) + ") is still live");
      Lease successor = lease(files, "host-b", "boot/b");
      successor.acquire();
      assertEquals(true, successor.continuationSafe(), "a successor of a released lease may continue the lineage");
    }
  }
}
