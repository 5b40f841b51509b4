package io.litevault.bucket.fs;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreContractTest;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.StoreUnavailableException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract of {@link FileSystemObjectStore}, plus its path-safety rules. */
class FileSystemObjectStoreTest extends ObjectStoreContractTest {
  static Path root;
  static FileSystemObjectStore store;

  @BeforeAll
  static void open() throws Exception {
    root = Files.createTempDirectory("litevault-fs-store");
    store = FileSystemObjectStore.create(FileSystemOptions.builder(root).fsync(false).build());
  }

  @AfterAll
  static void cleanUp() throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  @Override
  protected ObjectStore store() {
    return store;
  }

  @Override
  protected int minimumPartsForLarge() {
    return 1;
  }

  @Override
  protected long expectedListPages(int n) {
    return 1;
  }

  @Test
  void keysThatAreNotSafeRelativePathsAreRefused() throws Exception {
    for (String bad : List.of("../escape", "a/../../b", "/absolute", "a//b", "a/./b", "trailing/", "..")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.put(bad, new byte[1]),
          bad);
      assertTrue(e.getMessage().contains("safe relative path"), e.getMessage());
    }
    try (Stream<Path> s = Files.list(root.getParent())) {
      assertTrue(s.noneMatch(f -> f.getFileName().toString().equals("escape")));
    }
  }

  /**
   * S3 allows a key that is also a prefix of others; a path cannot be a file and a directory (MinIO's and
   * S3Proxy's file stores refuse it as well, so the contract does not promise it): a typed error naming the
   * clash, and nothing else changes.
   */
  @Test
  void aKeyThatIsAlsoAPrefixOfOtherKeysIsRefusedClearly() {
    store.put(p + "a", "file".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    ObjectStoreException below = assertThrows(ObjectStoreException.class,
        () -> store.put(p + "a/b", "below".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertEquals(ErrorKind.KEY_CONFLICT, below.kind());
    assertTrue(below.getMessage().contains("is a prefix of it"), below.getMessage());
    store.put(p + "c/d", "below".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    ObjectStoreException above = assertThrows(ObjectStoreException.class,
        () -> store.putIfAbsent(p + "c", "file".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertEquals(ErrorKind.KEY_CONFLICT, above.kind());
    assertTrue(above.getMessage().contains("other keys start with"), above.getMessage());
    assertThrows(ObjectStoreException.class, () -> store.put(p + "c", "file".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertThrows(ObjectStoreException.class, () -> store.copy(p + "a", p + "c"));
    assertThrows(io.litevault.bucket.ObjectNotFoundException.class, () -> store.get(p + "c"), "a prefix, not an object");
    store.delete(p + "c"); // idempotent: there is no such object
    store.delete(p + "a/b");
    assertEquals(List.of(p + "a", p + "c/d"), keys(p));
    assertEquals("file", new String(read(store.get(p + "a")), java.nio.charset.StandardCharsets.UTF_8));
  }

  /** The directory looks like the bucket: key a/b/c is the file a/b/c, '%' and all. */
  @Test
  void keysArePlainPaths() {
    store.put(p + "x/y%z/w%25", "v".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertTrue(Files.isRegularFile(root.resolve(p + "x/y%z/w%25")), "plain path");
    assertTrue(!store.isLegacyLayout());
  }

  /** A root written before plain paths is read and written as it is: there, a key may also be a prefix. */
  @Test
  void aLegacyRootKeepsItsLayout(@org.junit.jupiter.api.io.TempDir Path legacy) throws Exception {
    Path file = legacy.resolve("litevault%d").resolve("data%d").resolve("lin%25e");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "old");
    Files.createDirectories(legacy.resolve("lost+found")); // the root is a mount point: still legacy, not mixed
    FileSystemObjectStore old = FileSystemObjectStore.create(FileSystemOptions.builder(legacy).fsync(false).build());
    assertTrue(old.isLegacyLayout());
    assertEquals("old", new String(read(old.get("litevault/data/lin%e")), java.nio.charset.StandardCharsets.UTF_8));
    old.put("litevault/data", new byte[] {1});
    old.put("litevault/data%d/x", new byte[] {2});
    assertTrue(Files.isRegularFile(legacy.resolve("litevault%d/data%25d%d/x")), "written in the legacy encoding");
    assertEquals(List.of("litevault/data", "litevault/data%d/x", "litevault/data/lin%e"),
        old.list("litevault/").map(o -> o.key()).toList());
    old.delete("litevault/data/lin%e");
    assertTrue(Files.isDirectory(legacy.resolve("litevault%d/data%d")), "legacy directories are left as they were");
  }

  @Test
  void writesLeaveNoTemporaryFilesBehind() throws Exception {
    store.put(p + "x", new byte[100]);
    store.putIfAbsent(p + "y", new byte[5]);
    store.putIfAbsent(p + "y", new byte[5]);
    try (Stream<Path> s = Files.walk(root)) {
      assertTrue(s.noneMatch(f -> f.getFileName().toString().contains("%tmp-")));
    }
  }

  /**
   * A put that returned survives a power loss: the directories it created are entries in their parents,
   * which need an fsync of their own, and the rename needs one of the object's directory.
   */
  @Test
  void aPutMakesTheDirectoriesItCreatedAndItsRenameDurable() throws Exception {
    Path fresh = Files.createTempDirectory("litevault-fs-durable");
    FileSystemObjectStore durable = FileSystemObjectStore.create(FileSystemOptions.builder(fresh).build());
    Path object = fresh.resolve("a/b/c/key");
    Path c = object.getParent();
    Path b = c.getParent();
    Path a = b.getParent();
    List<String> synced = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.concurrent.atomic.AtomicReference<Path> putting = new java.util.concurrent.atomic.AtomicReference<>();
    Fsync.observer = d -> synced.add(fresh.relativize(d) + (Files.exists(putting.get()) ? " with the object" : ""));
    try {
      putting.set(object);
      durable.put("a/b/c/key", new byte[10]);
      List<String> first = List.copyOf(synced);
      for (Path parent : List.of(fresh, a, b)) {
        assertTrue(first.contains(fresh.relativize(parent).toString()), "the new directory's entry in " + parent + ": " + first);
      }
      assertTrue(first.contains(fresh.relativize(c) + " with the object"), "the rename: " + first);

      synced.clear();
      putting.set(fresh.resolve("a/b/c/other"));
      durable.put("a/b/c/other", new byte[10]);
      // Every put syncs each directory's entry on its path again (another process may have removed and made
      // one again meanwhile: FsRaceReviewTest), then the rename.
      assertEquals(List.of("", "a", "a/b", fresh.relativize(c) + " with the object"), synced, "an existing directory");

      synced.clear();
      Path d = fresh.resolve("a/d/key");
      putting.set(d);
      assertTrue(durable.putIfAbsent("a/d/key", new byte[3]));
      assertEquals(List.of("", fresh.relativize(a).toString(), fresh.relativize(d.getParent()) + " with the object"), synced);

      synced.clear();
      Path e = fresh.resolve("e/key");
      putting.set(e);
      durable.copy("a/b/c/key", "e/key");
      assertEquals(List.of("", fresh.relativize(e.getParent()) + " with the object"), synced);
    } finally {
      Fsync.observer = null;
      try (Stream<Path> s = Files.walk(fresh)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void verifyNamesAMissingDirectory() {
    FileSystemObjectStore missing = FileSystemObjectStore.create(root.resolve("no-such-dir"));
    StoreUnavailableException e = assertThrows(StoreUnavailableException.class, missing::verify);
    assertEquals(ErrorKind.NO_SUCH_BUCKET, e.kind());
    assertTrue(e.getMessage().contains("no-such-dir"));
  }
}
