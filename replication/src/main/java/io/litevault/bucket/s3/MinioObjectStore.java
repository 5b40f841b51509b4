package io.litevault.bucket.s3;

import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.minio.AbortMultipartUploadArgs;
import io.minio.CompleteMultipartUploadArgs;
import io.minio.CopyObjectArgs;
import io.minio.CreateMultipartUploadArgs;
import io.minio.DeleteObjectsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.HeadBucketArgs;
import io.minio.HeadObjectArgs;
import io.minio.HeadObjectResponse;
import io.minio.Http;
import io.minio.ListObjectsV2Args;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectAPIArgs;
import io.minio.RemoveObjectArgs;
import io.minio.SourceObject;
import io.minio.UploadPartArgs;
import io.minio.Utils;
import io.minio.credentials.AwsEnvironmentProvider;
import io.minio.credentials.ChainedProvider;
import io.minio.credentials.MinioEnvironmentProvider;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import io.minio.messages.DeleteRequest;
import io.minio.messages.DeleteResult;
import io.minio.messages.Item;
import io.minio.messages.ListBucketResultV2;
import io.minio.messages.ListObjectsResult;
import io.minio.messages.Part;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;

/**
 * An {@link io.litevault.bucket.ObjectStore} on the MinIO Java client: the primary replica target.
 *
 * <p>Retries: MinIO 9 retries some statuses itself (an OkHttp interceptor, and CompleteMultipartUpload's
 * own loop) and OkHttp silently retries failed connections. All of that is switched off here (our own
 * {@link okhttp3.OkHttpClient} without the interceptor, {@code retryOnConnectionFailure(false)},
 * {@code maxRetries(0)}) so that the store's one retry layer decides and counts every request. The region
 * is always set, so the client never spends a GetBucketLocation request to discover it.
 *
 * <p>Credentials: explicit, or else the AWS and MinIO environment variables.
 */
public final class MinioObjectStore extends S3StoreBase {
  private final Client client;
  private final OkHttpClient http;

