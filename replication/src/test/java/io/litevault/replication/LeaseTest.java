package io.litevault.replication;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.FaultyObjectStore;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.replication.format.BucketLayout;
import static org.junit.jupiter.api.Assertions.*;

import io.litevault.testing.MutableClock;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fenced lease on a real file store: every change is a create-only put of the next generation, so a
 * holder that was paused while another process took over is refused, never overwrites the other's lease.
 */
class LeaseTest {
  static final Duration TTL = Duration.ofSeconds(10);

  @TempDir Path dir;
  FileSystemObjectStore files;
  final BucketLayout layout = new BucketLayout("fenced/db");
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T01:00:00Z"));
  final AtomicLong nanos = new AtomicLong(1);

  @BeforeEach
  void bucket() throws Exception {
    files = FileSystemObjectStore.create(FileSystemOptions.builder(Files.createDirectories(dir.resolve("b"))).build());
  }

  @AfterEach
  void close() {
    files.close();
  }

  Lease lease(ObjectStore store, String owner, String home) {
    return new Lease(store, layout, owner, home, TTL, clock, nanos::get);
  }

  void pass(Duration d) {
    clock.advance(d);
    nanos.addAndGet(d.toNanos());
  }

  String newestOwner() throws Exception {
    List<ObjectInfo> gens = files.list(layout.leases()).toList();
    try (InputStream in = files.get(gens.get(gens.size() - 1).key())) {
      return LeaseBody.parse("newest", in.readAllBytes()).owner();
    }
  }

  /**
   * A renewal is one create-only PUT, one LIST of the generations (both "am I the newest" and "which
   * are old" read it) and one batch delete: the peer harness counted two LISTs per renewal.
   */
  @Test
  void aRenewalListsTheGenerationsOnce() {
    Lease l = lease(files, "host-a", "boot/a");
    l.acquire();
    long lists = files.metrics().of(io.litevault.bucket.Operation.LIST).requests();
    long puts = files.metrics().of(io.litevault.bucket.Operation.PUT).requests();
    pass(TTL);
    l.renewIfDue();
    assertEquals(1, files.metrics().of(io.litevault.bucket.Operation.LIST).requests() - lists, files.metrics().toString());
    assertTrue(files.metrics().of(io.litevault.bucket.Operation.PUT).requests() > puts, "renewed: " + files.metrics());
    assertEquals(1, files.list(layout.leases()).count(), "the older generation deleted");
  }

  /**
   * A VM paused past its lease: the guest's monotonic clock may not count the pause, its wall clock does
   * (and the taker judged the expiry by wall clocks). The next renewIfDue (before acknowledging an upload)
   * must renew, and so find the lease taken, rather than trust the monotonic clock alone.
   */
  @Test
  void aPauseOnlyTheWallClockSawMakesTheRenewalDue() {
    Lease holder = lease(files, "host-a", "boot/a");
    holder.acquire();
    clock.advance(TTL.plusSeconds(1)); // the monotonic clock stood still through the pause
    lease(files, "host-b", "boot/b").acquire(); // expired by the wall clock: taken over
    LeaseException e = assertThrows(LeaseException.class, holder::renewIfDue);
    assertTrue(e.getMessage().contains("host-b"), e.getMessage());
  }

  @Test
  void anUnexpiredLeaseOnAnotherHomeIsRefusedNamingItsHolder() {
    lease(files, "host-a", "boot/a").acquire();
    LeaseException e = assertThrows(LeaseException.class, () -> lease(files, "host-b", "boot/b").acquire());
    assertTrue(e.getMessage().contains("leased by 'host-a'"), e.getMessage());
  }

  /**
   * The race of read-then-overwrite renewal: the holder decides to renew, another process takes the
   * expired lease over, then the holder writes. The holder must be refused and the taker keep it.
   */
  @Test
  void aRenewalRacingATakeoverIsRefusedInsteadOfOverwritingTheTaker() throws Exception {
    Lease taker = lease(files, "host-b", "boot/b");
    FaultyObjectStore racing = new FaultyObjectStore(files);
    Lease holder = lease(racing, "host-a", "boot/a");
    holder.acquire();
    pass(TTL.plusSeconds(1)); // paused past its expiry: renewal is due, and the lease is up for grabs
    racing.beforePut("/leases/", key -> taker.acquire()); // the takeover lands between the holder's decision and its write
    assertThrows(LeaseException.class, holder::renewIfDue);
    assertEquals("host-b", newestOwner());
    assertFalse(taker.continuationSafe(), "an expired lease on another home may hide a paused writer");
    pass(TTL);
    taker.renewIfDue();
    assertEquals("host-b", newestOwner());
  }

