package io.litevault.bucket;

import java.io.InputStream;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A bucket of objects addressed by key: the one contract replication, backup and restore use to talk to
 * MinIO, AWS S3 or a local directory.
 *
 * <h2>Keys</h2>
 * A key is 1 to 1024 UTF-8 bytes without control characters; see {@link ObjectKeys#requireValid}. Any other
 * key is refused with {@link IllegalArgumentException} before a request is made. Keys may contain spaces,
 * any Unicode and {@code /}. {@link FileSystemObjectStore} refuses in addition keys that cannot be a safe
 * relative path (a segment {@code .} or {@code ..}, an empty segment, a leading {@code /}). Do not make a
 * key that is also a "directory" of other keys ({@code a} and {@code a/b}): AWS S3 allows it, but MinIO,
 * S3Proxy's file back-ends and the file store refuse the second put (the file store with
 * {@link ErrorKind#KEY_CONFLICT}).
 *
 * <h2>Missing keys</h2>
 * <ul>
 *   <li>{@link #get} of a missing key throws {@link ObjectNotFoundException};
 *   <li>{@link #stat} of a missing key returns {@link Optional#empty()};
 *   <li>{@link #delete} and {@link #deleteAll} of missing keys succeed (deleting is idempotent);
 *   <li>{@link #copy} from a missing source throws {@link ObjectNotFoundException}.
 * </ul>
 *
 * <h2>Idempotence and retries</h2>
 * Every operation except {@link #putIfAbsent} is idempotent: sending it twice leaves the bucket as sending
 * it once. Implementations retry idempotent requests that fail with a {@linkplain ErrorKind#retryable()
 * retryable} error (throttling, 5xx, timeouts, broken connections) with exponential backoff and full jitter,
 * in exactly one layer (for the S3 stores: ours, with the client library's own retries switched off, so
 * that every HTTP request is counted once in {@link #metrics()}). Multipart uploads retry each part, not the
 * whole body. What escapes is an {@link ObjectStoreException}; its {@link ObjectStoreException#retryable()}
 * says whether trying again later can help. {@link #putIfAbsent} is retried too, with the care its Javadoc
 * describes.
 *
 * <h2>Consistency and ordering</h2>
 * After a put returns, {@link #get}, {@link #stat} and {@link #list} see the new object (S3, MinIO and the
 * file system are strongly read-after-write consistent). Listings are in ascending order of the keys' UTF-8
 * bytes (S3 order). A listing is not a snapshot: objects written or deleted while it is being consumed may
 * or may not appear, but no key appears twice and an object that exists throughout appears once.
 *
 * <h2>Streaming and memory</h2>
 * Bodies are streamed. {@link #put} holds at most one part in memory (the S3 stores' part size, 16 MiB by
 * default; the file store copies through a small buffer), whatever the body's length, so a 5 GiB snapshot
 * passes with bounded heap. {@link #get} returns a stream straight from the connection: the caller reads
 * it and must close it. If the connection breaks mid-body, the S3 stores' streams resume from where they
 * stopped with a ranged request pinned to the object's entity tag, so a body is never silently spliced
 * from two versions.
 *
 * <h2>Exceptions</h2>
 * Operations throw unchecked {@link ObjectStoreException}s: {@link ObjectNotFoundException},
 * {@link StoreUnavailableException} (credentials, missing bucket, unreachable endpoint),
 * {@link BatchDeleteException}, or the base class with an {@link ErrorKind}. Reading a stream from
 * {@link #get} throws {@link java.io.IOException}, whose cause is an {@link ObjectStoreException} when the
 * store gave up. No exception message contains a secret.
 *
 * <p>Implementations are thread-safe. Every request sent is counted in {@link #metrics()}.
 */
public interface ObjectStore extends AutoCloseable {

  /** Length to pass to {@link #put(String, InputStream, long)} when the body's length is not known. */
  long UNKNOWN_LENGTH = -1;

  /**
   * Writes (creates or replaces) an object, streaming the body. Idempotent.
   *
   * <p>A body up to the part size goes in one request; a longer one in a multipart upload whose parts are
   * retried one by one and which is aborted if the put fails. The caller's stream is read once and not
   * closed.
   *
   * @param key the key
   * @param body the body, read to its end (or to {@code length} bytes)
   * @param length the body's length in bytes, or {@link #UNKNOWN_LENGTH}
   * @return the stored object's size, entity tag and part count
   * @throws IllegalArgumentException if the key is invalid or the body is not {@code length} bytes long
   * @throws java.io.UncheckedIOException if reading {@code body} fails (nothing is stored)
   * @throws ObjectStoreException if the store fails (nothing is stored; the previous object, if any, stays)
   */
  PutResult put(String key, InputStream body, long length);

  /** Writes a small object held in memory; see {@link #put(String, InputStream, long)}. */
  default PutResult put(String key, byte[] body) {
    return put(key, new java.io.ByteArrayInputStream(body), body.length);
  }

  /**
   * Creates an object only if no object has that key ({@code If-None-Match: *}): among concurrent callers
   * exactly one gets {@code true}. For leases and markers; the body must fit in one part.
   *
   * <p><b>Retries.</b> A create-only put is not idempotent: if an attempt reached the server but its answer
   * was lost (timeout, reset, 5xx), a retry finds the object and gets 412. After a failed attempt, a 412 is
   * therefore checked by reading the object back: if its body equals ours, the earlier attempt won and this
   * returns {@code true}. Bodies must be unique to their writer (put an owner id and a random nonce in
   * them), or two writers with equal bodies cannot be told apart.
   *
   * @return {@code true} if this call created the object, {@code false} if the key already existed
   * @throws IllegalArgumentException if the key is invalid or the body is larger than one part
   * @throws ObjectStoreException if the store fails
   */
  boolean putIfAbsent(String key, byte[] body);

  /**
   * Opens an object's body. The caller must close the stream.
   *
   * @throws ObjectNotFoundException if the key does not exist
   * @throws ObjectStoreException if the store fails
   */
  InputStream get(String key);

  /**
   * Opens {@code length} bytes of an object's body starting at {@code offset}. A range running past the end
   * is cut at the end; a range starting at or past the end yields an empty stream.
   *
   * @param offset first byte, {@code >= 0}
   * @param length number of bytes, {@code >= 0}
   * @throws ObjectNotFoundException if the key does not exist
   */
  InputStream get(String key, long offset, long length);

  /**
   * Describes an object without reading it (one HEAD request).
   *
   * @return the object's description, or empty if the key does not exist
   */
  Optional<ObjectInfo> stat(String key);

  /**
   * Lists every object whose key starts with {@code prefix} (all "levels"), in key order, lazily: pages of
   * up to 1000 keys are fetched as the stream is consumed. Close the stream (try-with-resources) if it is
   * not consumed to its end.
   *
   * @param prefix the prefix, {@code ""} for the whole bucket
   */
  Stream<ObjectInfo> list(String prefix);

  /**
   * As {@link #list(String)}, only the keys that sort after {@code startAfter} ({@link ObjectKeys#compare}
   * order; {@code startAfter} itself need not exist). An S3 store passes it to the server
   * ({@code ListObjectsV2} {@code start-after}), so the keys before it cost no requests: how a restore skips
   * a long history it does not need. The default filters {@link #list(String)}: right, not faster.
   *
   * @param prefix the prefix, {@code ""} for the whole bucket
   * @param startAfter a key; only keys strictly after it are listed
   */
  default Stream<ObjectInfo> listAfter(String prefix, String startAfter) {
    java.util.Objects.requireNonNull(startAfter, "startAfter");
    return list(prefix).filter(o -> ObjectKeys.compare(o.key(), startAfter) > 0);
  }

  /**
   * Lists one "level" under {@code prefix}: objects whose key has no {@code delimiter} after the prefix,
   * and one {@link CommonPrefix} for each distinct run up to and including the next delimiter. In key
   * order, lazily, like {@link #list(String)}.
   */
  Stream<ListEntry> list(String prefix, String delimiter);

  /** Deletes an object. Idempotent: deleting a missing key succeeds. */
  void delete(String key);

  /**
   * Deletes many objects, up to 1000 per request. Idempotent.
   *
   * @throws BatchDeleteException if the store refused some keys (the others are deleted)
   */
  void deleteAll(Collection<String> keys);

  /**
   * Copies an object inside the bucket on the server side (the body does not pass through this process).
   * Idempotent. Objects up to 5 GiB (one S3 CopyObject request).
   *
   * @throws ObjectNotFoundException if {@code sourceKey} does not exist
   */
  void copy(String sourceKey, String targetKey);

  /**
   * Checks at startup that the store can be used: the endpoint answers, the credentials are accepted and
   * the bucket exists (one request, retried at most once: a startup check fails fast, within two of the
   * store's timeouts, and the caller decides whether to try again later).
   *
   * @throws StoreUnavailableException naming the endpoint and bucket (never the secret) if not
   */
  void verify();

  /** The counters of every request this store has sent. */
  ObjectStoreMetrics metrics();

  /** A human-readable name of the store, for example {@code s3 http://127.0.0.1:9000 bucket backups}. */
  String describe();

  /** Releases connections and threads. Streams still open may fail afterwards. */
  @Override
  void close();
}
