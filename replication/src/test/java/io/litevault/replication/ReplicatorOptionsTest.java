package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.Codec;
import io.litevault.replication.format.SegmentFormat;
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

  @Test
  void segmentFormatDefaultsToVersion1AndVersion2NeedsACompressingCodec() {
    ObjectStore store = FileSystemObjectStore.create(dir);
    assertEquals(SegmentFormat.V1, ReplicatorOptions.builder(store, "p").build().segmentFormat());
    assertEquals(1, ReplicatorOptions.DEFAULT_SEGMENT_FORMAT.version());
    assertEquals(SegmentFormat.V2, ReplicatorOptions.builder(store, "p").segmentFormat(SegmentFormat.V2).build()
        .segmentFormat());
    assertEquals(2, SegmentFormat.V2.version());
    assertThrows(NullPointerException.class, () -> ReplicatorOptions.builder(store, "p").segmentFormat(null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReplicatorOptions.builder(store, "p").segmentFormat(SegmentFormat.V2).codec(Codec.NONE).build());
    assertTrue(e.getMessage().startsWith("segmentFormat V2 needs a compressing codec"), e.getMessage());
    assertEquals(SegmentFormat.V1, ReplicatorOptions.builder(store, "p").codec(Codec.NONE).build().segmentFormat());
  }
}
