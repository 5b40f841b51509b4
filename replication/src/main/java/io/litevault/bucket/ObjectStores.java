package io.litevault.bucket;

import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Opens a store from a URI: the one place that knows the URI forms, used by the restore and backup
 * commands and the demo. The only class of this package that imports the backends ({@code .fs},
 * {@code .s3}).
 *
 * <table>
 * <caption>Store URIs</caption>
 * <tr><th>URI</th><th>store</th></tr>
 * <tr><td>{@code file:///absolute/dir} (also {@code file:/absolute/dir})</td><td>{@link FileSystemObjectStore}
 *     rooted at the directory; prefix empty. A host ({@code file://host/dir}), a relative or a plain path is
 *     refused.</td></tr>
 * <tr><td>{@code s3://bucket[/prefix]}, no endpoint</td><td>AWS S3 with the client of
 *     {@link ObjectStoreOptions#client()} (AWS SDK v2 by default), virtual-hosted addressing</td></tr>
 * <tr><td>{@code s3://bucket[/prefix]} with {@link ObjectStoreOptions#endpoint()} set</td><td>an
 *     S3-compatible server (MinIO, S3Proxy...) at that endpoint, path-style addressing, with the MinIO or
 *     the AWS client</td></tr>
 * </table>
 *
 * <p>The prefix loses leading and trailing {@code /}. A URI with user-info, a port, a query or a fragment is
 * refused ({@link StoreUriException}), as is a bad bucket name. Credentials: when both
 * {@code <variablePrefix>AWS_ACCESS_KEY_ID} and {@code <variablePrefix>AWS_SECRET_ACCESS_KEY} are set in
 * {@link ObjectStoreOptions#environment()} (and no {@code AWS_SESSION_TOKEN}, which only the default chain
 * carries), they are used; one without the other is refused; neither means the client's default chain (AWS
 * SDK: AWS_* variables, profile, container or instance role; MinIO: AWS_* or MINIO_* variables). Never from
 * the URI, and no message carries a secret.
 *
 * <p>With {@link ObjectStoreOptions#encryption()} set, the store returned is an {@link EncryptedObjectStore}
 * over the backend: what it writes is encrypted, what it reads decrypted. The keys are loaded here, once; a
 * provider that cannot produce them fails the open with its {@link IllegalStateException} (naming the
 * keyset's source, never a key) and the backend is closed.
 */
public final class ObjectStores {
  private ObjectStores() {}

  /** {@link #open(URI, ObjectStoreOptions)} of text, refusing what is not URI syntax with a typed error. */
  public static OpenedStore open(String uri, ObjectStoreOptions options) {
    return open(StoreUri.parse(uri), options);
  }

  /**
   * Opens the store {@code uri} names; the store is not verified yet.
   *
   * @throws StoreUriException the URI is not a store URI (see the table above)
   * @throws IllegalArgumentException only one of the two credential variables is set
   */
  public static OpenedStore open(URI uri, ObjectStoreOptions options) {
    return open(StoreUri.of(uri), options);
  }

  /** Opens a parsed URI; see {@link #open(URI, ObjectStoreOptions)}. */
  public static OpenedStore open(StoreUri uri, ObjectStoreOptions options) {
    Objects.requireNonNull(options, "options");
    if (uri instanceof StoreUri.Directory d) {
      return new OpenedStore(encrypted(directory(d.path(), options), options), "", uri);
    }
    StoreUri.Bucket b = (StoreUri.Bucket) uri;
    return new OpenedStore(encrypted(s3(b.name(), options), options), b.prefix(), uri);
  }

  /** {@code store}, encrypting when the options say so; closes {@code store} if the keys cannot be had. */
  private static ObjectStore encrypted(ObjectStore store, ObjectStoreOptions options) {
    if (options.encryption().isEmpty()) {
      return store;
    }
    try {
      EncryptedObjectStore encrypted = EncryptedObjectStore.wrap(store, options.encryption().get());
      if (options.keyScope().isEmpty()) {
        return encrypted;
      }
      EncryptedObjectStore scoped = encrypted.scoped(options.keyScope().get());
      return options.unscopedHistory() ? scoped.withUnscopedHistory() : scoped;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /**
   * Opens the store holding the replica of database {@code name} under {@code uri}: its prefix is
   * {@code <uri prefix>/<name>}. For a {@code file:} URI the path is a store's root followed by a key
   * prefix, as a person reads it ({@code file:///root/litevault} for keys {@code litevault/<name>/...} of a
   * store rooted at {@code /root}); a directory store lays keys out in its own encoding, so the root is the
   * nearest ancestor-or-self directory under which {@code <rest>/<name>/} holds objects, or else the
   * deepest existing one.
   */
  public static OpenedStore openReplica(String uri, String name, ObjectStoreOptions options) {
    return openReplica(StoreUri.parse(uri), name, options);
  }

  /** {@link #openReplica(String, String, ObjectStoreOptions)} of a parsed URI. */
  public static OpenedStore openReplica(StoreUri parsed, String name, ObjectStoreOptions options) {
    Objects.requireNonNull(name, "name");
    if (parsed instanceof StoreUri.Directory d) {
      return replicaInDirectory(d, name, options);
    }
    OpenedStore base = open(parsed, options);
    return new OpenedStore(base.store(), join(base.prefix(), name), parsed);
  }

  private static OpenedStore replicaInDirectory(StoreUri.Directory uri, String name, ObjectStoreOptions options) {
    Path full = uri.path();
    Path fallback = null;
    for (Path root = full; root != null; root = root.getParent()) {
      if (!Files.isDirectory(root)) {
        continue;
      }
      String prefix = join(relative(root, full), name);
      FileSystemObjectStore store = FileSystemObjectStore.create(root);
      if (holdsObjects(store, prefix)) {
        return new OpenedStore(encrypted(store, options), prefix, uri);
      }
      store.close();
      fallback = fallback == null ? root : fallback;
    }
    Path root = fallback == null ? full : fallback;
    return new OpenedStore(encrypted(directory(root, options), options), join(relative(root, full), name), uri);
  }

  private static boolean holdsObjects(ObjectStore store, String prefix) {
    try (Stream<ObjectInfo> objects = store.list(prefix + "/")) {
      return objects.findAny().isPresent();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static String relative(Path root, Path full) {
    return root.relativize(full).toString().replace(File.separatorChar, '/');
  }

  private static String join(String prefix, String name) {
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  private static ObjectStore directory(Path dir, ObjectStoreOptions options) {
    if (options.createDirectories()) {
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the store directory " + dir + ": " + e.getMessage(), e);
      }
    }
    return FileSystemObjectStore.create(dir); // a missing directory fails verify()
  }

  private static ObjectStore s3(String bucket, ObjectStoreOptions o) {
    S3Options.Builder b = S3Options.builder(bucket).pathStyle(o.usesPathStyle());
    o.endpoint().ifPresent(e -> b.endpoint(e.toString()));
    o.region().ifPresent(b::region);
    o.retryPolicy().ifPresent(b::retryPolicy);
    o.connectTimeout().ifPresent(b::connectTimeout);
    o.socketTimeout().ifPresent(b::socketTimeout);
    credentials(o, b);
    S3Options s3 = b.build();
    return o.client() == ObjectStoreOptions.Client.MINIO ? MinioObjectStore.create(s3) : S3ObjectStore.create(s3);
  }

  /** Explicit credentials from the variables of {@code o}, or none (the client's default chain). */
  private static void credentials(ObjectStoreOptions o, S3Options.Builder b) {
    String id = o.environment().get(o.accessKeyVariable());
    String secret = o.environment().get(o.secretKeyVariable());
    if ((id == null) != (secret == null)) {
      throw new IllegalArgumentException("set both " + o.accessKeyVariable() + " and " + o.secretKeyVariable()
          + ", or neither (to use the default credential chain)");
    }
    boolean sessionToken = o.variablePrefix().isEmpty() && o.environment().containsKey("AWS_SESSION_TOKEN");
    if (id != null && !sessionToken) {
      b.credentials(id, secret);
    }
  }
}
