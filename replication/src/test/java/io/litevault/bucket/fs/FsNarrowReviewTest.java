package io.litevault.bucket.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectKeys;
import io.litevault.bucket.ObjectStoreException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile review of listAfter and the one-level '/' listing of the file bucket (review-narrow). */
class FsNarrowReviewTest {
  @TempDir Path root;

  private FileSystemObjectStore store() {
    return FileSystemObjectStore.create(FileSystemOptions.builder(root).fsync(false).build());
  }

  /** What S3 answers for a '/' listing: derived from the full listing of the prefix. */
  private static List<String> expectedLevel(FileSystemObjectStore s, String prefix) {
    Set<String> out = new LinkedHashSet<>();
    s.list(prefix).map(ObjectInfo::key).forEach(k -> {
      int i = k.indexOf('/', prefix.length());
      out.add(i < 0 ? k : k.substring(0, i + 1));
    });
    List<String> l = new ArrayList<>(out);
    l.sort(ObjectKeys::compare);
    return l;
  }

  private static List<String> level(FileSystemObjectStore s, String prefix) {
    return s.list(prefix, "/").map(ListEntry::key).toList();
  }

  /**
   * A directory holding no object, only an empty subdirectory or a temporary file (a put killed after its
   * mkdir, a prune that stopped at a concurrent put's temporary file: the "husks" Directories.removeTree
   * knows about), is listed by the one-level listing as a common prefix, although no key starts with it: S3
   * (and this store's own walk, and list(prefix)) show nothing there.
   */
  @Test
  void aDirectoryWithoutObjectsIsNoCommonPrefix() throws Exception {
    FileSystemObjectStore s = store();
    s.put("p/a/x", "1".getBytes(StandardCharsets.UTF_8));
    Files.createDirectories(root.resolve("p/husk1/sub/subsub"));
    Files.createDirectories(root.resolve("p/husk2"));
    Files.writeString(root.resolve("p/husk2/" + KeyPaths.TMP_MARK + "0b7e1c2a-killed-put"), "partial");
    assertEquals(List.of("p/a/x"), s.list("p/").map(ObjectInfo::key).toList());
    assertEquals(expectedLevel(s, "p/"), level(s, "p/"));
  }

  /**
   * A legacy-layout directory ({@code <name>%d}) under a plain root: list(prefix) refuses it loudly (it would
   * list as empty otherwise); the one-level '/' listing of the same prefix lists it as a common prefix with the
   * suffix in its key instead, as if it held keys starting {@code <name>%d/}.
   */
  @Test
  void aLegacyDirectoryUnderAPlainRootIsRefusedByTheDelimiterListingToo() throws Exception {
    FileSystemObjectStore s = store();
    s.put("p/a/x", "1".getBytes(StandardCharsets.UTF_8));
    Files.createDirectories(root.resolve("p/b%d"));
    Files.writeString(root.resolve("p/b%d/y"), "2");
    assertThrows(ObjectStoreException.class, () -> s.list("p/").count(), "list(prefix) refuses the mixed root");
    assertThrows(ObjectStoreException.class, () -> level(s, "p/"), "listed as " + safeLevel(s, "p/"));
  }

  private static List<String> safeLevel(FileSystemObjectStore s, String prefix) {
    try {
      return level(s, prefix);
    } catch (RuntimeException e) {
      return List.of(e.toString());
    }
  }

  /** listAfter returns exactly the keys after startAfter, for random key shapes and random startAfter. */
  @Test
  void listAfterEqualsTheFilteredListingForRandomKeys() {
    FileSystemObjectStore s = store();
    Random r = new Random(11);
    String[] parts = {"a", "b", "a-", "a.", "a0", "ab", "0001", "0001-0003", "0001-0002.x", "z", "é", "aa"};
    TreeSet<String> keys = new TreeSet<>(ObjectKeys::compare);
    for (int i = 0; i < 300; i++) {
      int depth = 1 + r.nextInt(3);
      StringBuilder k = new StringBuilder("q/");
      for (int d = 0; d < depth; d++) {
        k.append(d > 0 ? "/" : "").append(parts[r.nextInt(parts.length)]);
      }
      String key = k.toString();
      // the plain layout cannot hold a key that is a prefix (directory) of another
      if (keys.stream().anyMatch(o -> o.startsWith(key + "/") || key.startsWith(o + "/"))) {
        continue;
      }
      s.put(key, new byte[] {1});
      keys.add(key);
    }
    List<String> failures = new ArrayList<>();
    List<String> starts = new ArrayList<>(keys);
    for (String k : keys) {
      starts.add(k + "/");
      starts.add(k.substring(0, k.length() - 1));
      int slash = k.lastIndexOf('/');
      starts.add(k.substring(0, slash));
      starts.add(k.substring(0, slash + 1));
      starts.add(k + "-");
      starts.add(k + "\uffff");
    }
    starts.addAll(List.of("", "q", "q/", "r", "q/a/", "q/a-", "q/a.", "q/a0", "q/a/z/", "q/0001-0003/"));
    for (String prefix : List.of("q/", "q/a", "q/a/", "q/0001", "")) {
      for (String st : starts) {
        List<String> want = keys.stream().filter(k -> k.startsWith(prefix) && ObjectKeys.compare(k, st) > 0).toList();
        List<String> got = s.listAfter(prefix, st).map(ObjectInfo::key).toList();
        if (!want.equals(got)) {
          failures.add("listAfter('" + prefix + "', '" + st + "'): want " + want + " got " + got);
        }
      }
    }
    assertEquals(List.of(), failures.subList(0, Math.min(5, failures.size())), failures.size() + " failures");
  }
}
