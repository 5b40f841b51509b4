package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad handover settings and arguments are refused, naming the value, before anything is stopped. */
class HandoverOptionsTest {
  @TempDir Path dir;

  @Test
  void theDefaultFitsDockersGracePeriodAndBadTimeoutsAreRefusedNamingThem() {
    assertEquals(Duration.ofSeconds(8), HandoverOptions.defaults().timeout());
    assertTrue(HandoverOptions.DEFAULT_TIMEOUT.compareTo(Duration.ofSeconds(10)) < 0, "under Docker's 10 s");
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> HandoverOptions.builder().timeout(Duration.ZERO));
    assertTrue(zero.getMessage().contains("timeout") && zero.getMessage().contains("PT0S"), zero.getMessage());
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> new HandoverOptions(Duration.ofSeconds(-1)));
    assertTrue(negative.getMessage().contains("PT-1S"), negative.getMessage());
    assertThrows(NullPointerException.class, () -> HandoverOptions.builder().timeout(null));
  }

  @Test
  void aReplicatorOfAnotherStoreIsRefusedAndNothingIsStopped() throws Exception {
    try (FileSystemObjectStore bucket = FileSystemObjectStore.create(
            FileSystemOptions.builder(Files.createDirectories(dir.resolve("bucket"))).build());
        SqliteStore one = SqliteStore.builder(dir.resolve("one")).database("data").open();
        SqliteStore other = SqliteStore.builder(dir.resolve("other")).database("data").open();
        Replicator r = Replicator.start(other.database("data"), ReplicatorOptions.builder(bucket, "other/data").build())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Handover.run(one, List.of(r), HandoverOptions.defaults()));
      assertTrue(e.getMessage().contains("does not belong to the store at " + one.directory()), e.getMessage());
      one.database("data").writeAndWait(c -> null); // still accepting writes
      assertTrue(one.health().healthy());
    }
  }
}
