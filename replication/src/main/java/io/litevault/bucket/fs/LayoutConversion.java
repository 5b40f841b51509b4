package io.litevault.bucket.fs;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStoreException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@link FileSystemObjectStore#copyToPlainLayout}: a legacy bucket converted by copying it into a fresh
 * plain root, never in place. The source is only read, every object lands by an atomic rename, so a crash
 * anywhere leaves the source intact and the target readable, and a rerun finishes.
 */
final class LayoutConversion {
  private static final int NAMED_PROBLEMS = 5;

  private LayoutConversion() {}

  static long copy(FileSystemObjectStore from, FileSystemObjectStore to) {
    if (to.isLegacyLayout()) {
      throw new ObjectStoreException(ErrorKind.OTHER, "copyToPlainLayout", null, "cannot copy into " + to.describe()
          + ": it holds a bucket in the legacy layout; copy into an empty directory", null);
    }
    List<ObjectInfo> objects;
    try (Stream<ObjectInfo> all = from.list("")) {
      objects = all.toList();
    }
    requireAllPlain(objects, to);
    requireNoClashWithTarget(objects, from, to);
    for (ObjectInfo o : objects) {
      try (InputStream in = from.get(o.key())) {
        to.put(o.key(), in, o.size());
      } catch (java.io.IOException e) {
        throw new ObjectStoreException(ErrorKind.OTHER, "copyToPlainLayout", o.key(), "copying " + o.key()
            + " from " + from.describe() + " failed: " + e.getMessage() + "; run the copy again", e);
      }
    }
    return objects.size();
  }

  /**
   * Every key checked against what the target already holds too: a key there that is a prefix of one of the
   * source's, or has one of them as a prefix, would stop the copy half-way. Keys in both are fine (an earlier,
   * interrupted run, or the same key kept): the copy replaces them, so a rerun finishes.
   */
  private static void requireNoClashWithTarget(List<ObjectInfo> objects, FileSystemObjectStore from,
      FileSystemObjectStore to) {
    Set<String> source = new HashSet<>();
    objects.forEach(o -> source.add(o.key()));
    Set<String> target = new HashSet<>();
    try (Stream<ObjectInfo> all = to.list("")) {
      all.forEach(o -> target.add(o.key()));
    }
    List<String> problems = new ArrayList<>();
    source.forEach(k -> prefixesIn(k, target, "the target's key", "", problems));
    target.forEach(k -> prefixesIn(k, source, "key", " (already in the target)", problems));
    if (!problems.isEmpty()) {
      problems.sort(null);
      throw new ObjectStoreException(ErrorKind.KEY_CONFLICT, "copyToPlainLayout", null, problems.size()
          + " key(s) of " + from.describe() + " clash with keys " + to.describe() + " already holds, nothing "
          + "copied: " + String.join("; ", problems.subList(0, Math.min(NAMED_PROBLEMS, problems.size())))
          + ". Copy into an empty directory, or remove the clashing keys from it first", null);
    }
  }

  /** Adds a problem for each proper prefix of {@code key} that is a key in {@code keys}. */
  private static void prefixesIn(String key, Set<String> keys, String what, String where, List<String> problems) {
    for (int i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
      if (keys.contains(key.substring(0, i))) {
        problems.add(what + " '" + key.substring(0, i) + "' is a prefix of '" + key + "'" + where);
      }
    }
  }

  /** Every key checked before anything is copied: a half-converted bucket helps no one. */
  private static void requireAllPlain(List<ObjectInfo> objects, FileSystemObjectStore to) {
    Set<String> keys = new HashSet<>();
    objects.forEach(o -> keys.add(o.key()));
    List<String> problems = new ArrayList<>();
    KeyPaths plain = new KeyPaths.Plain(java.nio.file.Path.of("/"));
    for (String key : keys) {
      try {
        plain.path(key);
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
        continue;
      }
      for (int i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
        if (keys.contains(key.substring(0, i))) {
          problems.add("key '" + key.substring(0, i) + "' is also a prefix of '" + key + "'");
        }
      }
    }
    if (!problems.isEmpty()) {
      problems.sort(null);
      throw new ObjectStoreException(ErrorKind.KEY_CONFLICT, "copyToPlainLayout", null, problems.size()
          + " key(s) cannot be held in the plain layout of " + to.describe() + ", nothing copied: "
          + String.join("; ", problems.subList(0, Math.min(NAMED_PROBLEMS, problems.size())))
          + ". Rename or remove them in the source first (or keep using it as it is: the legacy layout still works)",
          null);
    }
  }
}
