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
import java.nio.file.Files;
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
import java.util.UUID;
import java.util.stream.Stream;

/**
 * An {@link ObjectStore} on a local directory, for single-machine setups and tests.
 *
 * <p>Keys map to paths as {@code KeyPaths} describes: a key with an empty, {@code .} or {@code ..}
 * segment (so any absolute key or {@code ..}) is refused with {@link IllegalArgumentException}. Writes go
 * to a temporary file in the target directory, are fsynced (unless disabled) and renamed into place
 * atomically, so a reader sees the old object or the new one, never a part; with fsync on (the default),
 * the directory is fsynced after the rename, and so is the parent of every directory the store creates,
 * so a put that returned survives a power loss. {@link #putIfAbsent} links the
 * temporary file to the key ({@code link(2)} fails if the key exists), so exactly one of many concurrent
 * callers wins. The entity tag is derived from the file's identity, size and modification time.
 *
 * <p>Local I/O is not retried (a failing disk does not get better in 100 ms) and fails with an
 * {@link ObjectStoreException} of kind {@link ErrorKind#OTHER}. Listings read the directories under the
 * prefix and sort the keys, so they cost memory in proportion to the keys listed. Empty directories left by
 * deletes are not removed (they do not show in listings).
 */
public final class FileSystemObjectStore implements ObjectStore {
  private static final int BUFFER = 64 * 1024;

  private final FileSystemOptions options;
  private final Path root;
  private final RequestRecorder metrics = new RequestRecorder();
  /** Directories whose entry in their parent this store has made durable (never removed by the store). */
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
    Path target = KeyPaths.path(root, key);
    Objects.requireNonNull(body, "body");
    if (length < UNKNOWN_LENGTH) {
      throw new IllegalArgumentException("length must be >= 0 or UNKNOWN_LENGTH, was " + length);
    }
    metrics.request(Operation.PUT, false);
    Path tmp = null;
    try {
      tmp = writeTemp(target, body, length);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDir(target.getParent());
      BasicFileAttributes a = Files.readAttributes(target, BasicFileAttributes.class);
      metrics.sent(Operation.PUT, a.size());
      return new PutResult(key, a.size(), etag(a), 1);
    } catch (IOException e) {
      metrics.error(Operation.PUT);
      throw failure("put", key, e);
    } catch (RuntimeException e) {
      metrics.error(Operation.PUT);
      throw e;
    } finally {
      deleteQuietly(tmp);
    }
  }

  @Override
  public boolean putIfAbsent(String key, byte[] body) {
    Path target = KeyPaths.path(root, key);
    metrics.request(Operation.PUT, false);
    metrics.sent(Operation.PUT, body.length);
    Path tmp = null;
    try {
      tmp = writeTemp(target, new java.io.ByteArrayInputStream(body), body.length);
      Files.createLink(target, tmp);
      syncDir(target.getParent());
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      metrics.error(Operation.PUT);
      throw failure("putIfAbsent", key, e);
    } finally {
      deleteQuietly(tmp);
    }
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

  private Path writeTemp(Path target, InputStream body, long length) throws IOException {
    createDirectories(target.getParent());
    Path tmp = target.resolveSibling(target.getFileName() + KeyPaths.TMP_MARK + UUID.randomUUID());
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        OutputStream out = Channels.newOutputStream(ch)) {
      long copied = copy(body, out, length);
      if (length >= 0 && copied != length) {
        Files.deleteIfExists(tmp);
        throw new IllegalArgumentException("body ended after " + copied + " bytes, " + length + " declared");
      }
      out.flush();
      if (options.fsync()) {
        ch.force(true);
      }
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp);
      throw e;
    }
    return tmp;
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
    Path p = KeyPaths.path(root, key);
    metrics.request(Operation.GET, false);
    try {
      FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
      ch.position(Math.min(offset, ch.size()));
      return new CountingStream(Channels.newInputStream(ch), length);
    } catch (NoSuchFileException e) {
      metrics.error(Operation.GET);
      throw new ObjectNotFoundException("get", key, describe(), e);
    } catch (IOException e) {
      metrics.error(Operation.GET);
      throw failure("get", key, e);
    }
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    Path p = KeyPaths.path(root, key);
    metrics.request(Operation.HEAD, false);
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      return a.isRegularFile() ? Optional.of(info(key, a)) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
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
      dir = KeyPaths.dir(root, dirPrefix);
    } catch (IllegalArgumentException e) {
      return Stream.empty(); // a prefix no valid key of this store can start with
    }
    try {
      walk(dir, dirPrefix, prefix, found);
    } catch (IOException e) {
      metrics.error(Operation.LIST);
      throw failure("list", prefix, e);
    }
    found.sort((a, b) -> ObjectKeys.compare(a.key(), b.key()));
    return found.stream();
  }

  private void walk(Path dir, String base, String prefix, List<ObjectInfo> out) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        String name = e.getFileName().toString();
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(e, BasicFileAttributes.class);
        } catch (NoSuchFileException gone) {
          continue; // deleted while listing
        }
        if (a.isDirectory()) {
          String seg = KeyPaths.decodeDir(name);
          String sub = seg == null ? null : base + seg + "/";
          if (sub != null && (sub.startsWith(prefix) || prefix.startsWith(sub))) {
            walk(e, sub, prefix, out);
          }
        } else if (a.isRegularFile()) {
          String seg = KeyPaths.decodeFile(name);
          if (seg != null && (base + seg).startsWith(prefix)) {
            out.add(info(base + seg, a));
          }
        }
      }
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
    Path p = KeyPaths.path(root, key);
    metrics.request(Operation.DELETE, false);
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      metrics.error(Operation.DELETE);
      throw failure("delete", key, e);
    }
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    List<Path> paths = keys.stream().map(k -> KeyPaths.path(root, k)).toList();
    Map<String, String> failures = new LinkedHashMap<>();
    int i = 0;
    for (String key : keys) {
      if (i % 1000 == 0) {
        metrics.request(Operation.DELETE_BATCH, false);
      }
      try {
        Files.deleteIfExists(paths.get(i));
      } catch (IOException e) {
        failures.put(key, e.getClass().getSimpleName());
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
    Path source = KeyPaths.path(root, sourceKey);
    Path target = KeyPaths.path(root, targetKey);
    metrics.request(Operation.COPY, false);
    try (InputStream in = Files.newInputStream(source)) {
      Path tmp = writeTemp(target, in, UNKNOWN_LENGTH);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDir(target.getParent());
      } finally {
        deleteQuietly(tmp);
      }
    } catch (NoSuchFileException e) {
      metrics.error(Operation.COPY);
      throw new ObjectNotFoundException("copy", sourceKey, describe(), e);
    } catch (IOException e) {
      metrics.error(Operation.COPY);
      throw failure("copy", sourceKey, e);
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

  private ObjectStoreException failure(String op, String key, IOException e) {
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
