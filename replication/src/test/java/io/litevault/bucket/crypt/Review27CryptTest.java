package io.litevault.bucket.crypt;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.EmbeddedS3Extension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Review 27: reproduced bugs of the client-side encryption half of issue 16. */
class Review27CryptTest {
  @RegisterExtension static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();

  @TempDir Path dir;
  ObjectStore raw;
  EncryptedObjectStore store;

  @BeforeEach
  void open() {
    raw = FileSystemObjectStore.create(dir);
    store = EncryptedObjectStore.wrap(raw, TestKeys.provider(TestKeys.fresh()));
  }

  private String read(String key) throws Exception {
    return read(store, key);
  }

  private static String read(ObjectStore from, String key) throws Exception {
    try (InputStream in = from.get(key)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Scenario: one keyset (one per organisation, as the README's single /etc/litevault/keyset.json suggests)
   * encrypts two databases' prefixes of one bucket, "prod/app-a" and "prod/app-b". Someone with write access
   * to the bucket but no key copies the stored bytes of app-a's lease generation 3 over app-b's, and app-a's
   * snapshot under app-b's prefix (lineage ids and generations are just key names, visible in a listing).
   * Expected (docs/FORMAT.md "Encrypted objects": "an object copied to another key of the layout does not
   * authenticate"; the issue: "a swapped ... object is detected and named"): reading the copies through the
   * encrypted store fails with ObjectDecryptionException AUTHENTICATION_FAILED naming the key. A backup
   * tier's copy (prefix "daily/.../prod/app-a/...", the database's own prefix kept) may still decrypt: the
   * database's name is in both keys.
   * Actual: both copies decrypt and read as app-b's own objects: app-b's replicator reads app-a's lease
   * (owner, home, lineage) as its own, and "restore latest" of app-b returns app-a's database (the identity
   * bound is only the tail from "lineages"/"leases", without the database).
   * Fixed by key scopes (EncryptedObjectStore.scoped, envelope version 2): each database's objects are bound
   * to its name, which the reader is configured with, not to a path a tier changes. Unscoped stores keep the
   * identity binding only (documented: one keyset per database, or a scope each).
   */
  @Test
  void anObjectCopiedToAnotherDatabasesPrefixStillDecrypts() throws Exception {
    EncryptedObjectStore appA = store.scoped("app-a");
    EncryptedObjectStore appB = store.scoped("app-b");
    String lineage = "lineages/20261203T010203004Z-0a1b2c3d/";
    String leaseA = "prod/app-a/leases/0000000000000003";
    String leaseB = "prod/app-b/leases/0000000000000003";
    String snapA = "prod/app-a/" + lineage + "snapshots/0000000000000001.lvsn";
    String snapB = "prod/app-b/" + lineage + "snapshots/0000000000000001.lvsn";
    appA.put(leaseA, "{\"owner\":\"app-a host\"}".getBytes(StandardCharsets.UTF_8));
    appB.put(leaseB, "{\"owner\":\"app-b host\"}".getBytes(StandardCharsets.UTF_8));
    appA.put(snapA, "app-a's whole database".getBytes(StandardCharsets.UTF_8));
    assertEquals("app-a's whole database", read(appA, snapA), "app-a reads its own");
    raw.copy(leaseA, leaseB); // stored bytes, no key needed
    raw.copy(snapA, snapB);
    String leaseRead = null;
    String snapRead = null;
    try {
      leaseRead = read(appB, leaseB);
    } catch (ObjectDecryptionException | java.io.IOException expected) {
      // detected
    }
    try {
      snapRead = read(appB, snapB);
    } catch (ObjectDecryptionException | java.io.IOException expected) {
      // detected
    }
    assertNull(leaseRead, leaseB + " holds app-a's lease bytes yet decrypts as app-b's lease: " + leaseRead);
    assertNull(snapRead, snapB + " holds app-a's snapshot bytes yet decrypts as app-b's: " + snapRead);
  }

  /**
   * Scenario: an S3 store with the smallest part size S3 allows (S3Options.MIN_PART_SIZE, 5 MiB), wrapped for
   * encryption. The replicator writes every data object of up to 5 MiB (DataUploads.CREATE_ONLY_MAX_BYTES)
   * with a create-only put, and 5 MiB is one part, so without encryption such a segment fits.
   * Expected: putIfAbsent of a 5 MiB body through the encrypted store succeeds, as it does on the raw store
   * (the encrypted store keeps "the whole ObjectStore contract, with plaintext as the bodies and sizes").
   * Actual: IllegalArgumentException "putIfAbsent body is 5243025 bytes, more than one part (5242880)": the
   * 145 bytes of envelope and tags push the ciphertext past the part, so a segment of 5 MiB - 144 .. 5 MiB
   * cannot be uploaded once encryption is turned on.
   */
  @Test
  void aCreateOnlyPutOfFiveMibFitsOnePartWithoutEncryptionButNotWithIt() {
    EmbeddedS3 s3 = S3.server();
    try (ObjectStore s3Raw = MinioObjectStore.create(S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString())
        .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).partSize(S3Options.MIN_PART_SIZE).build())) {
      EncryptedObjectStore encrypted = EncryptedObjectStore.wrap(s3Raw, TestKeys.provider(TestKeys.fresh()));
      // (Fixed by lowering DataUploads.CREATE_ONLY_MAX_BYTES to 4 MiB: the largest create-only body the
      // replicator writes must fit one minimum part once encrypted. A 5 MiB body still cannot, by design.)
      byte[] body = new byte[4 << 20]; // DataUploads.CREATE_ONLY_MAX_BYTES
      assertTrue(s3Raw.putIfAbsent("r27/plain/lineages/L/segments/0000000000000001-0000000000000001.lvsg", body),
          "the raw store takes it");
      assertDoesNotThrow(() -> encrypted.putIfAbsent(
          "r27/enc/lineages/L/segments/0000000000000001-0000000000000001.lvsg", body),
          "a 4 MiB create-only put through the encrypted store");
    }
  }