  /** Old generations are deleted: a holder paused for many renewals re-creates one and must still lose. */
  @Test
  void aHolderPausedForManyRenewalsIsRefusedEvenWhereItsNextGenerationWasDeleted() throws Exception {
    Lease holder = lease(files, "host-a", "boot/a");
    holder.acquire();
    pass(TTL.plusSeconds(1));
    Lease taker = lease(files, "host-b", "boot/b");
    taker.acquire();
    for (int i = 0; i < 5; i++) {
      pass(TTL);
      taker.renewIfDue();
    }
    LeaseException e = assertThrows(LeaseException.class, holder::renewIfDue);
    assertTrue(e.getMessage().contains("host-b"), e.getMessage());
    assertEquals("host-b", newestOwner());
    assertEquals(1, files.list(layout.leases()).count(), "the refused holder removed the generation it re-created");
    pass(TTL);
    taker.renewIfDue();
  }

  /** A process restarted on the same files (same home) after a crash continues at once, not after the TTL. */
  @Test
  void aLeaseLeftByACrashOnTheSameHomeIsTakenOverAtOnceAndItsLineageContinued() {
    lease(files, "pid-1", "boot/x").acquire(); // never released: kill -9
    Lease restarted = lease(files, "pid-2", "boot/x");
    restarted.acquire();
    assertTrue(restarted.continuationSafe());
    assertThrows(LeaseException.class, () -> lease(files, "elsewhere", "boot/y").acquire());
  }

  @Test
  void aReleasedLeaseIsTakenAtOnceAndItsLineageContinued() {
    Lease first = lease(files, "host-a", "boot/a");
    first.acquire();
    first.release();
    Lease next = lease(files, "host-b", "boot/b");
    next.acquire();
    assertTrue(next.continuationSafe());
  }

  @Test
  void anUnknownHomeNeverTakesOverBeforeExpiry() {
    lease(files, "a", "").acquire();
    assertThrows(LeaseException.class, () -> lease(files, "b", "").acquire());
    pass(TTL.plusSeconds(1));
    Lease b = lease(files, "b", "");
    b.acquire();
    assertFalse(b.continuationSafe());
  }

  @Test
  void aLeaseOfAnOlderVersionIsHonoured() {
    files.put(layout.legacyLease(), ("{\"owner\": \"v0\", \"nonce\": \"n\", \"expiresAtMillis\": "
        + (clock.millis() + TTL.toMillis()) + "}\n").getBytes(StandardCharsets.UTF_8));
    LeaseException e = assertThrows(LeaseException.class, () -> lease(files, "new", "boot/n").acquire());
    assertTrue(e.getMessage().contains("older Litevault version"), e.getMessage());
  }

  /** A renewal whose put was stored but whose listing failed is ours on the next try, not another's. */
  @Test
  void aRenewalStoredButNotConfirmedIsRecognisedAsOursNextTime() throws Exception {
    FaultyObjectStore flaky = new FaultyObjectStore(files);
    Lease holder = lease(flaky, "host-a", "boot/a");
    holder.acquire();
    pass(TTL);
    flaky.failCall(2, ErrorKind.SERVER_ERROR); // 1: the put of generation 2; 2: the listing after it
    assertThrows(ObjectStoreException.class, holder::renewIfDue);
    holder.renewIfDue(); // must not take its own generation 2 for a takeover
    assertEquals("host-a", newestOwner());
    pass(TTL);
    holder.renewIfDue();
    assertEquals("host-a", newestOwner());
  }

  /** An acquire whose put was stored but whose answer was lost finds its own generation, not a holder. */
  @Test
  void anAcquireWhoseAnswerWasLostFindsItsOwnGeneration() {
    FaultyObjectStore flaky = new FaultyObjectStore(files);
    Lease a = lease(flaky, "host-a", "");
    flaky.failAfterPut(1, ErrorKind.TIMEOUT);
    assertThrows(ObjectStoreException.class, a::acquire);
    a.acquire();
    assertThrows(LeaseException.class, () -> lease(files, "host-b", "").acquire());
  }

  /** Renewal is measured on the monotonic clock: a wall clock stepping back does not extend the lease. */
  @Test
  void aWallClockSteppingBackDoesNotPostponeRenewal() throws Exception {
    Lease holder = lease(files, "host-a", "boot/a");
    holder.acquire();
    clock.advance(Duration.ofHours(-1));
    nanos.addAndGet(TTL.toNanos());
    holder.renewIfDue();
    assertEquals(layout.leaseGeneration(2), files.list(layout.leases()).findFirst().orElseThrow().key(),
        "renewed: generation 2 replaced generation 1");
  }
}
