package io.litevault.bucket.fs;

import io.litevault.bucket.BatchDeleteException;
import io.litevault.bucket.CommonPrefix;
import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectKeys;
import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.ObjectStoreMetrics;
import io.litevault.bucket.RequestRecorder;
import io.litevault.bucket.Operation;
import io.litevault.bucket.PutResult;
import io.litevault.bucket.StoreUnavailableException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An {@link ObjectStore} on a local directory, for single-machine setups and tests.
 *
 * <p>Key {@code a/b/c} is the file {@code <root>/a/b/c}, so the directory looks like the bucket: a copy of
 * it by any S3 tool ({@code aws s3 sync}, {@code rclone}) is a restorable bucket. A key with an empty,
 * {@code .} or {@code ..} segment (so any absolute key or {@code ..}), a segment ending in {@code %d} or
 * holding {@code %tmp-} is refused with {@link IllegalArgumentException}. A path is a file or a directory,
 * so a key that is also a prefix of other keys ({@code a} and {@code a/b}) cannot be held: the second one
 * is refused with {@link ErrorKind#KEY_CONFLICT} (MinIO refuses it too). A root written before plain paths
 * (directories named {@code <segment>%d}) is detected once, from the root's entries, and read and written
 * in that legacy layout as before; {@link #copyToPlainLayout} converts a copy of it. Writes go
 * to a temporary file in the target directory, are fsynced (unless disabled) and renamed into place
 * atomically, so a reader sees the old object or the new one, never a part; with fsync on (the default),
 * the directory is fsynced after the rename, and so is the parent of every directory the store creates,
 * so a put that returned survives a power loss. {@link #putIfAbsent} links the
 * temporary file to the key ({@code link(2)} fails if the key exists), so exactly one of many concurrent
 * callers wins. The entity tag is derived from the file's identity, size and modification time.
 *
 * <p>Local I/O is not retried (a failing disk does not get better in 100 ms) and fails with an
 * {@link ObjectStoreException} of kind {@link ErrorKind#OTHER}. Only a put's own steps are repeated, a bounded
 * number of times, when a concurrent delete or put removed its directory or temporary file meanwhile; losing
 * that race every time is {@link ErrorKind#THROTTLED}. Listings read the directories under the
 * prefix and sort the keys, so they cost memory in proportion to the keys listed; they do not descend into
 * symbolic links to directories. A delete removes a symbolic link, never its target, and refuses a key whose
 * directory resolves outside the root. In the plain layout a delete removes the directories it emptied, a
 * failed put the ones it created, and a put of a key that finds a directory holding no object in its place
 * (only directories and temporary files) removes it: a key whose keys below were all deleted can be put
 * again. A key with a segment longer than 255 bytes is refused by a put and not found by the others.
 */
public final class FileSystemObjectStore implements ObjectStore {
  private static final int BUFFER = 64 * 1024;

  /**
   * Attempts at creating directories and a temporary file, or at placing it, when a concurrent delete removes
   * an emptied directory (or a put clearing an empty tree removes the temporary file) meanwhile.
   */
  private static final int RACE_ATTEMPTS = 8;

  private final FileSystemOptions options;
  private final Path root;
  /** The layout, told once from the root's entries (null until the root exists and is read). */
  private volatile KeyPaths paths;
  private final RequestRecorder metrics = new RequestRecorder();
  /**
   * Directories whose entry in their parent this store has made durable; forgotten when the store removes
   * one, or finds one removed by another store or process.
   */
  private final java.util.Set<Path> durableDirectories = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private FileSystemObjectStore(FileSystemOptions options) {
    this.options = Objects.requireNonNull(options, "options");
    this.root = options.root();
  }

  /** A store on {@code options.root()}. The directory must exist ({@link #verify()} checks). */
  public static FileSystemObjectStore create(FileSystemOptions options) {
    return new FileSystemObjectStore(options);
  }

  /** A store on {@code root} with default options. */
  public static FileSystemObjectStore create(Path root) {
    return create(FileSystemOptions.builder(root).build());
  }

  @Override
  public PutResult put(String key, InputStream body, long length) {
    Path target = paths().path(key);
    Objects.requireNonNull(body, "body");
    if (length < UNKNOWN_LENGTH) {
      throw new IllegalArgumentException("length must be >= 0 or UNKNOWN_LENGTH, was " + length);
    }
    metrics.request(Operation.PUT, false);
    try (Staged staged = stage(target, body, length)) {
      place(staged, target, this::moveIntoPlace);
      BasicFileAttributes a = Files.readAttributes(target, BasicFileAttributes.class);
      metrics.sent(Operation.PUT, a.size());
      return new PutResult(key, a.size(), etag(a), 1);
    } catch (IOException e) {
      metrics.error(Operation.PUT);
      throw afterFailedPut(target, conflictOr("put", key, target, e));
    } catch (RuntimeException e) {
      metrics.error(Operation.PUT);
      throw afterFailedPut(target, e);
    }
  }

  @Override
  public boolean putIfAbsent(String key, byte[] body) {
    Path target = paths().path(key);
    metrics.request(Operation.PUT, false);
    metrics.sent(Operation.PUT, body.length);
    try {
      refuseLegacyTwin("putIfAbsent", key);
    } catch (ObjectStoreException e) {
      metrics.error(Operation.PUT);
      throw e;
    }
    try (Staged staged = stage(target, new java.io.ByteArrayInputStream(body), body.length)) {
      return place(staged, target, this::linkIntoPlace);
    } catch (IOException e) {
      metrics.error(Operation.PUT);
      throw afterFailedPut(target, conflictOr("putIfAbsent", key, target, e));
    } catch (RuntimeException e) {
      metrics.error(Operation.PUT);
      throw afterFailedPut(target, e);
    }
  }

  /**
   * In the plain layout, refuses a create-only put whose first directory exists in the legacy layout too
   * ({@code app%d} beside the key {@code app/lease/1}): an older Litevault version started writing into this
   * root after this store told its layout, and both would hold the same create-only key (two lease holders).
   * A few stats per create-only put; plain names never end in {@code %d}, so the two cannot be confused.
   */
  private void refuseLegacyTwin(String op, String key) {
    int slash = key.indexOf('/');
    if (paths().keysMayBePrefixes() || slash < 0) {
      return;
    }
    Path twin = root.resolve(key.substring(0, slash) + KeyPaths.LEGACY_DIR_SUFFIX);
    if (Files.isDirectory(twin)) {
      throw Layouts.mixed(describe(), "[" + twin.getFileName() + "]",
          "this store's plain keys (refusing to create '" + key + "' beside it)", op);
    }
  }

  /** How a staged body is put in place: a rename over the key, or a create-only link. */
  @FunctionalInterface
  private interface Placement<T> {
    T place(Path tmp, Path target) throws IOException;
  }

  /**
   * Places a staged body at {@code target}. In the plain layout another store's delete may prune the
   * directory, or a put clearing an empty tree may remove the temporary file, between the body's write and
   * the rename or link: both then fail with {@code ENOENT} and nothing was placed, so the body is written
   * again (from the still-open, possibly unlinked, temporary file) and placed again, a bounded number of times.
   */
  private <T> T place(Staged staged, Path target, Placement<T> how) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return how.place(staged.path, target);
      } catch (NoSuchFileException e) {
        forgetDirectories(staged.dir);
        if (attempt == RACE_ATTEMPTS) {
          throw new RaceLostException(target, e);
        }
        staged.restage();
      }
    }
  }

  /** After a failed put: removes the directories it created and left empty (plain layout), so they block no key. */
  private <E extends RuntimeException> E afterFailedPut(Path target, E failure) {
    pruneEmptyDirectories(target.getParent());
    return failure;
  }

  /** Renames {@code tmp} over {@code target} atomically (replacing an object, never a directory). */
  private Void moveIntoPlace(Path tmp, Path target) throws IOException {
    clearEmptyTree(target);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDir(target.getParent());
    return null;
  }

  /** Links {@code tmp} to {@code target}, which {@code link(2)} refuses if anything is there: create-only. */
  private boolean linkIntoPlace(Path tmp, Path target) throws IOException {
    clearEmptyTree(target);
    try {
      Files.createLink(target, tmp);
    } catch (FileAlreadyExistsException e) {
      if (Files.isDirectory(target)) {
        throw e; // other keys below it, not an object: a conflict, never "another writer won"
      }
      return false;
    }
    syncDir(target.getParent());
    return true;
  }

  /**
   * In the plain layout, removes a tree of directories holding no object where an object is to go: deletes
   * of every key below it, a delete or put killed half-way, or a refused put can leave empty directories and
   * temporary files, and they must not block the key. Nothing is touched if the tree holds an object (a file
   * or link that is not a temporary file): the move or link that follows then fails as a conflict. A
   * temporary file removed here may belong to a put in progress; that put writes it again ({@link #place}).
   * {@code rmdir} fails on a directory that is not empty and never follows a link, so an object a concurrent
   * put links in meanwhile stops the removal, and that put wins.
   */
  private void clearEmptyTree(Path target) {
    if (paths().keysMayBePrefixes() || !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      if (holdsNoObject(target)) {
        removeTree(target);
      }
    } catch (IOException e) {
      // An object arrived, or the tree changed under us: the move or link that follows tells.
    }
  }

  /** Whether the tree at {@code dir} holds only directories and temporary files (links are not followed). */
  private static boolean holdsNoObject(Path dir) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(e, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
          continue;
        }
        if (a.isDirectory() ? !holdsNoObject(e) : !isTempFile(e, a)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Removes such a tree, deepest first; stops (throws) at anything that is not a directory or temporary file. */
  private void removeTree(Path dir) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        BasicFileAttributes a = Files.readAttributes(e, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isDirectory()) {
          removeTree(e);
        } else if (isTempFile(e, a)) {
          Files.deleteIfExists(e);
        } else {
          throw new java.nio.file.DirectoryNotEmptyException(dir.toString());
        }
      }
    }
    Files.delete(dir);
    durableDirectories.remove(dir);
  }

  private static boolean isTempFile(Path p, BasicFileAttributes a) {
    return a.isRegularFile() && p.getFileName().toString().startsWith(KeyPaths.TMP_MARK);
  }

  /**
   * Creates {@code dir} and its missing parents. With fsync on, each directory's entry in its parent is
   * made durable (an fsync of the parent) the first time this store writes into it, whoever created it:
   * a put that returned must survive a power loss, and a new directory is only an entry in its parent's
   * not-yet-synced data until then. A concurrent put finding a directory another one just created syncs
   * its parent too, so neither returns before the entry is durable.
   */
  private void createDirectories(Path dir) throws IOException {
    if (!options.fsync()) {
      Files.createDirectories(dir);
      return;
    }
    if (durableDirectories.contains(dir)) {
      return;
    }
    Path parent = dir.getParent();
    if (dir.equals(root) || parent == null || !dir.startsWith(root)) {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        if (parent != null) {
          syncDir(parent);
        }
      }
    } else {
      createDirectories(parent);
      Fsync.createDirectory(dir);
      syncDir(parent);
    }
    durableDirectories.add(dir);
  }

  /** Forgets {@code dir} and its parents as made durable: a delete here or in another process removed it. */
  private void forgetDirectories(Path dir) {
    for (Path d = dir; d != null && d.startsWith(root); d = d.getParent()) {
      durableDirectories.remove(d);
    }
  }

  /**
   * Creates {@code dir} and a new temporary file in it, open for reading and writing. In the plain layout a
   * delete removes the directories it empties, so one may vanish between two {@code mkdir}s or before the
   * file's creation, both failing with {@code ENOENT}: then all again, a bounded number of times. A
   * temporary file keeps its directory from being pruned until it is renamed or deleted.
   */
  private Staged.Temp createTemp(Path dir) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        createDirectories(dir);
        Path tmp = KeyPaths.tempFile(dir);
        return new Staged.Temp(tmp, FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE));
      } catch (NoSuchFileException | FileAlreadyExistsException e) {
        if (e instanceof FileAlreadyExistsException && !notAFileInTheWay(e)) {
          throw e; // an object where a directory must go: a conflict
        }
        forgetDirectories(dir);
        if (attempt == RACE_ATTEMPTS) {
          throw new RaceLostException(dir, e);
        }
      }
    }
  }

  /**
   * Whether the path an "already exists" error names is, by now, gone or a directory: {@code mkdir} found a
   * directory there, then a concurrent prune removed it (and maybe a concurrent put made it again) around the
   * check that it is a directory ({@code Files.createDirectories} and {@link Fsync#createDirectory} both
   * check after {@code EEXIST}): a race, not an object in the way.
   */
  private static boolean notAFileInTheWay(FileSystemException e) {
    if (e.getFile() == null) {
      return false;
    }
    Path p = Path.of(e.getFile());
    return !Files.exists(p, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
  }

  /** Writes {@code body} to a new temporary file beside {@code target}; refuses a body of the wrong length. */
  private Staged stage(Path target, InputStream body, long length) throws IOException {
    Staged staged = new Staged(target.getParent(), createTemp(target.getParent()));
    try {
      long copied = copy(body, Channels.newOutputStream(staged.channel), length);
      if (length >= 0 && copied != length) {
        throw new IllegalArgumentException("body ended after " + copied + " bytes, " + length + " declared");
      }
      staged.force();
      return staged;
    } catch (IOException | RuntimeException e) {
      staged.close();
      throw e;
    }
  }

  /**
   * A body in a temporary file, held open until it is in place: if another store removes the file (clearing an
   * empty tree) or its directory (pruning) meanwhile, the open channel still holds the bytes, so
   * {@link #restage} writes them to a new temporary file and nothing is lost.
   */
  private final class Staged implements java.io.Closeable {
    final Path dir;
    Path path;
    FileChannel channel;

    record Temp(Path path, FileChannel channel) {}

    Staged(Path dir, Temp temp) {
      this.dir = dir;
      this.path = temp.path();
      this.channel = temp.channel();
    }

    void force() throws IOException {
      if (options.fsync()) {
        channel.force(true);
      }
    }

    /** Copies the body into a new temporary file (recreating the directory), and drops the old one. */
    void restage() throws IOException {
      Temp fresh = createTemp(dir);
      try {
        long size = channel.size();
        for (long done = 0; done < size; ) {
          long n = fresh.channel().transferFrom(channel.position(done), done, size - done);
          if (n <= 0) {
            throw new IOException("rewriting the body to a new temporary file stopped at " + done + " of "
                + size + " bytes");
          }
          done += n;
        }
      } catch (IOException | RuntimeException e) {
        fresh.channel().close();
        deleteQuietly(fresh.path());
        throw e;
      }
      close();
      path = fresh.path();
      channel = fresh.channel();
      force();
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Only read from or written to; the file is deleted next.
      }
      deleteQuietly(path);
    }
  }

  /**
   * A put lost {@value #RACE_ATTEMPTS} races in a row with deletes removing its directory: transient, so
   * {@link ErrorKind#THROTTLED} (retryable), never a conflict.
   */
  private static final class RaceLostException extends IOException {
    RaceLostException(Path where, FileSystemException last) {
      super(where + " was removed by concurrent deletes " + RACE_ATTEMPTS + " times in a row", last);
    }
  }

  private static long copy(InputStream in, OutputStream out, long limit) throws IOException {
    byte[] buf = new byte[BUFFER];
    long total = 0;
    while (limit < 0 || total < limit) {
      int want = limit < 0 ? buf.length : (int) Math.min(buf.length, limit - total);
      int n;
      try {
        n = in.read(buf, 0, want);
      } catch (IOException e) {
        throw new UncheckedIOException("reading the body to store failed after " + total + " bytes", e);
      }
      if (n < 0) {
        break;
      }
      out.write(buf, 0, n);
      total += n;
    }
    return total;
  }

  private void syncDir(Path dir) {
    if (!options.fsync()) {
      return;
    }
    Fsync.directory(dir);
  }

  @Override
  public InputStream get(String key) {
    return open(key, 0, Long.MAX_VALUE);
  }

  @Override
  public InputStream get(String key, long offset, long length) {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("offset and length must be >= 0, were " + offset + ", " + length);
    }
    return open(key, offset, length);
  }

  private InputStream open(String key, long offset, long length) {
    Optional<Path> path = readablePath(key);
    metrics.request(Operation.GET, false);
    try {
      Path p = path.orElseThrow(() -> new ObjectNotFoundException("get", key, describe(), null));
      FileChannel ch = openObject("get", key, p);
      ch.position(Math.min(offset, ch.size()));
      return new CountingStream(Channels.newInputStream(ch), length);
    } catch (ObjectStoreException e) {
      metrics.error(Operation.GET);
      throw e;
    } catch (IOException e) {
      metrics.error(Operation.GET);
      throw failure("get", key, e);
    }
  }

  /**
   * The file of a key to read or delete, or empty for a key with a segment too long for a file name: no
   * object can have it, so get, stat, copy and delete answer as for a missing key (a put is refused).
   */
  private Optional<Path> readablePath(String key) {
    try {
      return Optional.of(paths().path(key));
    } catch (KeyPaths.NameTooLongException e) {
      return Optional.empty();
    }
  }

  /**
   * Opens the object at {@code p} for reading ({@code null}: a key no file can be named after). Missing, a directory (only a prefix of other keys; Linux
   * would open it) or below an object ({@code ENOTDIR}): {@link ObjectNotFoundException}.
   */
  private FileChannel openObject(String op, String key, Path p) throws IOException {
    if (p == null) {
      throw new ObjectNotFoundException(op, key, describe(), null); // see readablePath
    }
    try {
      if (!Files.readAttributes(p, BasicFileAttributes.class).isRegularFile()) {
        throw new ObjectNotFoundException(op, key, describe(), null);
      }
      return FileChannel.open(p, StandardOpenOption.READ);
    } catch (IOException e) {
      if (PathChecks.meansMissing(root, p, e)) {
        throw new ObjectNotFoundException(op, key, describe(), e);
      }
      throw e;
    }
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    Optional<Path> path = readablePath(key);
    metrics.request(Operation.HEAD, false);
    if (path.isEmpty()) {
      return Optional.empty();
    }
    Path p = path.get();
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      return a.isRegularFile() ? Optional.of(info(key, a)) : Optional.empty();
    } catch (IOException e) {
      if (PathChecks.meansMissing(root, p, e)) {
        return Optional.empty(); // missing, or below an object (ENOTDIR)
      }
      metrics.error(Operation.HEAD);
      throw failure("stat", key, e);
    }
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) {
    ObjectKeys.requireValidPrefix(prefix);
    metrics.request(Operation.LIST, false);
    int slash = prefix.lastIndexOf('/');
    String dirPrefix = prefix.substring(0, slash + 1);
    List<ObjectInfo> found = new ArrayList<>();
    Path dir;
    try {
      dir = paths().dir(dirPrefix);
    } catch (IllegalArgumentException e) {
      return Stream.empty(); // a prefix no valid key of this store can start with
    }
    try {
      refuseLegacyOnTheWay(dir, dirPrefix);
      walk(dir, dirPrefix, prefix, found);
    } catch (ObjectStoreException e) {
      metrics.error(Operation.LIST);
      throw e;
    } catch (IOException e) {
      metrics.error(Operation.LIST);
      throw failure("list", prefix, e);
    }
    found.sort((a, b) -> ObjectKeys.compare(a.key(), b.key()));
    return found.stream();
  }

  private void walk(Path dir, String base, String prefix, List<ObjectInfo> out) throws IOException {
    KeyPaths layout = paths();
    boolean follow = layout.followsDirectoryLinks();
    if (!Files.isDirectory(dir) || (!follow && !dir.equals(root) && Files.isSymbolicLink(dir))) {
      return; // the root may be a link; in the plain layout a link to a directory is not walked (see attributes)
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        String name = e.getFileName().toString();
        BasicFileAttributes a = attributes(e, follow);
        if (a == null) {
          continue; // deleted while listing, or a link to nothing
        }
        if (a.isDirectory()) {
          String seg = layout.dirSegment(name);
          String sub = seg == null ? null : base + seg + "/";
          if (sub != null && (sub.startsWith(prefix) || prefix.startsWith(sub))) {
            refuseLegacyInPlain(layout, e, sub);
            walk(e, sub, prefix, out);
          }
        } else if (a.isRegularFile()) {
          String seg = layout.fileSegment(name);
          if (seg != null && (base + seg).startsWith(prefix)) {
            out.add(info(base + seg, a));
          }
        }
      }
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException gone) {
      // Removed (emptied by a delete) or replaced by an object while listing: no keys below it now.
    }
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
    }
  }

  /**
   * When a plain listing's directory is missing, a legacy copy of it ({@code <segment>%d}) may sit where it
   * would be, under a plain root: refused rather than listed as empty. A few stats, on a missing prefix only.
   */
  private void refuseLegacyOnTheWay(Path dir, String dirPrefix) {
    if (paths().keysMayBePrefixes() || Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path d = root;
    String sub = "";
    for (String seg : dirPrefix.split("/")) {
      if (seg.isEmpty()) {
        return;
      }
      sub += seg + "/";
      refuseLegacyInPlain(paths(), d.resolve(seg + KeyPaths.LEGACY_DIR_SUFFIX), sub);
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
      throw new ObjectStoreException(ErrorKind.OTHER, "list", sub, describe() + " is in the plain layout, but its "
          + "directory '" + root.relativize(dir) + "' is in the legacy one (directories named '<name>%d'): "
          + "open a FileSystemObjectStore on the directory that holds it, which reads the legacy layout, or "
          + "convert it with FileSystemObjectStore.copyToPlainLayout", null);
    }
  }

  @Override
  public Stream<ListEntry> list(String prefix, String delimiter) {
    ObjectKeys.requireValidDelimiter(delimiter);
    Map<String, ListEntry> entries = new LinkedHashMap<>();
    try (Stream<ObjectInfo> all = list(prefix)) {
      all.forEach(o -> {
        int i = o.key().indexOf(delimiter, prefix.length());
        if (i < 0) {
          entries.put(o.key(), o);
        } else {
          String p = o.key().substring(0, i + delimiter.length());
          entries.putIfAbsent(p, new CommonPrefix(p));
        }
      });
    }
    List<ListEntry> sorted = new ArrayList<>(entries.values());
    sorted.sort((a, b) -> ObjectKeys.compare(a.key(), b.key()));
    return sorted.stream();
  }

  @Override
  public void delete(String key) {
    Optional<Path> path = readablePath(key);
    metrics.request(Operation.DELETE, false);
    if (path.isEmpty()) {
      return; // a key no file can be named after: nothing to delete
    }
    Path p = path.get();
    try {
      deleteObject(key, p);
    } catch (IOException e) {
      metrics.error(Operation.DELETE);
      throw failure("delete", key, e);
    } catch (ObjectStoreException e) {
      metrics.error(Operation.DELETE);
      throw e;
    }
  }

  /**
   * Deletes the object at {@code p}: a file, or a symbolic link (the link, never its target). A directory
   * is a prefix, not an object, and stays; so does everything when the key's directory resolves outside
   * the root through a link. Missing, or below an object: nothing to do (idempotent).
   */
  private void deleteObject(String key, Path p) throws IOException {
    BasicFileAttributes a;
    try {
      if (!paths().followsDirectoryLinks()) {
        requireInsideRoot(key, p.getParent()); // legacy: deletes go through links, as its versions did
      }
      a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      if (PathChecks.meansMissing(root, p, e)) {
        return;
      }
      throw e;
    }
    if (a.isDirectory()) {
      return;
    }
    Files.deleteIfExists(p);
    pruneEmptyDirectories(p.getParent());
  }

  /** Refuses to delete through a symbolic link that leads out of the root. */
  private void requireInsideRoot(String key, Path dir) throws IOException {
    Path real = dir.toRealPath();
    if (!real.startsWith(root.toRealPath())) {
      throw new ObjectStoreException(ErrorKind.OTHER, "delete", key, "delete " + key + " on " + describe()
          + " refused: its directory resolves to " + real + ", outside the bucket, through a symbolic link; "
          + "remove the link, or delete the file by hand if that is what you want", null);
    }
  }

  /**
   * In the plain layout, removes the directories a delete emptied, up to the root, so that a key whose
   * keys below were all deleted can be put again and a user browsing sees no husks. Never an older
   * version's legacy bucket: a process of that version, without retries, may be writing into them.
   */
  private void pruneEmptyDirectories(Path dir) {
    if (paths().keysMayBePrefixes()) {
      return;
    }
    for (Path d = dir; d.startsWith(root) && !d.equals(root); d = d.getParent()) {
      if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      try {
        Files.delete(d); // rmdir: fails unless empty, so a concurrent put's temporary file keeps it
        durableDirectories.remove(d);
      } catch (IOException notEmpty) {
        return;
      }
    }
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    KeyPaths layout = paths();
    List<Path> paths = keys.stream().map(layout::path).toList();
    Map<String, String> failures = new LinkedHashMap<>();
    int i = 0;
    for (String key : keys) {
      if (i % 1000 == 0) {
        metrics.request(Operation.DELETE_BATCH, false);
      }
      try {
        deleteObject(key, paths.get(i));
      } catch (IOException | ObjectStoreException e) {
        failures.put(key, e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      i++;
    }
    if (!failures.isEmpty()) {
      metrics.error(Operation.DELETE_BATCH);
      throw new BatchDeleteException(describe(), failures);
    }
  }

  @Override
  public void copy(String sourceKey, String targetKey) {
    KeyPaths layout = paths();
    Optional<Path> sourcePath = readablePath(sourceKey);
    Path target = layout.path(targetKey);
    metrics.request(Operation.COPY, false);
    try (InputStream in = Channels.newInputStream(openObject("copy", sourceKey, sourcePath.orElse(null)));
        Staged staged = stage(target, in, UNKNOWN_LENGTH)) {
      place(staged, target, this::moveIntoPlace);
    } catch (ObjectStoreException e) {
      metrics.error(Operation.COPY);
      throw e;
    } catch (IOException e) {
      metrics.error(Operation.COPY);
      ObjectStoreException conflict = conflictOr("copy", targetKey, target, e);
      throw afterFailedPut(target, conflict.kind() == ErrorKind.KEY_CONFLICT ? conflict : failure("copy", sourceKey, e));
    }
  }

  @Override
  public void verify() {
    metrics.request(Operation.HEAD_BUCKET, false);
    if (!Files.isDirectory(root)) {
      metrics.error(Operation.HEAD_BUCKET);
      throw new StoreUnavailableException(ErrorKind.NO_SUCH_BUCKET, "verify",
          "cannot use " + describe() + ": the directory does not exist", null);
    }
    if (!Files.isWritable(root)) {
      metrics.error(Operation.HEAD_BUCKET);
      throw new StoreUnavailableException(ErrorKind.ACCESS_DENIED, "verify",
          "cannot use " + describe() + ": the directory is not writable", null);
    }
    paths(); // a root mixing both layouts is refused at startup
  }

  /**
   * The store's layout, told once from the root ({@link Layouts}). A root that does not exist yet is plain,
   * and told again once it does: a put creates it, or someone may copy a bucket there first.
   */
  private KeyPaths paths() {
    KeyPaths p = paths;
    if (p != null) {
      return p;
    }
    if (!Files.isDirectory(root)) {
      return new KeyPaths.Plain(root);
    }
    synchronized (this) {
      if (paths == null) {
        paths = Layouts.detect(root, describe());
      }
      return paths;
    }
  }

  /** Whether this store reads and writes the legacy layout ({@code <segment>%d} directories). */
  public boolean isLegacyLayout() {
    return paths() instanceof KeyPaths.Legacy;
  }

  /**
   * Copies every object of the file bucket at {@code from} (either layout) into the plain-layout bucket at
   * {@code to}, which must not be in the legacy layout. Checks first that every key can be held in the plain
   * layout (no segment ending in {@code %d} or holding {@code %tmp-}, no key that is a prefix of another,
   * in the source or against the keys {@code to} already holds) and copies nothing if one cannot. {@code from} is only read, and each object is written atomically, so a
   * crash at any point leaves both readable and running it again finishes the copy. Run it with no process
   * writing to either, then point the replicators at {@code to}.
   *
   * @return how many objects were copied
   */
  public static long copyToPlainLayout(Path from, Path to) {
    return LayoutConversion.copy(create(from), create(to));
  }

  @Override
  public ObjectStoreMetrics metrics() {
    return metrics.view();
  }

  @Override
  public String describe() {
    return "file " + root;
  }

  @Override
  public void close() {
    // Nothing held between calls.
  }

  @Override
  public String toString() {
    return "FileSystemObjectStore[" + root + "]";
  }

  private static ObjectInfo info(String key, BasicFileAttributes a) {
    return new ObjectInfo(key, a.size(), etag(a), a.lastModifiedTime().toInstant());
  }

  private static String etag(BasicFileAttributes a) {
    Object id = a.fileKey();
    long t = a.lastModifiedTime().toMillis();
    return Long.toHexString(a.size()) + "-" + Long.toHexString(t) + "-" + Integer.toHexString(Objects.hashCode(id));
  }

  /** The {@link ErrorKind#KEY_CONFLICT} error if a key-and-prefix clash is why {@code e} happened. */
  private ObjectStoreException conflictOr(String op, String key, Path target, IOException e) {
    String why = paths().keysMayBePrefixes() ? null : PathChecks.conflict(root, key, target);
    if (why == null) {
      return failure(op, key, e);
    }
    return new ObjectStoreException(ErrorKind.KEY_CONFLICT, op, key, "cannot store '" + key + "' in " + describe()
        + ": " + why + ". A file bucket cannot hold a key that is also a prefix of other keys (S3 can, MinIO "
        + "cannot); choose names where no key is a prefix of another", e);
  }

  private ObjectStoreException failure(String op, String key, IOException e) {
    if (e instanceof RaceLostException) {
      return new ObjectStoreException(ErrorKind.THROTTLED, op, key, op + " " + key + " on " + describe()
          + " lost to concurrent deletes: " + e.getMessage() + "; try again", e);
    }
    return new ObjectStoreException(ErrorKind.OTHER, op, key,
        op + " " + key + " on " + describe() + " failed: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // A stray temp file is skipped by listings; nothing else to do.
      }
    }
  }

  /** Counts bytes read into the metrics and stops after {@code limit} bytes. */
  private final class CountingStream extends FilterInputStream {
    private long left;

    CountingStream(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        left--;
        metrics.received(Operation.GET, 1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
        metrics.received(Operation.GET, n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = super.skip(Math.min(n, left));
      left -= s;
      return s;
    }
  }
}
