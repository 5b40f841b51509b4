package io.litevault.bucket.fs;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.StoreUnavailableException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile review of the plain file layout (fs-plain-paths-2, on main). Every test here failed on main. */
class FsPlainReviewTest {
  @TempDir Path root;

  private FileSystemObjectStore store() {
    return FileSystemObjectStore.create(FileSystemOptions.builder(root).fsync(false).build());
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> keys(FileSystemObjectStore s, String prefix) {
    return s.list(prefix).map(ObjectInfo::key).toList();
  }

  /**
   * A put that is refused (body shorter than declared: IllegalArgumentException, "nothing is stored") still
   * leaves the directories it created. Two levels deep, they block key "a" for ever: KEY_CONFLICT "other keys
   * start with 'a/'" although no key does. removeEmptyDirectory removes one empty level only.
   */
  @Test
  void aRefusedPutLeavesDirectoriesThatBlockAKeyForEver() {
    FileSystemObjectStore s = store();
    assertThrows(IllegalArgumentException.class,
        () -> s.put("a/b/c", new ByteArrayInputStream(b("abc")), 5));
    assertEquals(List.of(), keys(s, ""), "nothing is stored");
    assertDoesNotThrow(() -> s.put("a", b("x")), "no key starts with 'a/', yet the key 'a' is refused");
  }

  /** Same with a body whose read fails (UncheckedIOException, "nothing is stored"), and a create-only put. */
  @Test
  void aPutWhoseBodyFailsLeavesDirectoriesThatBlockACreateOnlyPut() {
    FileSystemObjectStore s = store();
    InputStream broken = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("connection reset");
      }
    };
    assertThrows(java.io.UncheckedIOException.class, () -> s.put("lease/gen/1", broken, 10));
    assertEquals(List.of(), keys(s, ""));
    assertDoesNotThrow(() -> assertTrue(s.putIfAbsent("lease", b("owner-1"))),
        "no key starts with 'lease/', yet the create-only put is refused");
  }

  /**
   * A delete killed after unlinking the file but before removing its emptied directories (kill -9 between
   * deleteIfExists and pruneEmptyDirectories) leaves nested empty directories: the key above them is blocked.
   */
  @Test
  void aDeleteKilledBeforePruningLeavesNestedDirectoriesThatBlockAKey() throws Exception {
    FileSystemObjectStore s = store();
    s.put("n/o/p", b("1"));
    Files.delete(root.resolve("n/o/p")); // the unlink happened, the process died before the rmdirs
    assertEquals(List.of(), keys(s, ""));
    assertDoesNotThrow(() -> s.put("n", b("x")), "a crashed delete left empty directories that block 'n'");
  }

  /**
   * A put killed between writing its temporary file and renaming/linking it leaves {@code t/%tmp-<uuid>}
   * for ever. Listings skip it, but it keeps {@code t/} from being removed: once the keys below are deleted,
   * the key 't' is refused with KEY_CONFLICT "other keys start with 't/'".
   */
  @Test
  void aTempFileLeftByAKilledPutBlocksAKeyForEver() throws Exception {
    FileSystemObjectStore s = store();
    s.put("t/x", b("1"));
    Files.write(KeyPaths.tempFile(root.resolve("t")), b("half a body")); // kill -9 before the link
    s.delete("t/x");
    assertEquals(List.of(), keys(s, ""), "no key left");
    assertDoesNotThrow(() -> s.put("t", b("x")), "a crash's temp file blocks the key 't' for ever");
  }

  /**
   * A put into {@code p/q/} races with a delete (another store, another process) that removes the last key
   * under {@code p/} and prunes {@code p}. The put finds {@code p} (or creates it), then the delete removes the
   * emptied {@code p}, then the put's mkdir of {@code p/q} fails with ENOENT: the put fails with a raw
   * NoSuchFileException (kind OTHER, not retryable). createTemp retries a vanished directory only around the
   * temp file's open, not inside createDirectories. Made deterministic with the Fsync observer, which runs
   * right after mkdir p.
   */
  @Test
  void aPutRacingWithAPruneOfItsGrandparentFails() {
    FileSystemObjectStore writer = FileSystemObjectStore.create(root); // fsync on, the default
    FileSystemObjectStore deleter = store();
    deleter.put("p/s/t", b("other"));
    AtomicBoolean fired = new AtomicBoolean();
    Fsync.observer = dir -> {
      if (dir.equals(root) && fired.compareAndSet(false, true)) {
        deleter.delete("p/s/t"); // the other process: unlink t, rmdir s, rmdir p (empty at this instant)
      }
    };
    try {
      assertDoesNotThrow(() -> writer.put("p/q/r", b("mine")), "a concurrent delete of a sibling made a put fail");
      assertTrue(fired.get());
    } finally {
      Fsync.observer = null;
    }
  }

  /**
   * The same race, no hooks: two stores on one root, fsync off; one puts and deletes under p/a/, the other
   * under p/b/. Each delete empties and removes p. Puts fail now and then with NoSuchFileException.
   */
  @Test
  void createOnlyPutsFailWhileSiblingDeletesRemoveTheirParent() throws Exception {
    FileSystemObjectStore a = store();
    FileSystemObjectStore b2 = store();
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    long end = System.nanoTime() + 4_000_000_000L;
    Thread other = new Thread(() -> {
      for (int i = 0; System.nanoTime() < end; i++) {
        try {
          b2.put("p/b/x" + i, b("b"));
          b2.delete("p/b/x" + i);
        } catch (RuntimeException e) {
          failures.add("put/delete p/b: " + e);
        }
      }
    });
    other.start();
    int attempts = 0;
    for (int i = 0; System.nanoTime() < end; i++) {
      attempts++;
      try {
        if (!a.putIfAbsent("p/a/lease" + i, b("owner-a-" + i))) {
          failures.add("putIfAbsent p/a/lease" + i + " returned false for a key nobody else writes");
        }
        a.delete("p/a/lease" + i);
      } catch (RuntimeException e) {
        failures.add("putIfAbsent p/a: " + e);
      }
    }
    other.join();
    if (!failures.isEmpty()) {
      fail(failures.size() + " failures in " + attempts + " create-only puts; first: " + failures.get(0));
    }
  }

  /**
   * An old Litevault version (legacy layout) starts writing into a root that a new store already opened
   * while it was empty: the new store told "plain" once and keeps it, so both take the same create-only key,
   * each in its own layout: two lease holders. Afterwards a fresh store refuses the root as mixed, so
   * neither the new replicator after a restart nor a restore can open it.
   */
  @Test
  void aLegacyWriterArrivingAfterDetectionLetsTwoStoresCreateTheSameKey() {
    FileSystemObjectStore upgraded = store();
    upgraded.verify(); // empty root: plain, told once
    // The old version's first put (its KeyPaths: directories suffixed %d).
    Path oldLease = root.resolve("app%d").resolve("lease%d").resolve("00000001");
    assertDoesNotThrow(() -> {
      Files.createDirectories(oldLease.getParent());
      Files.write(oldLease, b("old-owner"));
    });
    FileSystemObjectStore oldVersion = store();
    assertTrue(oldVersion.isLegacyLayout());
    assertEquals(List.of("app/lease/00000001"), keys(oldVersion, "app/"));
    boolean created;
    try {
      created = upgraded.putIfAbsent("app/lease/00000001", b("new-owner"));
    } catch (ObjectStoreException refused) {
      return; // refusing the now-mixed root would be right
    }
    assertFalse(created, "both the old-version writer and the upgraded store created app/lease/00000001: "
        + "two lease holders; and now " + assertThrows(StoreUnavailableException.class,
            () -> store().verify()).getMessage());
  }

  /**
   * A legacy bucket whose top directory was moved to another disk and symlinked back ({@code app%d ->
   * /disk2/app%d}): the old version read it through the link. Detection skips links (NOFOLLOW), tells "plain",
   * and the bucket reads as silently empty: list is empty and get is "not found", no error. A restore reports
   * no backups; a replicator starts a fresh lineage beside it.
   */
  @Test
  void aLegacyBucketBehindASymlinkedDirectoryReadsAsEmpty(@TempDir Path disk2) throws Exception {
    Path moved = disk2.resolve("app%d").resolve("lineages%d").resolve("x");
    Files.createDirectories(moved.getParent());
    Files.writeString(moved, "old");
    Files.createSymbolicLink(root.resolve("app%d"), disk2.resolve("app%d"));
    FileSystemObjectStore s = store();
    boolean refused = false;
    List<String> listed = List.of();
    try {
      listed = keys(s, "app/");
    } catch (ObjectStoreException e) {
      refused = true;
    }
    assertTrue(refused || listed.equals(List.of("app/lineages/x")),
        "a legacy bucket behind a link listed as " + listed + " (legacy? " + s.isLegacyLayout() + ")");
  }

  /**
   * copyToPlainLayout "checks every key first and copies nothing if one cannot be held", but only against the
   * source: into a plain root that already holds keys it copies some, then fails on a clash, half done.
   */
  @Test
  void copyToPlainLayoutIntoANonEmptyPlainRootStopsHalfway(@TempDir Path target) throws Exception {
    Path legacy = root;
    Files.createDirectories(legacy.resolve("db%d"));
    Files.writeString(legacy.resolve("db%d").resolve("0-first"), "1");
    Files.writeString(legacy.resolve("db%d").resolve("x"), "2");
    FileSystemObjectStore to = FileSystemObjectStore.create(FileSystemOptions.builder(target).fsync(false).build());
    to.put("db/x/y", b("already there"));
    try {
      FileSystemObjectStore.copyToPlainLayout(legacy, target);
    } catch (ObjectStoreException expected) {
      // refusing is fine, but then nothing may have been copied
    }
    assertEquals(List.of("db/x/y"), keys(to, ""), "a refused conversion copied part of the bucket");
  }

  /**
   * An S3 bucket downloaded into a directory (aws s3 sync) with a key whose segment is 241..255 bytes: a
   * legal file name, listed by the store, but get refuses the very key list returned (IllegalArgumentException).
   */
  @Test
  void aListedKeyWithA250ByteSegmentCannotBeRead() throws Exception {
    String seg = "s".repeat(250);
    Files.createDirectories(root.resolve("dl"));
    Files.writeString(root.resolve("dl").resolve(seg), "from s3");
    FileSystemObjectStore s = store();
    List<String> listed = keys(s, "dl/");
    assertEquals(List.of("dl/" + seg), listed);
    assertDoesNotThrow(() -> s.get(listed.get(0)).close(), "list returned a key that get refuses");
  }

  // Checks that held, kept as regression tests.

  @Test
  void heldRetriedCreateOnlyPutWithSameBytesIsFalseNotAConflict() {
    FileSystemObjectStore s = store();
    byte[] body = b("owner " + UUID.randomUUID());
    assertTrue(s.putIfAbsent("l/1", body));
    assertFalse(s.putIfAbsent("l/1", body));
    assertThrows(ObjectStoreException.class, () -> s.putIfAbsent("l", body));
    assertThrows(ObjectStoreException.class, () -> s.putIfAbsent("l/1/2", body));
    assertEquals(List.of("l/1"), keys(s, ""));
  }

  @Test
  void heldPercentAndUnicodeKeysRoundTripInByteOrder() throws Exception {
    FileSystemObjectStore s = store();
    List<String> ks = List.of("k/%", "k/%25", "k/%dx", "k/a b", "k/é", "k/日本", "k/\uD83D\uDE00", "k/A", "k/a");
    for (String k : ks) {
      s.put(k, b(k));
    }
    List<String> sorted = new ArrayList<>(ks);
    sorted.sort(io.litevault.bucket.ObjectKeys::compare);
    assertEquals(sorted, keys(s, "k/"));
    for (String k : ks) {
      try (InputStream in = s.get(k)) {
        assertEquals(k, new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    assertThrows(IllegalArgumentException.class, () -> s.put("k/x%d", b("")));
    assertThrows(IllegalArgumentException.class, () -> s.put("k/%tmp-1", b("")));
    assertThrows(IllegalArgumentException.class, () -> s.put("k/", b("")));
    assertThrows(IllegalArgumentException.class, () -> s.put("k/./x", b("")));
  }
}
