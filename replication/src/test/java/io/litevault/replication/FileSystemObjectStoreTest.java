package io.litevault.replication;

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

  /** S3 allows it (MinIO and S3Proxy's file stores do not, so the contract does not promise it). */
  @Test
  void aKeyCanAlsoBeAPrefixOfOtherKeys() {
    store.put(p + "a", "file".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    store.put(p + "a/b", "below".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertEquals("file", new String(read(store.get(p + "a")), java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(List.of(p + "a", p + "a/b"), keys(p));
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

  @Test
  void verifyNamesAMissingDirectory() {
    FileSystemObjectStore missing = FileSystemObjectStore.create(root.resolve("no-such-dir"));
    StoreUnavailableException e = assertThrows(StoreUnavailableException.class, missing::verify);
    assertEquals(ErrorKind.NO_SUCH_BUCKET, e.kind());
    assertTrue(e.getMessage().contains("no-such-dir"));
  }
}
