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
    requireFreshTarget(objects, from, to);
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
   * The target must be a fresh root, or one that an interrupted run of this copy left (holding only keys of
   * the source), so that a rerun finishes: a key of its own could clash with one of the source's (a key and
   * a prefix) half-way through the copy, which would leave it half done.
   */
  private static void requireFreshTarget(List<ObjectInfo> objects, FileSystemObjectStore from,
      FileSystemObjectStore to) {
    Set<String> sourceKeys = new HashSet<>();
    objects.forEach(o -> sourceKeys.add(o.key()));
    List<String> foreign;
    try (Stream<ObjectInfo> all = to.list("")) {
      foreign = all.map(ObjectInfo::key).filter(k -> !sourceKeys.contains(k)).limit(NAMED_PROBLEMS).toList();
    }
    if (!foreign.isEmpty()) {
      throw new ObjectStoreException(ErrorKind.OTHER, "copyToPlainLayout", null, "cannot copy into "
          + to.describe() + ": it is not empty, and holds keys " + from.describe() + " does not have, such as "
          + foreign + "; nothing copied. Copy into an empty directory (a rerun after an interrupted copy is "
          + "fine: the target then holds only keys of the source)", null);
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
