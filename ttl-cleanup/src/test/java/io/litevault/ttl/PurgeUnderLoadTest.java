package io.litevault.ttl;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Purging while 8 threads write: every write commits; see {@link PurgeUnderLoad}. */
class PurgeUnderLoadTest {
  @TempDir Path dir;

  @Test
  void purge100kExpiredRowsWhileEightThreadsWrite() throws Exception {
    PurgeUnderLoad.run(dir, 100_000);
  }

  /** The full size; run with {@code mvn -Ptorture verify -pl ttl-cleanup -am}. */
  @Test
  @Tag("torture")
  void purgeAMillionExpiredRowsWhileEightThreadsWrite() throws Exception {
    PurgeUnderLoad.run(dir, 1_000_000);
  }
}
