package io.litevault.bucket.fs;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectKeys;
import io.litevault.bucket.ObjectStoreException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * One listing of a file bucket: the objects whose keys start with a prefix, read from the directories under
 * it and sorted as the contract orders keys. Directories removed or replaced while it reads hold no keys;
 * temporary files are not objects; a legacy-layout directory under a plain root is refused rather than
 * listed as empty.
 */
final class Listing {
  private final Path root;
  private final KeyPaths layout;
  private final String describe;

  Listing(Path root, KeyPaths layout, String describe) {
    this.root = root;
    this.layout = layout;
    this.describe = describe;
  }

  /** The objects under {@code dir} (the directory of {@code dirPrefix}) whose keys start with {@code prefix}. */
  List<ObjectInfo> objects(Path dir, String dirPrefix, String prefix) throws IOException {
    return objects(dir, dirPrefix, prefix, null);
  }

  /**
   * As {@link #objects(Path, String, String)}, only keys after {@code startAfter} (null for all): entries
   * whose every key sorts at or before it are skipped unread (no stat, no walk), so a listing after the
   * start of a long run of keys costs the directory read alone.
   */
  List<ObjectInfo> objects(Path dir, String dirPrefix, String prefix, String startAfter) throws IOException {
    List<ObjectInfo> found = new ArrayList<>();
    refuseLegacyOnTheWay(dir, dirPrefix);
    walk(dir, dirPrefix, prefix, startAfter, found);
    found.sort((a, b) -> ObjectKeys.compare(a.key(), b.key()));
    return found;
  }