  private MinioObjectStore(S3Options options) {
    super(options, "minio");
    this.http = new OkHttpClient.Builder()
        .connectTimeout(options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .readTimeout(options.socketTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .writeTimeout(options.socketTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .retryOnConnectionFailure(false)
        .protocols(List.of(Protocol.HTTP_1_1))
        .connectionPool(new ConnectionPool(16, 5, TimeUnit.MINUTES))
        .build();
    MinioAsyncClient.Builder b = MinioAsyncClient.builder().httpClient(http, true).region(options.region())
        .endpoint(options.endpoint().map(Object::toString).orElse("https://s3.amazonaws.com"));
    if (options.credentials().isPresent()) {
      S3Credentials c = options.credentials().get();
      b.credentials(c.accessKeyId(), c.secretAccessKey());
    } else {
      b.credentialsProvider(new ChainedProvider(new AwsEnvironmentProvider(), new MinioEnvironmentProvider()));
    }
    this.client = new Client(b.build());
    if (options.pathStyle()) {
      client.disableVirtualStyleEndpoint();
    } else {
      client.enableVirtualStyleEndpoint();
    }
  }

  /** Creates the store; no request is sent until used (call {@link #verify()} at startup). */
  public static MinioObjectStore create(S3Options options) {
    return new MinioObjectStore(options);
  }

  private String bucket() {
    return options.bucket();
  }

  @Override
  String rawPut(String key, byte[] body, int length, boolean createOnly) throws Exception {
    PutObjectAPIArgs.Builder b = PutObjectAPIArgs.builder().bucket(bucket()).object(key).data(body, length);
    if (createOnly) {
      b.headers(new Http.Headers("If-None-Match", "*"));
    }
    return unquote(client.putObject(b.build()).get().etag());
  }

  @Override
  String rawCreateMultipart(String key) throws Exception {
    return client.createMultipartUpload(CreateMultipartUploadArgs.builder().bucket(bucket()).object(key).build())
        .get().result().uploadId();
  }

  @Override
  String rawUploadPart(String key, String uploadId, int partNumber, byte[] body, int length) throws Exception {
    UploadPartArgs args = UploadPartArgs.builder().bucket(bucket()).object(key).uploadId(uploadId)
        .partNumber(partNumber).data(body, length).build();
    return unquote(client.uploadPart(args).get().part().etag());
  }

  @Override
  String rawCompleteMultipart(String key, String uploadId, List<String> partEtags) throws Exception {
    Part[] parts = new Part[partEtags.size()];
    for (int i = 0; i < parts.length; i++) {
      parts[i] = new Part(i + 1, partEtags.get(i));
    }
    CompleteMultipartUploadArgs args = CompleteMultipartUploadArgs.builder().bucket(bucket()).object(key)
        .uploadId(uploadId).parts(parts).maxRetries(0).build();
    return unquote(client.completeMultipartUpload(args).get().etag());
  }

  @Override
  void rawAbortMultipart(String key, String uploadId) throws Exception {
    client.abortMultipartUpload(
        AbortMultipartUploadArgs.builder().bucket(bucket()).object(key).uploadId(uploadId).build()).get();
  }

  @Override
  RawObject rawGet(String key, long offset, long length, String ifMatch) throws Exception {
    GetObjectArgs.Builder b = GetObjectArgs.builder().bucket(bucket()).object(key);
    if (offset > 0 || length >= 0) {
      b.offset(offset);
      if (length >= 0) {
        b.length(length);
      }
    }
    if (ifMatch != null) {
      b.matchETag(ifMatch);
    }
    GetObjectResponse r = client.getObject(b.build()).get();
    String etag = unquote(r.headers().get("ETag"));
    return new RawObject(r, etag, () -> { });
  }

  @Override
  ObjectInfo rawHead(String key) throws Exception {
    HeadObjectResponse r = client.headObject(HeadObjectArgs.builder().bucket(bucket()).object(key).build()).get();
    return new ObjectInfo(key, r.size(), unquote(r.etag()), r.lastModified().toInstant());
  }

  @Override
  ListPage rawList(String prefix, String delimiter, String token, int maxKeys, String startAfter) throws Exception {
    ListObjectsV2Args.Builder b = ListObjectsV2Args.builder().bucket(bucket()).maxKeys(maxKeys);
    if (!prefix.isEmpty()) {
      b.prefix(prefix);
    }
    if (delimiter != null) {
      b.delimiter(delimiter);
    }
    if (token != null) {
      b.continuationToken(token);
    }
    if (startAfter != null) {
      b.startAfter(startAfter);
    }
    ListBucketResultV2 result = client.listObjectsV2(b.build()).get().result();
    List<ListEntry> entries = new ArrayList<>();
    for (Item item : result.contents()) {
      Instant modified = item.lastModified() == null ? Instant.EPOCH : item.lastModified().toInstant();
      entries.add(new ObjectInfo(item.objectName(), item.size(), unquote(item.etag()), modified));
    }
    for (ListObjectsResult.Prefix p : result.commonPrefixes()) {
      entries.add(prefix(p.toItem().objectName()));
    }
    entries.sort((x, y) -> io.litevault.bucket.ObjectKeys.compare(x.key(), y.key()));
    return new ListPage(entries, result.isTruncated() ? result.nextContinuationToken() : null);
  }

  @Override
  void rawDelete(String key) throws Exception {
    client.removeObject(RemoveObjectArgs.builder().bucket(bucket()).object(key).build()).get();
  }

  @Override
  Map<String, String> rawDeleteBatch(List<String> keys) throws Exception {
    List<DeleteRequest.Object> objects = new ArrayList<>(keys.size());
    keys.forEach(k -> objects.add(new DeleteRequest.Object(k)));
    DeleteResult result = client.deleteObjects(
        DeleteObjectsArgs.builder().bucket(bucket()).objects(objects).quiet(true).build()).get().result();
    Map<String, String> failures = new LinkedHashMap<>();
    for (DeleteResult.Error e : result.errors()) {
      failures.put(e.objectName(), e.code());
    }
    return failures;
  }

  @Override
  void rawCopy(String sourceKey, String targetKey) throws Exception {
    client.copy(bucket(), sourceKey, targetKey).get();
  }

  @Override
  void rawHeadBucket() throws Exception {
    client.headBucket(HeadBucketArgs.builder().bucket(bucket()).build()).get();
  }

  @Override
  Failure classify(Throwable t) {
    Throwable c = Retrier.unwrap(t);
    if (c instanceof io.minio.errors.MinioException && c.getCause() != null && !(c instanceof ErrorResponseException)) {
      Throwable inner = Retrier.unwrap(c.getCause());
      if (inner instanceof IOException) {
        return Failure.ofIo(inner);
      }
    }
    if (c instanceof ErrorResponseException e) {
      int status = e.response() == null ? 0 : e.response().code();
      return Failure.ofResponse(status, e.errorResponse() == null ? "" : e.errorResponse().code());
    }
    if (c instanceof InvalidResponseException e) {
      return Failure.ofResponse(statusOf(e), "");
    }
    if (c instanceof ServerException e) {
      return Failure.ofResponse(e.statusCode(), "");
    }
    if (c instanceof IOException) {
      return Failure.ofIo(c);
    }
    if (c instanceof java.security.ProviderException) { // every provider of the credential chain came back empty
      return Failure.noCredentials();
    }
    return new Failure(io.litevault.bucket.ErrorKind.OTHER, 0, c.getClass().getSimpleName());
  }

  private static int statusOf(InvalidResponseException e) {
    // "Non-XML response from server. Response code: 503, ..." is all MinIO keeps of a non-XML answer.
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("[Rr]esponse code: (\\d{3})").matcher(String.valueOf(e.getMessage()));
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /**
   * Exposes one raw CopyObject. MinIO's own {@code copyObject} first sends a HEAD for the source's size
   * (to choose between copy and compose): two billed requests per copy, and backup copies many objects.
   */
  private static final class Client extends MinioAsyncClient {
    Client(MinioAsyncClient built) {
      super(built);
    }

    java.util.concurrent.CompletableFuture<Void> copy(String bucket, String sourceKey, String targetKey) {
      CopyObjectArgs args = CopyObjectArgs.builder().bucket(bucket).object(targetKey)
          .source(SourceObject.builder().bucket(bucket).object(sourceKey).build()).build();
      Http.Headers headers = new Http.Headers("x-amz-copy-source", Utils.encodePath("/" + bucket + "/" + sourceKey));
      return executePutAsync(args, headers, null, null).thenApply(response -> {
        try (response) {
          String body = response.body() == null ? "" : response.body().string();
          if (body.contains("<Error>")) { // S3 may report a failed copy in a 200 answer
            throw new java.util.concurrent.CompletionException(
                new ServerException("CopyObject failed inside a 200 answer", 500, ""));
          }
          return null;
        } catch (IOException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
    }
  }

  @Override
  void closeClient() throws Exception {
    client.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