  /**
   * Scenario: a snapshot (a plain put: above DataUploads' create-only limit) is uploaded, its answer is lost,
   * and the replicator puts the same bytes at the same key again, while a restore or a follower reads it
   * with ranged GETs (SnapshotFetch's parallel chunks). Through the encrypted store a ranged read that does
   * not start in segment 0 is two GETs (the 49-byte header, then the segments); the retried put lands
   * between them. Unencrypted, both versions hold identical bytes and the read succeeds.
   * Expected: the ranged read returns the (unchanged) plaintext, or at worst a retryable error.
   * Actual: ObjectDecryptionException AUTHENTICATION_FAILED (CORRUPT, not retryable) naming a healthy
   * object: the header of one encryption (its salt) is combined with the segments of another (the same
   * plaintext encrypts to different bytes each time), and restore reports CORRUPT_OBJECT.
   */
  @Test
  void aRangedReadAcrossARetriedPutOfTheSameBytesFailsAsCorrupt() throws Exception {
    String key = "db/lineages/20261203T010203004Z-0a1b2c3d/snapshots/0000000000000009.lvsn";
    byte[] body = new byte[Framing.FIRST_PLAIN + Framing.PLAIN + 1000];
    new java.util.Random(27).nextBytes(body);
    java.util.concurrent.atomic.AtomicBoolean retried = new java.util.concurrent.atomic.AtomicBoolean();
    EncryptedObjectStore[] self = new EncryptedObjectStore[1];
    ObjectStore racing = (ObjectStore) java.lang.reflect.Proxy.newProxyInstance(ObjectStore.class.getClassLoader(),
        new Class<?>[] {ObjectStore.class}, (proxy, method, args) -> {
          Object r;
          try {
            r = method.invoke(raw, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
          if (method.getName().equals("get") && args.length == 3 && (Long) args[1] == 0L
              && (Long) args[2] == Framing.PREFIX + Framing.TINK_HEADER && retried.compareAndSet(false, true)) {
            self[0].put(key, body); // the retried upload of the same snapshot lands now
          }
          return r;
        });
    self[0] = EncryptedObjectStore.wrap(racing, TestKeys.provider(TestKeys.fresh()));
    self[0].put(key, body);
    long offset = Framing.FIRST_PLAIN + 10;
    byte[] got;
    try (InputStream in = self[0].get(key, offset, 4096)) {
      got = in.readAllBytes();
    }
    assertTrue(retried.get(), "the retried put landed between the two GETs");
    assertArrayEquals(java.util.Arrays.copyOfRange(body, (int) offset, (int) offset + 4096), got);
  }
}
