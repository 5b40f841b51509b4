package io.litevault.replication;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the replica's data objects (segments and snapshots) so that a retry is harmless and another
 * writer is noticed. Up to {@link #CREATE_ONLY_MAX_BYTES} an object is written create-only: a key that
 * already holds these bytes is this process's earlier attempt whose answer was lost; a key holding
 * other bytes was written by another process ({@link ForeignBytesException}). Larger objects, rare (a
 * snapshot, a segment of big transactions), go with a plain put: their keys are fixed before the first
 * try and hold the same bytes on every try.
 *
 * <p>Stateless; used by the shipper thread only.
 */
final class DataUploads {
  private static final Logger log = LoggerFactory.getLogger(DataUploads.class);

  /**
   * Create-only up to this size: one part on every store (S3's minimum part is 5 MiB), with room for what an
   * encrypting store adds (an envelope header and a 16-byte tag per MiB segment: 5 MiB of plaintext did not
   * fit a 5 MiB part once encrypted, review 27).
   */
  static final int CREATE_ONLY_MAX_BYTES = 4 << 20;

  /** The key holds other bytes, and this process still holds the lease. */
  static final class ForeignBytesException extends IOException {
    ForeignBytesException(String key) {
      super("object '" + key + "' already holds other bytes");
    }
  }

  private final ObjectStore store;
  private final Lease lease;

  DataUploads(ObjectStore store, Lease lease) {
    this.store = store;
    this.lease = lease;
  }

  /**
   * Makes {@code key} hold {@code body}. Other bytes there mean another writer: the lease is confirmed
   * first, so this process either finds it lost the lease ({@link LeaseException}) or learns that a
   * fenced process wrote into the lineage before it stopped ({@link ForeignBytesException}).
   */
  void put(String key, byte[] body) throws IOException {
    if (body.length > CREATE_ONLY_MAX_BYTES) {
      store.put(key, body);
      return;
    }
    if (store.putIfAbsent(key, body) || storedEquals(key, body)) {
      return;
    }
    lease.confirm();
    throw new ForeignBytesException(key);
  }

  /** As {@link #put}, for a file of {@code size} bytes: read whole when it is put create-only, else streamed. */
  void put(String key, Path file, long size) throws IOException {
    if (size <= CREATE_ONLY_MAX_BYTES) {
      put(key, Files.readAllBytes(file));
      return;
    }
    try (InputStream in = Files.newInputStream(file)) {
      store.put(key, in, size);
    }
  }

  /** Deletes an object this process should not have left behind; a failure is logged, not thrown. */
  void deleteQuietly(String database, String key) {
    try {
      store.delete(key);
    } catch (RuntimeException e) {
      log.error("database '{}': could not delete {} written after the lease was lost", database, key, e);
    }
  }

  private boolean storedEquals(String key, byte[] body) throws IOException {
    try (InputStream in = store.get(key)) {
      return Arrays.equals(in.readNBytes(body.length + 1), body);
    } catch (ObjectNotFoundException e) {
      return false;
    } catch (io.litevault.bucket.ObjectStoreException e) {
      if (e.kind() == io.litevault.bucket.ErrorKind.CORRUPT) {
        return false; // unreadable as ours (not decryptable under our keys, say): other bytes
      }
      throw e;
    }
  }
}