  private void walk(Path dir, String base, String prefix, String startAfter, List<ObjectInfo> out) throws IOException {
    boolean follow = layout.followsDirectoryLinks();
    if (!Files.isDirectory(dir) || (!follow && !dir.equals(root) && Files.isSymbolicLink(dir))) {
      return; // the root may be a link; in the plain layout a link to a directory is not walked (see attributes)
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        String name = e.getFileName().toString();
        if (startAfter != null && allAtOrBefore(base, name, startAfter)) {
          continue;
        }
        BasicFileAttributes a = attributes(e, follow);
        if (a == null) {
          continue; // deleted while listing, or a link to nothing
        }
        if (a.isDirectory()) {
          String seg = layout.dirSegment(name);
          String sub = seg == null ? null : base + seg + "/";
          if (sub != null && (sub.startsWith(prefix) || prefix.startsWith(sub))) {
            refuseLegacyInPlain(layout, e, sub);
            walk(e, sub, prefix, startAfter, out);
          }
        } else if (a.isRegularFile()) {
          String seg = layout.fileSegment(name);
          if (seg != null && (base + seg).startsWith(prefix)) {
            out.add(FileSystemObjectStore.info(base + seg, a));
          }
        }
      }
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException gone) {
      // Removed (emptied by a delete) or replaced by an object while listing: no keys below it now.
    }
  }

  /**
   * The entries of one directory of the plain layout as a "/" listing: its objects, and as common prefixes
   * its subdirectories below which an object lies ({@link #holdsObject}).
   */
  List<io.litevault.bucket.ListEntry> level(Path dir, String prefix) throws IOException {
    List<io.litevault.bucket.ListEntry> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        String name = e.getFileName().toString();
        BasicFileAttributes a = attributes(e, false);
        if (a == null) {
          continue;
        }
        if (a.isDirectory()) {
          String seg = layout.dirSegment(name);
          if (seg != null) {
            refuseLegacyInPlain(layout, e, prefix + seg + "/"); // as the walk does
            if (holdsObject(e)) {
              out.add(new io.litevault.bucket.CommonPrefix(prefix + seg + "/"));
            }
          }
        } else if (a.isRegularFile()) {
          String seg = layout.fileSegment(name);
          if (seg != null) {
            out.add(FileSystemObjectStore.info(prefix + seg, a));
          }
        }
      }
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException gone) {
      // removed while listing: nothing below it now
    }
    return out;
  }

  /**
   * Whether an object lies anywhere below {@code dir} (S3 shows a prefix only then): depth first, stopping at
   * the first; directories left empty and temporary files of puts hold none.
   */
  private boolean holdsObject(Path dir) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        String name = e.getFileName().toString();
        BasicFileAttributes a = attributes(e, false);
        if (a == null) {
          continue;
        }
        if (a.isRegularFile() && layout.fileSegment(name) != null) {
          return true;
        }
        if (a.isDirectory() && layout.dirSegment(name) != null && holdsObject(e)) {
          return true;
        }
      }
    } catch (IOException e) {
      return false; // gone meanwhile: nothing below it now
    }
    return false;
  }

  /**
   * Whether every key entry {@code name} of the directory of {@code base} can hold, as an object or as a
   * directory, sorts at or before {@code startAfter}. Keys under a directory all start with {@code d/}: when
   * that sorts before {@code startAfter} and is not its prefix, they differ from it at an earlier, smaller
   * character.
   */
  private boolean allAtOrBefore(String base, String name, String startAfter) {
    String f = layout.fileSegment(name);
    String d = layout.dirSegment(name);
    boolean file = f == null || ObjectKeys.compare(base + f, startAfter) <= 0;
    String dir = d == null ? null : base + d + "/";
    return file && (dir == null || (ObjectKeys.compare(dir, startAfter) <= 0 && !startAfter.startsWith(dir)));
  }

  /**
   * An entry's attributes: a symbolic link to a file is an object (its target's attributes); a link to a
   * directory is not walked in the plain layout (it could loop, or lead out of the root) and is walked in the
   * legacy one (as the versions that wrote it did); null if gone or a link to nothing.
   */
  private static BasicFileAttributes attributes(Path e, boolean followDirectoryLinks) throws IOException {
    try {
      if (followDirectoryLinks) {
        return Files.readAttributes(e, BasicFileAttributes.class); // the legacy layout, as its versions read it
      }
      BasicFileAttributes a = Files.readAttributes(e, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isSymbolicLink()) {
        return a;
      }
      BasicFileAttributes target = Files.readAttributes(e, BasicFileAttributes.class);
      return target.isRegularFile() ? target : null;
    } catch (NoSuchFileException gone) {
      return null;
    } catch (java.nio.file.FileSystemException x) {
      // ENOTDIR: the directory being listed was replaced by an object meanwhile (as NotDirectoryException
      // on the directory itself, caught by walk): no keys below it now (FsConcurrencyReviewTest, seen in CI).
      if (!Files.isDirectory(e.getParent(), LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      throw x;
    }
  }

  /**
   * When a plain listing's directory is missing, a legacy copy of it ({@code <segment>%d}) may sit where it
   * would be, under a plain root: refused rather than listed as empty. A few stats, on a missing prefix only.
   */
  void refuseLegacyOnTheWay(Path dir, String dirPrefix) {
    if (layout.keysMayBePrefixes() || Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path d = root;
    String sub = "";
    for (String seg : dirPrefix.split("/")) {
      if (seg.isEmpty()) {
        return;
      }
      sub += seg + "/";
      refuseLegacyInPlain(layout, d.resolve(seg + KeyPaths.LEGACY_DIR_SUFFIX), sub);
      d = d.resolve(seg);
      if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
    }
  }

  /** A legacy-layout directory below a plain root: refused loudly, as listing nothing there would be wrong. */
  private void refuseLegacyInPlain(KeyPaths layout, Path dir, String sub) {
    if (!layout.keysMayBePrefixes() && KeyPaths.isLegacyDirectoryName(dir.getFileName().toString())
        && Files.isDirectory(dir)) {
      throw new ObjectStoreException(ErrorKind.OTHER, "list", sub, describe + " is in the plain layout, but its "
          + "directory '" + root.relativize(dir) + "' is in the legacy one (directories named '<name>%d'): "
          + "open a FileSystemObjectStore on the directory that holds it, which reads the legacy layout, or "
          + "convert it with FileSystemObjectStore.copyToPlainLayout", null);
    }
  }
}
