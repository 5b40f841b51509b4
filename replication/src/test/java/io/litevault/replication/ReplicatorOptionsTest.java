package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.store.InvalidNameException;
import io.litevault.store.Names;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replica prefixes are checked by the shared rule (io.litevault.store.Names), in options and layout alike. */
class ReplicatorOptionsTest {
  @TempDir Path dir;

  @Test
  void replicaPrefixesFollowTheSharedRule() {
    ObjectStore store = FileSystemObjectStore.create(dir);
    for (String bad : new String[] {"", "/a", "a/", "a//b", "a/../b", "..", "a b", "donn\u00e9es", "x\u0000y",
        "a/" + "b".repeat(65)}) {
      InvalidNameException e = assertThrows(InvalidNameException.class, () -> ReplicatorOptions.builder(store, bad));
      assertEquals(Names.Kind.PREFIX, e.kind());
      assertTrue(e.getMessage().startsWith("invalid replica prefix '" + Names.printable(bad) + "': "), e.getMessage());
      assertThrows(InvalidNameException.class, () -> new BucketLayout(bad));
    }
    assertThrows(InvalidNameException.class, () -> ReplicatorOptions.builder(store, null));
    assertEquals("litevault/data-1.x_y", ReplicatorOptions.builder(store, "litevault/data-1.x_y").build().prefix());
    assertEquals("a/" + "b".repeat(64), new BucketLayout("a/" + "b".repeat(64)).prefix());
  }
}
