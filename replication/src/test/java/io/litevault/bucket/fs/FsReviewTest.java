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

  /**
   * 1. An old-layout bucket listed under a prefix was silently empty. Adapted: this design reads a legacy
   * root in its own layout (told once from the root), so the key is listed, as before plain paths; a legacy
   * directory below a plain root, which that detection cannot see, is refused, not listed as empty.
   */
  @Test
  void legacyBucketListedUnderAPrefixIsRefusedNotEmpty() throws Exception {
    Path f = root.resolve("app%d").resolve("lineages%d").resolve("x");
    Files.createDirectories(f.getParent());
    Files.writeString(f, "old");
    FileSystemObjectStore s = store();
    assertEquals(List.of("app/lineages/x"), keys(s, "app/lineages/"), "an old-layout bucket must not list as empty");
    assertEquals("old", new String(s.get("app/lineages/x").readAllBytes(), StandardCharsets.UTF_8));

    Path nested = root.resolve("plain-parent");
    Files.createDirectories(nested.resolve("inner").resolve("app%d"));
    Files.writeString(nested.resolve("inner").resolve("app%d").resolve("x"), "old");
    FileSystemObjectStore plain = FileSystemObjectStore.create(FileSystemOptions.builder(nested).fsync(false).build());
    ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> keys(plain, "inner/app/"),
        "a legacy directory below a plain root must be refused, not listed as empty");
    assertTrue(e.getMessage().contains("legacy"), e.getMessage());
  }

  /**
   * 2. A key the store accepted (segment ending in %d) made every listing through it fail. Adapted: the brief
   * asks that such segments be refused (a directory of that name would read as the legacy layout), so the put
   * is refused up front and listings keep working.
   */
  @Test
  void aKeyWithASegmentEndingInPercentDIsListable() {
    FileSystemObjectStore s = store();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.put("p/x%d/y", b("1")));
    assertTrue(e.getMessage().contains("%d"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> s.put("p/x%d", b("1")));
    assertThrows(IllegalArgumentException.class, () -> s.putIfAbsent("p/a%tmp-b", b("1")));
    s.put("p/z", b("2"));
    assertEquals(List.of("p/z"), keys(s, "p/"));
    assertEquals(List.of("p/z"), keys(s, ""));
  }

  /**
   * 3a. migrateLegacyLayout was not idempotent: a rerun decoded %25 a second time. Adapted: no in-place
   * migration here; the legacy root is read as it is (key db/lin%25e) and converted by a copy into a fresh
   * plain root, which a rerun leaves unchanged.
   */
  @Test
  void migrateTwiceKeepsKeysWithPercent25(@TempDir Path fresh) throws Exception {
    Path f = root.resolve("db%d").resolve("lin%2525e"); // old encoding of key db/lin%25e
    Files.createDirectories(f.getParent());
    Files.writeString(f, "old");
    assertEquals(List.of("db/lin%25e"), keys(store(), ""));
    assertEquals(1, FileSystemObjectStore.copyToPlainLayout(root, fresh));
    FileSystemObjectStore plain = FileSystemObjectStore.create(FileSystemOptions.builder(fresh).fsync(false).build());
    assertEquals(List.of("db/lin%25e"), keys(plain, ""));
    assertEquals(1, FileSystemObjectStore.copyToPlainLayout(root, fresh), "a rerun copies the same again");
    assertEquals(List.of("db/lin%25e"), keys(plain, ""), "and changes nothing");
    assertEquals("old", Files.readString(fresh.resolve("db").resolve("lin%25e")));
    assertEquals(List.of("db/lin%25e"), keys(store(), ""), "the source is untouched");
  }

  /**
   * 3b. An old-layout key with a directory segment ending in %d could not be listed after migration.
   * Adapted: the legacy root lists and reads it; converting it to the plain layout, which cannot hold it,
   * is refused up front with the key named, and nothing is copied.
   */
  @Test
  void migratedKeyWithSegmentEndingInPercentDIsListable(@TempDir Path fresh) throws Exception {
    Path f = root.resolve("y%25d%d").resolve("z"); // old encoding of key y%d/z
    Files.createDirectories(f.getParent());
    Files.writeString(f, "old");
    assertEquals(List.of("y%d/z"), keys(store(), ""));
    assertEquals("old", new String(store().get("y%d/z").readAllBytes(), StandardCharsets.UTF_8));
    ObjectStoreException e = assertThrows(ObjectStoreException.class,
        () -> FileSystemObjectStore.copyToPlainLayout(root, fresh));
    assertTrue(e.getMessage().contains("y%d/z") && e.getMessage().contains("nothing copied"), e.getMessage());
    try (var left = Files.list(fresh)) {
      assertEquals(0, left.count());
    }
  }

  /**
   * 3c. Migrating a bucket that already held new-layout keys with %25 renamed them. Adapted: nothing is
   * renamed in place. A root holding both layouts is refused (neither reading is right) and left as it is;
   * converting the legacy part by a copy into a plain root keeps the plain keys there as they are.
   */
  @Test
  void migrateDoesNotRenamePlainKeys(@TempDir Path mixed) throws Exception {
    Files.createDirectories(mixed.resolve("new"));
    Files.writeString(mixed.resolve("new").resolve("50%25off"), "plain");
    Files.createDirectories(mixed.resolve("old%d"));
    Files.writeString(mixed.resolve("old%d").resolve("k"), "old");
    FileSystemObjectStore both = FileSystemObjectStore.create(FileSystemOptions.builder(mixed).fsync(false).build());
    io.litevault.bucket.StoreUnavailableException e = assertThrows(io.litevault.bucket.StoreUnavailableException.class,
        () -> keys(both, ""));
    assertTrue(e.getMessage().contains("mixes two layouts"), e.getMessage());
    assertThrows(io.litevault.bucket.StoreUnavailableException.class, both::verify);
    assertTrue(Files.isRegularFile(mixed.resolve("new").resolve("50%25off")), "nothing renamed");
    assertTrue(Files.isRegularFile(mixed.resolve("old%d").resolve("k")), "nothing renamed");

    Files.delete(mixed.resolve("new").resolve("50%25off"));
    Files.delete(mixed.resolve("new"));
    FileSystemObjectStore s = store();
    s.put("new/50%25off", b("plain"));
    FileSystemObjectStore.copyToPlainLayout(mixed, root);
    assertEquals(List.of("new/50%25off", "old/k"), keys(s, ""));
    assertEquals("plain", new String(s.get("new/50%25off").readAllBytes(), StandardCharsets.UTF_8));
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

  /** 6, beyond deletes: an empty directory left by a crash or by hand does not block its key either. */
  @Test
  void anEmptyDirectoryLeftBehindDoesNotBlockItsKey() throws Exception {
    FileSystemObjectStore s = store();
    Files.createDirectories(root.resolve("h").resolve("i"));
    assertTrue(s.putIfAbsent("h/i", b("x")));
    Files.createDirectories(root.resolve("j"));
    s.put("j", b("y"));
    s.put("k/l/m", b("z"));
    s.delete("k/l/m");
    assertTrue(Files.notExists(root.resolve("k")), "a delete removes the directories it emptied");
    assertEquals(List.of("h/i", "j"), keys(s, ""));
  }

  /** 7, a directory link: delete does not follow a symbolic link out of the root. */
  @Test
  void deleteDoesNotFollowADirectoryLinkOutOfTheRoot(@TempDir Path outside) throws Exception {
    Path victim = Files.writeString(outside.resolve("victim"), "keep me");
    Files.createSymbolicLink(root.resolve("out"), outside);
    FileSystemObjectStore s = store();
    ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> s.delete("out/victim"));
    assertTrue(e.getMessage().contains("outside the bucket"), e.getMessage());
    assertTrue(Files.exists(victim), "the file outside the root is still there");
    assertEquals(List.of(), keys(s, ""), "a link to a directory is not walked");
    s.put("in/f", b("1"));
    Files.createSymbolicLink(root.resolve("in").resolve("link"), victim);
    s.delete("in/link");
    s.delete("in/f");
    assertTrue(Files.exists(victim), "deleting a link removes the link, not its target");
    assertTrue(Files.isSymbolicLink(root.resolve("out")), "pruning never removes a link");
  }

  /**
   * A segment of up to 255 bytes (the file-name limit) is a key like any other; a longer one can never be
   * stored, so get, stat, copy and delete answer "not found" and put refuses it with a clear error.
   */
  @Test
  void segmentsUpTo255BytesWorkAndLongerOnesAreNotFound() {
    FileSystemObjectStore s = store();
    String ok = "k/" + "s".repeat(255);
    s.put(ok, b("1"));
    assertEquals(List.of(ok), keys(s, "k/"));
    assertTrue(s.stat(ok).isPresent());
    String tooLong = "k/" + "s".repeat(256);
    assertThrows(ObjectNotFoundException.class, () -> s.get(tooLong));
    assertEquals(Optional.empty(), s.stat(tooLong));
    assertThrows(ObjectNotFoundException.class, () -> s.copy(tooLong, "k/x"));
    s.delete(tooLong);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.put(tooLong, b("1")));
    assertTrue(e.getMessage().contains("255 bytes"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> s.putIfAbsent(tooLong, b("1")));
  }
}
