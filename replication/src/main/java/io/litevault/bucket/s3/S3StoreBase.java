package io.litevault.bucket.s3;

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
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the two S3 stores share: key checks, the retry layer, multipart uploads, create-only puts,
 * resumable GETs, paged listings, batch deletes and metrics. Subclasses only send single raw requests
 * (with their client's retries off) and classify their client's exceptions.
 */
abstract class S3StoreBase implements ObjectStore {
  private static final Logger LOG = LoggerFactory.getLogger(S3StoreBase.class);

  /** S3's limit of keys per DeleteObjects request. */
  static final int DELETE_BATCH = 1000;

  final S3Options options;
  final RequestRecorder metrics = new RequestRecorder();
  final Retrier retrier;
  private final String name;

  S3StoreBase(S3Options options, String kind) {
    this.options = Objects.requireNonNull(options, "options");
    this.name = options.describe(kind);
    this.retrier = new Retrier(options.retryPolicy(), metrics, this::classify, name, credentialSources(kind));
  }

  // ---- raw requests, one HTTP request each, no retries -------------------------------------------------

  /** Where the default credential chain of client {@code kind} looks, for the message when it finds nothing. */
  static String credentialSources(String kind) {
    return kind.equals("minio")
        ? "the MinIO client reads them from the environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            + "(or AWS_ACCESS_KEY and AWS_SECRET_KEY), then MINIO_ACCESS_KEY and MINIO_SECRET_KEY; set one pair"
        : "the AWS SDK reads them from the Java system properties aws.accessKeyId and aws.secretAccessKey, the "
            + "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), a web identity "
            + "token (AWS_WEB_IDENTITY_TOKEN_FILE), the profile AWS_PROFILE (or 'default') in ~/.aws/credentials and "
            + "~/.aws/config, then the container or EC2 instance role; set one of them";
  }

  abstract String rawPut(String key, byte[] body, int length, boolean createOnly) throws Exception;

  abstract String rawCreateMultipart(String key) throws Exception;

  abstract String rawUploadPart(String key, String uploadId, int partNumber, byte[] body, int length)
      throws Exception;

  abstract String rawCompleteMultipart(String key, String uploadId, List<String> partEtags) throws Exception;

  abstract void rawAbortMultipart(String key, String uploadId) throws Exception;

  /** GET {@code [offset, offset+length)}; {@code length < 0} means to the end, {@code offset 0, length -1} no range. */
  abstract RawObject rawGet(String key, long offset, long length, String ifMatch) throws Exception;

  abstract ObjectInfo rawHead(String key) throws Exception;

  /** One page of a ListObjectsV2; {@code startAfter} null for none (only on the first page, as S3 ignores it after). */
  abstract ListPage rawList(String prefix, String delimiter, String token, int maxKeys, String startAfter)
      throws Exception;

  abstract void rawDelete(String key) throws Exception;

  /** Deletes up to 1000 keys; returns key → error code for those the server refused. */
  abstract Map<String, String> rawDeleteBatch(List<String> keys) throws Exception;

  abstract void rawCopy(String sourceKey, String targetKey) throws Exception;

  abstract void rawHeadBucket() throws Exception;

  /** Classifies an exception of this store's client (already unwrapped from completion wrappers). */
  abstract Failure classify(Throwable t);

  abstract void closeClient() throws Exception;

  // ---- the contract --------------------------------------------------------------------------------------

  @Override
  public PutResult put(String key, InputStream body, long length) {
    ObjectKeys.requireValid(key);
    Objects.requireNonNull(body, "body");
    if (length < UNKNOWN_LENGTH) {
      throw new IllegalArgumentException("length must be >= 0 or UNKNOWN_LENGTH, was " + length);
    }
    int partSize = options.partSize();
    PartReader reader = new PartReader(body, length, partSize);
    byte[] first = reader.next();
    if (reader.finished()) {
      byte[] b = first;
      int n = reader.lastLength();
      String etag = retrier.call(Operation.PUT, key, n, () -> rawPut(key, b, n, false));
      return new PutResult(key, n, etag, 1);
    }
    return multipart(key, reader, first);
  }

  private PutResult multipart(String key, PartReader reader, byte[] first) {
    String uploadId = retrier.call(Operation.CREATE_MULTIPART, key, 0, () -> rawCreateMultipart(key));
    try {
      List<String> etags = new ArrayList<>();
      long total = 0;
      byte[] part = first;
      while (true) {
        byte[] b = part;
        int n = reader.lastLength();
        int number = etags.size() + 1;
        etags.add(retrier.call(Operation.UPLOAD_PART, key, n, () -> rawUploadPart(key, uploadId, number, b, n)));
        total += n;
        if (reader.finished()) {
          break;
        }
        part = reader.next();
      }
      String etag = complete(key, uploadId, etags, total);
      return new PutResult(key, total, etag, etags.size());
    } catch (RuntimeException | Error e) {
      abortQuietly(key, uploadId, e);
      throw e;
    }
  }

  /**
   * Completes an upload. If a retried CompleteMultipartUpload finds the upload gone (the first attempt
   * completed it but its answer was lost), the object is checked by a HEAD: present with our size means
   * done.
   */
  private String complete(String key, String uploadId, List<String> etags, long total) {
    int[] tries = {0};
    return retrier.call(Operation.COMPLETE_MULTIPART, key, 0, () -> {
      try {
        return rawCompleteMultipart(key, uploadId, etags);
      } catch (Exception e) {
        if (tries[0]++ > 0 && retrier.classify(e).kind() == ErrorKind.NOT_FOUND) {
          metrics.request(Operation.HEAD, false);
          ObjectInfo info = rawHead(key);
          if (info.size() == total) {
            return info.etag();
          }
        }
        throw e;
      }
    });
  }

  private void abortQuietly(String key, String uploadId, Throwable cause) {
    try {
      retrier.call(Operation.ABORT_MULTIPART, key, 0, () -> {
        rawAbortMultipart(key, uploadId);
        return null;
      });
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
      LOG.warn("abort of multipart upload of {} on {} failed; a lifecycle rule must clean it up", key, name);
    }
  }

  @Override
  public boolean putIfAbsent(String key, byte[] body) {
    ObjectKeys.requireValid(key);
    Objects.requireNonNull(body, "body");
    if (body.length > options.partSize()) {
      throw new IllegalArgumentException(
          "putIfAbsent body is " + body.length + " bytes, more than one part (" + options.partSize() + ")");
    }
    boolean failedBefore = false;
    for (int attempt = 1; ; attempt++) {
      metrics.request(Operation.PUT, attempt > 1);
      metrics.sent(Operation.PUT, body.length);
      try {
        rawPut(key, body, body.length, true);
        return true;
      } catch (Exception e) {
        metrics.error(Operation.PUT);
        Failure f = retrier.classify(e);
        if (f.kind() == ErrorKind.PRECONDITION_FAILED) {
          return failedBefore && sameBody(key, body);
        }
        failedBefore = true;
        if (!f.kind().retryable() || attempt >= retrier.policy().maxAttempts()) {
          throw retrier.translate(Operation.PUT, key, Retrier.unwrap(e), f, attempt);
        }
        retrier.pause(Operation.PUT, key, f, attempt, e);
      }
    }
  }

  /** Whether the stored object's body equals {@code body}: decides a 412 met after an ambiguous failure. */
  private boolean sameBody(String key, byte[] body) {
    try (InputStream in = get(key)) {
      byte[] stored = in.readNBytes(body.length + 1);
      boolean mine = Arrays.equals(stored, body);
      LOG.debug("create-only put of {} met 412 after a failed attempt: stored body is {}", key,
          mine ? "ours (earlier attempt won)" : "another writer's");
      return mine;
    } catch (ObjectNotFoundException e) {
      return false;
    } catch (IOException e) {
      throw new ObjectStoreException(ErrorKind.CONNECTION, "putIfAbsent", key,
          "putIfAbsent " + key + " on " + name + ": cannot read back the existing object", e);
    }
  }

  @Override
  public InputStream get(String key) {
    return open(key, 0, -1);
  }

  @Override
  public InputStream get(String key, long offset, long length) {
    ObjectKeys.requireValid(key);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("offset and length must be >= 0, were " + offset + ", " + length);
    }
    if (length == 0) {
      if (stat(key).isEmpty()) {
        throw new ObjectNotFoundException("get", key, name, null);
      }
      return InputStream.nullInputStream();
    }
    return open(key, offset, length);
  }

  private InputStream open(String key, long offset, long length) {
    ObjectKeys.requireValid(key);
    RawObject first;
    try {
      first = retrier.call(Operation.GET, key, 0, () -> rawGet(key, offset, length, null));
    } catch (ObjectStoreException e) {
      if (e.getCause() != null && retrier.classify(e.getCause()).status() == 416) {
        return InputStream.nullInputStream(); // the range starts at or past the end
      }
      throw e;
    }
    ResumingInputStream.Opener opener = (off, len, etag) ->
        retrier.call(Operation.GET, key, 0, () -> rawGet(key, off, len, etag));
    return new ResumingInputStream(first, opener, metrics, retrier.policy().maxAttempts(), offset, length);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    ObjectKeys.requireValid(key);
    try {
      return Optional.of(retrier.call(Operation.HEAD, key, 0, () -> rawHead(key)));
    } catch (ObjectNotFoundException e) {
      return Optional.empty();
    }
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) {
    ObjectKeys.requireValidPrefix(prefix);
    int max = options.listPageSize();
    return stream(new PagedIterator(retrier, prefix, token -> rawList(prefix, null, token, max, null)))
        .map(ObjectInfo.class::cast);
  }

  @Override
  public Stream<ObjectInfo> listAfter(String prefix, String startAfter) {
    ObjectKeys.requireValidPrefix(prefix);
    java.util.Objects.requireNonNull(startAfter, "startAfter");
    int max = options.listPageSize();
    return stream(new PagedIterator(retrier, prefix, token -> rawList(prefix, null, token, max, startAfter)))
        .map(ObjectInfo.class::cast)
        .filter(o -> ObjectKeys.compare(o.key(), startAfter) > 0); // a server that ignores start-after is still right
  }

  @Override
  public Stream<ListEntry> list(String prefix, String delimiter) {
    ObjectKeys.requireValidPrefix(prefix);
    ObjectKeys.requireValidDelimiter(delimiter);
    int max = options.listPageSize();
    return stream(new PagedIterator(retrier, prefix, token -> rawList(prefix, delimiter, token, max, null)));
  }

  private static Stream<ListEntry> stream(PagedIterator it) {
    return StreamSupport.stream(
        Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT),
        false);
  }

  @Override
  public void delete(String key) {
    ObjectKeys.requireValid(key);
    try {
      retrier.call(Operation.DELETE, key, 0, () -> {
        rawDelete(key);
        return null;
      });
    } catch (ObjectNotFoundException e) {
      // Some servers answer 404 for a missing key: deleting is idempotent, so that is success.
    }
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    List<String> all = new ArrayList<>(new LinkedHashSet<>(keys));
    all.forEach(ObjectKeys::requireValid);
    Map<String, String> failures = new LinkedHashMap<>();
    for (int i = 0; i < all.size(); i += DELETE_BATCH) {
      List<String> batch = all.subList(i, Math.min(all.size(), i + DELETE_BATCH));
      Map<String, String> refused = retrier.call(Operation.DELETE_BATCH, null, 0, () -> rawDeleteBatch(batch));
      refused.forEach((k, code) -> {
        if (!"NoSuchKey".equals(code)) {
          failures.put(k, code);
        }
      });
    }
    if (!failures.isEmpty()) {
      throw new BatchDeleteException(name, failures);
    }
  }

  @Override
  public void copy(String sourceKey, String targetKey) {
    ObjectKeys.requireValid(sourceKey);
    ObjectKeys.requireValid(targetKey);
    retrier.call(Operation.COPY, sourceKey, 0, () -> {
      rawCopy(sourceKey, targetKey);
      return null;
    });
  }

  /**
   * A startup check fails fast: one retry, so an endpoint that accepts connections and never answers
   * costs at most two socket timeouts (about a minute with the defaults, 20 s with {@code interactive()}).
   */
  static final int VERIFY_ATTEMPTS = 2;

  @Override
  public void verify() {
    try {
      retrier.call(Operation.HEAD_BUCKET, null, 0, () -> {
        rawHeadBucket();
        return null;
      }, VERIFY_ATTEMPTS);
    } catch (StoreUnavailableException e) {
      throw e;
    } catch (ObjectStoreException e) {
      ErrorKind kind = e.kind() == ErrorKind.NOT_FOUND ? ErrorKind.NO_SUCH_BUCKET : e.kind();
      String why = switch (kind) {
        case NO_SUCH_BUCKET -> "the bucket does not exist";
        case CONNECTION, TIMEOUT -> "the endpoint is unreachable or does not answer";
        default -> "the store refused the request";
      };
      throw new StoreUnavailableException(kind, "verify", "cannot use " + name + ": " + why + " (" + e.getMessage() + ")",
          e.getCause());
    }
  }

  @Override
  public ObjectStoreMetrics metrics() {
    return metrics.view();
  }

  @Override
  public String describe() {
    return name;
  }

  @Override
  public void close() {
    try {
      closeClient();
    } catch (Exception e) {
      LOG.debug("closing the client of {} failed", name, e);
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + name + "]";
  }

  static String unquote(String etag) {
    if (etag == null) {
      return "";
    }
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1) : etag;
  }

  static CommonPrefix prefix(String p) {
    return new CommonPrefix(p);
  }
}
