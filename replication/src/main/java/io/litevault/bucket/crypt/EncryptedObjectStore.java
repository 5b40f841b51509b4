package io.litevault.bucket.crypt;

import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectKeys;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreMetrics;
import io.litevault.bucket.PutResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An {@link ObjectStore} that encrypts every body it writes and decrypts every body it reads, over any other
 * store: the bucket only ever holds ciphertext (the format is {@code Framing}'s, docs/FORMAT.md "Encrypted
 * objects"). It keeps the whole {@link ObjectStore} contract, with plaintext as the bodies and sizes:
 * <ul>
 *   <li>{@link #put} streams: one 1 MiB segment is encrypted at a time, the stored length is known up front
 *       from the plaintext's, so a large snapshot passes with the same bounded memory as before;
 *   <li>{@link #get(String, long, long)} reads only the segments holding the range (plus the 49-byte header
 *       when the range does not start in the first segment: two requests), so ranged and parallel reads keep
 *       working;
 *   <li>{@link #stat} and {@link #list} report plaintext sizes, computed from the stored size without a
 *       request;
 *   <li>{@link #copy} is a server-side copy when the two keys have the same identity (see below), else a
 *       streamed re-encryption through this process.
 * </ul>
 *
 * <h2>What is authenticated</h2>
 * Every object's ciphertext is bound (as AEAD associated data) to its header (format version, key id) and to
 * its identity: the key's tail from the last path segment {@code lineages} or {@code leases} (the layout of
 * docs/FORMAT.md, the part a backup tier keeps when it copies a database under its own prefix), or the whole
 * key for any other key. An object whose bytes were changed, that was cut off (segment-wise: the last segment
 * is sealed as last), or that was moved or copied to another identity fails to read with an
 * {@link ObjectDecryptionException} naming its key and key id. A backup tier copies the stored bytes as they
 * are, without a key; restoring from the tier decrypts them.
 *
 * <h2>Scopes: one keyset, several databases</h2>
 * The identity is the same for every database (a database's own prefix is not in it, so that a tier of one
 * database's prefix, {@code <tier>/lineages/...}, still decrypts). So when one keyset encrypts several
 * databases, bind each database's objects to its name with {@link #scoped}: objects written through
 * {@code scoped("orders")} authenticate only for a reader scoped {@code "orders"}, wherever they are copied,
 * and an object of another database copied under this one's prefix fails to read (format version 2: the scope
 * is in the associated data, never stored). A scoped store refuses unscoped objects (version 1) too: another
 * database's unscoped object is no more this database's than its scoped one (review 30). To turn a scope on
 * in a bucket that has history, read through {@link #withUnscopedHistory()} until the history from before
 * (the lineage the replicator continued, point-in-time restores before the switch) is no longer needed or
 * retention has dropped it; those objects are protected by their identity only. An unscoped store refuses a
 * scoped object with a message that says it needs its scope.
 *
 * <h2>Keys</h2>
 * The {@link KeyProvider}'s keyset is read once, by {@link #wrap}. New objects use its primary key; each object
 * names its key id in its header, so a rotated keyset (new primary, old keys still enabled) reads every object
 * old and new. Key material is never in a message, a log line or {@link #toString()}.
 */
public final class EncryptedObjectStore implements ObjectStore {
  static {
    try {
      StreamingAeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final ObjectStore inner;
  private final Keyring keys;
  /** The scope's UTF-8 bytes, or null: unscoped. */
  private final byte[] scope;
  /** A scoped store that also reads unscoped (version 1) objects: a bucket with history from before the scope. */
  private final boolean unscopedHistory;

  private EncryptedObjectStore(ObjectStore inner, Keyring keys, byte[] scope, boolean unscopedHistory) {
    this.inner = inner;
    this.keys = keys;
    this.scope = scope;
    this.unscopedHistory = unscopedHistory;
  }

  /**
   * Wraps {@code inner}; closing the result closes it.
   *
   * @throws IllegalStateException the provider cannot produce its keys (message names its source)
   * @throws IllegalArgumentException the keyset holds a key of other parameters than AES256_GCM_HKDF_1MB
   */
  public static EncryptedObjectStore wrap(ObjectStore inner, KeyProvider keys) {
    Objects.requireNonNull(inner, "inner");
    EncryptedObjectStore store = new EncryptedObjectStore(inner, Keyring.of(keys), null, false);
    GcmWarmup.start();
    return store;
  }

  /**
   * This store's keys and bucket, writing and reading only objects bound to {@code scope} (a database's name;
   * see "Scopes" above). Closing either store closes the one underneath.
   *
   * @throws IllegalArgumentException the scope is empty, longer than 255 UTF-8 bytes, has a control character
   *     or a leading or trailing space
   */
  public EncryptedObjectStore scoped(String scope) {
    return new EncryptedObjectStore(inner, keys, Framing.scopeBytes(scope), false);
  }

  /**
   * This scoped store, also reading unscoped (version 1) objects: for a bucket with history from before the
   * scope was set (see "Scopes" above). It still writes only scoped objects.
   *
   * @throws IllegalStateException this store is not scoped (it reads unscoped objects already)
   */
  public EncryptedObjectStore withUnscopedHistory() {
    if (scope == null) {
      throw new IllegalStateException("an unscoped store reads unscoped objects already: scope it first");
    }
    return new EncryptedObjectStore(inner, keys, scope, true);
  }

  /** Whether this scoped store also reads unscoped objects ({@link #withUnscopedHistory()}). */
  public boolean readsUnscopedHistory() {
    return unscopedHistory;
  }

  /**
   * {@code scope} if it can be a key scope ({@link #scoped}), for options that check it before a store exists.
   *
   * @throws IllegalArgumentException it is empty, over 255 UTF-8 bytes, has a control character or a leading
   *     or trailing space
   */
  public static String requireValidScope(String scope) {
    Framing.scopeBytes(scope);
    return scope;
  }

  /** The scope objects are written with, or empty when unscoped. */
  public Optional<String> scope() {
    return Optional.ofNullable(scope).map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8));
  }

  /** The store underneath, which sees the stored (encrypted) bytes. */
  public ObjectStore inner() {
    return inner;
  }

  /** The key id new objects are encrypted with (unsigned). */
  public long primaryKeyId() {
    return Integer.toUnsignedLong(keys.primaryId());
  }

  @Override
  public PutResult put(String key, InputStream body, long length) {
    ObjectKeys.requireValid(key);
    Objects.requireNonNull(body, "body");
    if (length < 0 && length != UNKNOWN_LENGTH) {
      throw new IllegalArgumentException("length must be >= 0 or UNKNOWN_LENGTH, was " + length);
    }
    int id = keys.primaryId();
    byte[] prefix = Framing.prefix(id, scope);
    CountingStream counted = new CountingStream(body);
    EncryptingStream stored = new EncryptingStream(counted, length, keys.primary(), prefix,
        Framing.associatedData(prefix, scope, Framing.identity(key)));
    PutResult r = inner.put(key, stored, length == UNKNOWN_LENGTH ? UNKNOWN_LENGTH : Framing.storedSize(length));
    return new PutResult(key, counted.count, r.etag(), r.parts());
  }

  @Override
  public boolean putIfAbsent(String key, byte[] body) {
    ObjectKeys.requireValid(key);
    int id = keys.primaryId();
    byte[] prefix = Framing.prefix(id, scope);
    return inner.putIfAbsent(key, EncryptingStream.encrypt(body, keys.primary(), prefix,
        Framing.associatedData(prefix, scope, Framing.identity(key))));
  }

  @Override
  public InputStream get(String key) {
    InputStream in = inner.get(key);
    return open(key, "get", null, in, 0, 0, Long.MAX_VALUE);
  }

  @Override
  public InputStream get(String key, long offset, long length) {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("offset and length must be >= 0, were " + offset + ", " + length);
    }
    if (length == 0) {
      try (InputStream probe = inner.get(key, 0, 0)) { // the missing-key contract, without a body
        probe.transferTo(java.io.OutputStream.nullOutputStream());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return InputStream.nullInputStream();
    }
    long end = offset + length - 1 < 0 ? Long.MAX_VALUE : offset + length - 1;
    long first = Framing.segmentOf(offset);
    long last = Framing.segmentOf(end);
    long storedEnd = Framing.storedStart(last) + Framing.storedLength(last) + 1; // +1: is `last` the last?
    if (storedEnd < 0) {
      storedEnd = Long.MAX_VALUE;
    }
    if (first == 0) {
      return open(key, "get", null, inner.get(key, 0, storedEnd), 0, offset, length);
    }
    InputStream in;
    try {
      in = rangeFrom(key, offset, length, first, storedEnd);
    } catch (ObjectDecryptionException e) {
      if (e.reason() != ObjectDecryptionException.Reason.AUTHENTICATION_FAILED) {
        throw e;
      }
      in = rangeFrom(key, offset, length, first, storedEnd); // see RereadOnce: once, at open too
    }
    return new RereadOnce(key, offset, length, in);
  }

  /** A range from segment {@code first} on: two GETs, the header and then the segments. */
  private InputStream rangeFrom(String key, long offset, long length, long first, long storedEnd) {
    byte[] header;
    try (InputStream h = inner.get(key, 0, Framing.PREFIX + Framing.TINK_HEADER)) {
      header = h.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long from = Framing.storedStart(first);
    return open(key, "get", header, inner.get(key, from, storedEnd - from), first, offset - Framing.plainStart(first),
        length);
  }

  /**
   * A ranged read in two GETs that reads again, once, from where it stopped when a segment does not
   * authenticate: a retried put of the same plaintext (a lost answer) may land between the GETs, and each
   * encryption of it is other bytes. The same plaintext read again is consistent; a tampered object fails again.
   */
  private final class RereadOnce extends InputStream {
    private final String key;
    private final long offset;
    private final long length;
    private InputStream in;
    private long delivered;
    private boolean reread;

    RereadOnce(String key, long offset, long length, InputStream in) {
      this.key = key;
      this.offset = offset;
      this.length = length;
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (true) {
        try {
          int n = in.read(b, off, len);
          if (n > 0) {
            delivered += n;
          }
          return n;
        } catch (IOException e) {
          if (reread || !(e.getCause() instanceof ObjectDecryptionException d)
              || d.reason() != ObjectDecryptionException.Reason.AUTHENTICATION_FAILED) {
            throw e;
          }
          reread = true;
          closeQuietly(in);
          in = get(key, offset + delivered, length - delivered); // (at most one reread more in there)
        }
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  private InputStream open(String key, String operation, byte[] header, InputStream in, long first, long skip,
      long length) {
    try {
      return new DecryptingStream(keys, scope, unscopedHistory, key, operation, header, in, first, skip, length);
    } catch (IOException e) {
      closeQuietly(in);
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      closeQuietly(in);
      throw e;
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // already failing
    }
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    return inner.stat(key).map(EncryptedObjectStore::plain);
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) {
    return inner.list(prefix).map(EncryptedObjectStore::plain);
  }

  @Override
  public Stream<ObjectInfo> listAfter(String prefix, String startAfter) {
    return inner.listAfter(prefix, startAfter).map(EncryptedObjectStore::plain);
  }

  @Override
  public Stream<ListEntry> list(String prefix, String delimiter) {
    return inner.list(prefix, delimiter).map(e -> e instanceof ObjectInfo o ? plain(o) : e);
  }

  private static ObjectInfo plain(ObjectInfo o) {
    return new ObjectInfo(o.key(), Framing.plainSize(o.size()), o.etag(), o.lastModified());
  }

  @Override
  public void delete(String key) {
    inner.delete(key);
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    inner.deleteAll(keys);
  }

  @Override
  public void copy(String sourceKey, String targetKey) {
    ObjectKeys.requireValid(sourceKey);
    ObjectKeys.requireValid(targetKey);
    if (Framing.identity(sourceKey).equals(Framing.identity(targetKey))) {
      inner.copy(sourceKey, targetKey);
      return;
    }
    long size = stat(sourceKey).orElseThrow(() -> new io.litevault.bucket.ObjectNotFoundException("copy", sourceKey,
        inner.describe(), null)).size();
    try (InputStream in = get(sourceKey)) {
      put(targetKey, in, size);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void verify() {
    inner.verify();
  }

  @Override
  public ObjectStoreMetrics metrics() {
    return inner.metrics();
  }

  @Override
  public String describe() {
    return inner.describe() + ", encrypted with " + keys.source()
        + (scope == null ? "" : ", scope '" + scope().orElseThrow() + "'" + (unscopedHistory ? " (and unscoped history)" : ""));
  }

  @Override
  public void close() {
    inner.close();
  }

  @Override
  public String toString() {
    return "EncryptedObjectStore{" + describe() + '}';
  }

  private static final class CountingStream extends InputStream {
    private final InputStream in;
    long count;

    CountingStream(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
