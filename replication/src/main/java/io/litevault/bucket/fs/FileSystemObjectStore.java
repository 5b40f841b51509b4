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
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
  private final FileSystemOptions options;
  private final Path root;
  /** The layout, told once from the root's entries (null until the root exists and is read). */
  private volatile KeyPaths paths;
  private final RequestRecorder metrics = new RequestRecorder();
  private final Directories dirs;
  private final Staging staging;

  private FileSystemObjectStore(FileSystemOptions options) {
    this.options = Objects.requireNonNull(options, "options");
    this.root = options.root();
    this.dirs = new Directories(root, options.fsync());
    this.staging = new Staging(dirs, options.fsync());
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
    try (Staging.Staged staged = staging.stage(target, body, length)) {
      BasicFileAttributes a = staging.place(staged, target, this::moveIntoPlace);
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
    try (Staging.Staged staged = staging.stage(target, new java.io.ByteArrayInputStream(body), body.length)) {
      return staging.place(staged, target, this::linkIntoPlace);
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

  /** After a failed put: removes the directories it created and left empty (plain layout), so they block no key. */
  private <E extends RuntimeException> E afterFailedPut(Path target, E failure) {
    pruneEmptyDirectories(target.getParent());
    return failure;
  }

  /**
   * In the plain layout, removes the directories a delete or a failed put emptied (see
   * {@link Directories#pruneEmpty}). Never an older version's legacy bucket: a process of that version,
   * without retries, may be writing into them.
   */
  private void pruneEmptyDirectories(Path dir) {
    if (!paths().keysMayBePrefixes()) {
      dirs.pruneEmpty(dir);
    }
  }

  /** In the plain layout, removes a tree holding no object where an object is to go (see {@link Directories}). */
  private void clearEmptyTree(Path target) {
    if (!paths().keysMayBePrefixes()) {
      dirs.clearEmptyTree(target);
    }
  }

  /**
   * Renames {@code tmp} over {@code target} atomically (replacing an object, never a directory); returns the
   * placed object's attributes, read from {@code tmp} just before: the same inode, size and modification time
   * after the rename, and never another writer's object that may replace the key the moment after.
   */
  private BasicFileAttributes moveIntoPlace(Path tmp, Path target) throws IOException {
    clearEmptyTree(target);
    BasicFileAttributes placed = Files.readAttributes(tmp, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (java.nio.file.FileSystemException e) {
      if (!(e instanceof java.nio.file.NoSuchFileException) && Files.isDirectory(target)) {
        throw new PrefixInTheWay(target, e); // rename(2) onto a directory: EISDIR or ENOTEMPTY; see linkIntoPlace
      }
      throw e;
    }
    dirs.sync(target.getParent());
    return placed;
  }

  /** A directory (other keys below it) found where an object was to go, at the moment it was found. */
  private static final class PrefixInTheWay extends java.nio.file.FileSystemException {
    PrefixInTheWay(Path target, IOException cause) {
      super(target.toString(), null, "other keys are stored below it");
      initCause(cause);
    }
  }

  /** Links {@code tmp} to {@code target}, which {@code link(2)} refuses if anything is there: create-only. */
  private boolean linkIntoPlace(Path tmp, Path target) throws IOException {
    clearEmptyTree(target);
    try {
      Files.createLink(target, tmp);
    } catch (FileAlreadyExistsException e) {
      if (Files.isDirectory(target)) {
        // Other keys below it, not an object: a conflict, never "another writer won". Classified now: the
        // put below it may fail and prune the directory before anyone looks again (FsRaceReviewTest,
        // CI on dcc5d15: the conflict was reported as OTHER).
        throw new PrefixInTheWay(target, e);
      }
      return false;
    }
    dirs.sync(target.getParent());
    return true;
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
    return listFrom(prefix, null);
  }

  /** Skips, unread, the directory entries whose keys all sort at or before {@code startAfter}. */
  @Override
  public Stream<ObjectInfo> listAfter(String prefix, String startAfter) {
    java.util.Objects.requireNonNull(startAfter, "startAfter");
    return listFrom(prefix, startAfter).filter(o -> ObjectKeys.compare(o.key(), startAfter) > 0);
  }

  private Stream<ObjectInfo> listFrom(String prefix, String startAfter) {
    ObjectKeys.requireValidPrefix(prefix);
    metrics.request(Operation.LIST, false);
    int slash = prefix.lastIndexOf('/');
    String dirPrefix = prefix.substring(0, slash + 1);
    Path dir;
    try {
      dir = paths().dir(dirPrefix);
    } catch (IllegalArgumentException e) {
      return Stream.empty(); // a prefix no valid key of this store can start with
    }
    List<ObjectInfo> found;
    try {
      found = new Listing(root, paths(), describe()).objects(dir, dirPrefix, prefix, startAfter);
    } catch (ObjectStoreException e) {
      metrics.error(Operation.LIST);
      throw e;
    } catch (IOException e) {
      metrics.error(Operation.LIST);
      throw failure("list", prefix, e);
    }
    return found.stream();
  }

  /**
   * A "/" listing of a directory prefix in the plain layout: the directory's entries alone (a directory
   * holding anything is a common prefix), not a walk of everything below it. Null to walk instead.
   */
  private Stream<ListEntry> oneLevel(String prefix) {
    ObjectKeys.requireValidPrefix(prefix);
    Path dir;
    try {
      dir = paths().dir(prefix);
    } catch (IllegalArgumentException e) {
      return null;
    }
    metrics.request(Operation.LIST, false);
    try {
      List<ListEntry> out = new Listing(root, paths(), describe()).level(dir, prefix);
      out.sort((a, b) -> ObjectKeys.compare(a.key(), b.key()));
      return out.stream();
    } catch (IOException e) {
      metrics.error(Operation.LIST);
      throw failure("list", prefix, e);
    }
  }

  @Override
  public Stream<ListEntry> list(String prefix, String delimiter) {
    ObjectKeys.requireValidDelimiter(delimiter);
    if ("/".equals(delimiter) && (prefix.isEmpty() || prefix.endsWith("/")) && !isLegacyLayout()) {
      Stream<ListEntry> level = oneLevel(prefix);
      if (level != null) {
        return level;
      }
    }
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

  @Override
  public void deleteAll(Collection<String> keys) {
    // Every key checked before anything is deleted; a key no file can be named after is missing, as in delete.
    List<Optional<Path>> paths = keys.stream().map(this::readablePath).toList();
    Map<String, String> failures = new LinkedHashMap<>();
    int i = 0;
    for (String key : keys) {
      if (i % 1000 == 0) {
        metrics.request(Operation.DELETE_BATCH, false);
      }
      try {
        if (paths.get(i).isPresent()) {
          deleteObject(key, paths.get(i).get());
        }
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
        Staging.Staged staged = staging.stage(target, in, UNKNOWN_LENGTH)) {
      staging.place(staged, target, this::moveIntoPlace);
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

  static ObjectInfo info(String key, BasicFileAttributes a) {
    return new ObjectInfo(key, a.size(), etag(a), a.lastModifiedTime().toInstant());
  }

  private static String etag(BasicFileAttributes a) {
    Object id = a.fileKey();
    long t = a.lastModifiedTime().toMillis();
    return Long.toHexString(a.size()) + "-" + Long.toHexString(t) + "-" + Integer.toHexString(Objects.hashCode(id));
  }

  /** The {@link ErrorKind#KEY_CONFLICT} error if a key-and-prefix clash is why {@code e} happened. */
  private ObjectStoreException conflictOr(String op, String key, Path target, IOException e) {
    String why = e instanceof PrefixInTheWay ? "other keys start with '" + key + "/'"
        : paths().keysMayBePrefixes() ? null : PathChecks.conflict(root, key, target);
    if (why == null) {
      return failure(op, key, e);
    }
    return new ObjectStoreException(ErrorKind.KEY_CONFLICT, op, key, "cannot store '" + key + "' in " + describe()
        + ": " + why + ". A file bucket cannot hold a key that is also a prefix of other keys (S3 can, MinIO "
        + "cannot); choose names where no key is a prefix of another", e);
  }

  private ObjectStoreException failure(String op, String key, IOException e) {
    if (e instanceof Staging.RaceLostException) {
      return new ObjectStoreException(ErrorKind.THROTTLED, op, key, op + " " + key + " on " + describe()
          + " lost to concurrent deletes: " + e.getMessage() + "; try again", e);
    }
    return new ObjectStoreException(ErrorKind.OTHER, op, key,
        op + " " + key + " on " + describe() + " failed: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
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
