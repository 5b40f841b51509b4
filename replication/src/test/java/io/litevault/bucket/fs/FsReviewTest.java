package io.litevault.bucket.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.ObjectInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsReviewTest {
  @TempDir Path root;

  private FileSystemObjectStore store() {
    return FileSystemObjectStore.create(FileSystemOptions.builder(root).fsync(false).build());
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private List<String> keys(FileSystemObjectStore s, String prefix) {
    return s.list(prefix).map(ObjectInfo::key).toList();
  }

  /** 1. An old-layout bucket listed under a prefix is silently empty instead of refused with the way out. */
  @Test
  void legacyBucketListedUnderAPrefixIsRefusedNotEmpty() throws Exception {
    Path f = root.resolve("app%d").resolve("lineages%d").resolve("x");
    Files.createDirectories(f.getParent());
    Files.writeString(f, "old");
    FileSystemObjectStore s = store();
    ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> keys(s, "app/lineages/"),
        "an old-layout bucket must be refused, not listed as empty");
    assertTrue(e.getMessage().contains("migrateLegacyLayout"), e.getMessage());
  }

  /** 2. A key the store accepted (segment ending in %d) makes every listing through it fail. */
  @Test
  void aKeyWithASegmentEndingInPercentDIsListable() {
    FileSystemObjectStore s = store();
    s.put("p/x%d/y", b("1"));
    s.put("p/z", b("2"));
    assertEquals(List.of("p/x%d/y", "p/z"), keys(s, "p/"));
  }

  /** 3a. migrateLegacyLayout is not idempotent: a rerun decodes %25 a second time and renames the key. */
  @Test
  void migrateTwiceKeepsKeysWithPercent25() throws Exception {
    Path f = root.resolve("db%d").resolve("lin%2525e"); // old encoding of key db/lin%25e
    Files.createDirectories(f.getParent());
    Files.writeString(f, "old");
    FileSystemObjectStore.migrateLegacyLayout(root);
    assertEquals(List.of("db/lin%25e"), keys(store(), ""));
    assertEquals(0, FileSystemObjectStore.migrateLegacyLayout(root), "a second run changes nothing");
    assertEquals(List.of("db/lin%25e"), keys(store(), ""));
  }

  /** 3b. An old-layout key with a directory segment ending in %d cannot be listed after migration. */
  @Test
  void migratedKeyWithSegmentEndingInPercentDIsListable() throws Exception {
    Path f = root.resolve("y%25d%d").resolve("z"); // old encoding of key y%d/z
    Files.createDirectories(f.getParent());
    Files.writeString(f, "old");
    FileSystemObjectStore.migrateLegacyLayout(root);
    assertEquals(List.of("y%d/z"), keys(store(), ""));
  }

  /** 3c. Migrating a bucket that already holds new-layout keys with %25 renames them. */
  @Test
  void migrateDoesNotRenamePlainKeys() throws Exception {
    FileSystemObjectStore s = store();
    s.put("new/50%25off", b("plain"));
    Path f = root.resolve("old%d").resolve("k");
    Files.createDirectories(f.getParent());
    Files.writeString(f, "old");
    FileSystemObjectStore.migrateLegacyLayout(root);
    assertEquals(List.of("new/50%25off", "old/k"), keys(s, ""));
  }

  /** 4. putIfAbsent under an object says "someone else created it" instead of refusing the clash. */
  @Test
  void putIfAbsentBelowAnObjectIsRefusedNotReportedAsExisting() {
    FileSystemObjectStore s = store();
    s.put("o", b("obj"));
    ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> s.putIfAbsent("o/b", b("x")),
        "false would mean the key exists, but get says it does not");
    assertTrue(e.getMessage().contains("is a prefix of it"), e.getMessage());
  }

  /** 5a. stat of a missing key below an object throws instead of returning empty. */
  @Test
  void statOfMissingKeyBelowAnObjectIsEmpty() {
    FileSystemObjectStore s = store();
    s.put("o", b("obj"));
    assertEquals(Optional.empty(), s.stat("o/b"));
  }

  /** 5b. copy from a key that is only a prefix is not ObjectNotFoundException (not even ObjectStoreException). */
  @Test
  void copyFromAPrefixIsNotFound() {
    FileSystemObjectStore s = store();
    s.put("d/e", b("1"));
    assertThrows(ObjectNotFoundException.class, () -> s.copy("d", "t1"), "d is a prefix, not an object");
  }

  /** 5c. copy from a missing key below an object is not ObjectNotFoundException. */
  @Test
  void copyFromBelowAnObjectIsNotFound() {
    FileSystemObjectStore s = store();
    s.put("o", b("obj"));
    assertThrows(ObjectNotFoundException.class, () -> s.copy("o/b", "t2"), "o/b does not exist");
  }

  /** 6. After every key under e/ is deleted, the key e is still refused: no other key starts with e/. */
  @Test
  void aKeyWhosePrefixKeysWereAllDeletedCanBePut() {
    FileSystemObjectStore s = store();
    s.put("e/f", b("1"));
    s.delete("e/f");
    assertEquals(List.of(), keys(s, "e"));
    s.put("e", b("now nothing else starts with e/"));
    assertTrue(s.putIfAbsent("g", b("x")));
    assertEquals(List.of("e", "g"), keys(s, ""));
  }

  /** 7. A symlinked object is listed but delete silently keeps it (deleteIfExists removed it before). */
  @Test
  void aListedSymlinkObjectCanBeDeleted(@TempDir Path outside) throws Exception {
    Path target = Files.writeString(outside.resolve("t"), "x");
    Files.createDirectories(root.resolve("s"));
    Files.createSymbolicLink(root.resolve("s").resolve("link"), target);
    FileSystemObjectStore s = store();
    assertEquals(List.of("s/link"), keys(s, "s/"));
    s.delete("s/link");
    assertEquals(List.of(), keys(s, "s/"), "delete returned, the key is still listed");
  }
}
