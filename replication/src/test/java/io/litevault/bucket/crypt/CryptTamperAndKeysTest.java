package io.litevault.bucket.crypt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.crypt.ObjectDecryptionException.Reason;
import io.litevault.replication.format.BucketLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What goes wrong with keys and stored bytes, each giving the one typed error that names the object and the
 * key id: a flipped byte (in the first segment, a later one, the header), a truncated object (at a segment
 * boundary and inside one), two objects' bodies swapped, an unencrypted object, a key id the keyset lacks or
 * has disabled, another key under the same id. Also: a tier copy (the stored bytes under another prefix)
 * still decrypts; rotation reads old and new; keys never appear in a message.
 */
class CryptTamperAndKeysTest {
  static final String LINEAGE = "lineages/20261203T010203004Z-0a1b2c3d/";

  @TempDir
  Path dir;
  ObjectStore raw;
  KeysetHandle keyset;
  EncryptedObjectStore store;
  final List<String> messages = new ArrayList<>();

  @BeforeEach
  void open() {
    raw = FileSystemObjectStore.create(dir);
    keyset = TestKeys.fresh();
    store = EncryptedObjectStore.wrap(raw, TestKeys.provider(keyset));
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  byte[] stored(String key) throws IOException {
    return Files.readAllBytes(dir.resolve(key));
  }

  void overwrite(String key, byte[] bytes) throws IOException {
    Files.write(dir.resolve(key), bytes);
  }

  /** Reads the whole object and expects the typed error, from the open or from a read. */
  ObjectDecryptionException failsToRead(EncryptedObjectStore s, String key) {
    ObjectDecryptionException e;
    try (InputStream in = s.get(key)) {
      IOException io = assertThrows(IOException.class, in::readAllBytes);
      assertTrue(io.getCause() instanceof ObjectDecryptionException, "cause: " + io.getCause());
      e = (ObjectDecryptionException) io.getCause();
      assertEquals(e.getMessage(), io.getMessage());
    } catch (ObjectDecryptionException direct) {
      e = direct;
    } catch (IOException other) {
      throw new AssertionError(other);
    }
    assertEquals(key, e.key());
    assertEquals(ErrorKind.CORRUPT, e.kind());
    assertFalse(e.retryable());
    assertNull(e.getCause(), "no cipher exception underneath");
    assertTrue(e.getMessage().contains(key), e.getMessage());
    messages.add(e.getMessage());
    return e;
  }

  static int keyId(KeysetHandle k) {
    return k.getPrimary().getId();
  }

  @Test
  void aFlippedByteAnywhereIsNamed() throws IOException {
    String key = "db/" + LINEAGE + "snapshots/00000000000000ff.lvsn";
    byte[] body = random(Framing.FIRST_PLAIN + Framing.PLAIN + 1000, 1); // three segments
    store.put(key, body);
    byte[] good = stored(key);
    for (long at : new long[] {Framing.PREFIX + 3, Framing.storedStart(0) + 10, Framing.storedStart(1) + 77,
        Framing.storedStart(2) + 5, good.length - 1}) {
      byte[] bad = good.clone();
      bad[(int) at] ^= 0x40;
      overwrite(key, bad);
      ObjectDecryptionException e = failsToRead(store, key);
      assertEquals(Reason.AUTHENTICATION_FAILED, e.reason(), "flip at " + at);
      assertEquals(Integer.toUnsignedLong(keyId(keyset)), e.keyId());
      assertTrue(e.getMessage().contains("key id " + Integer.toUnsignedString(keyId(keyset))), e.getMessage());
    }
    // a ranged read of the flipped segment fails too; one of an untouched segment does not
    byte[] bad = good.clone();
    bad[(int) Framing.storedStart(1) + 77] ^= 1;
    overwrite(key, bad);
    try (InputStream in = store.get(key, Framing.FIRST_PLAIN + 5, 10)) {
      IOException io = assertThrows(IOException.class, in::readAllBytes);
      assertTrue(io.getCause() instanceof ObjectDecryptionException);
    } catch (ObjectDecryptionException expected) {
      assertEquals(Reason.AUTHENTICATION_FAILED, expected.reason());
    }
    try (InputStream in = store.get(key, 10, 10)) {
      assertArrayEquals(Arrays.copyOfRange(body, 10, 20), in.readAllBytes());
    }
  }

  @Test
  void aChangedHeaderIsNamed() throws IOException {
    String key = "db/" + LINEAGE + "segments/0000000000000001-0000000000000002.lvsg";
    store.put(key, random(5000, 2));
    byte[] good = stored(key);
    byte[] version = good.clone();
    version[4] = 9;
    overwrite(key, version);
    assertEquals(Reason.UNSUPPORTED_VERSION, failsToRead(store, key).reason());
    byte[] id = good.clone();
    id[8] ^= 1;
    overwrite(key, id);
    ObjectDecryptionException e = failsToRead(store, key);
    assertEquals(Reason.UNKNOWN_KEY, e.reason());
    assertEquals(Integer.toUnsignedLong(keyId(keyset) ^ 1), e.keyId());
    assertTrue(e.getMessage().contains("is not in test keyset"), e.getMessage());
  }

  @Test
  void truncationIsDetectedAtASegmentBoundaryAndInsideOne() throws IOException {
    String key = "db/" + LINEAGE + "snapshots/0000000000000010.lvsn";
    store.put(key, random(Framing.FIRST_PLAIN + 2 * Framing.PLAIN + 10, 3)); // four segments
    byte[] good = stored(key);
    for (long cut : new long[] {Framing.storedStart(1), Framing.storedStart(3), Framing.storedStart(2) + 1000,
        good.length - 1, Framing.PREFIX + Framing.TINK_HEADER, 20}) {
      overwrite(key, Arrays.copyOf(good, (int) cut));
      assertEquals(Reason.AUTHENTICATION_FAILED, failsToRead(store, key).reason(), "cut at " + cut);
    }
  }

  @Test
  void swappedBodiesAreDetectedAndATierCopyStillDecrypts() throws IOException {
    String a = "db/" + LINEAGE + "segments/0000000000000001-0000000000000001.lvsg";
    String b = "db/" + LINEAGE + "segments/0000000000000002-0000000000000002.lvsg";
    store.put(a, "one".getBytes(StandardCharsets.UTF_8));
    store.put(b, "two".getBytes(StandardCharsets.UTF_8));
    byte[] sa = stored(a);
    byte[] sb = stored(b);
    // a backup tier copies the stored bytes, without a key, under its own prefix: they still decrypt there
    String tier = "daily/2026-12-03/db/" + LINEAGE + "segments/0000000000000001-0000000000000001.lvsg";
    raw.copy(a, tier);
    try (InputStream in = store.get(tier)) {
      assertEquals("one", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    overwrite(a, sb);
    overwrite(b, sa);
    assertEquals(Reason.AUTHENTICATION_FAILED, failsToRead(store, a).reason());
    assertEquals(Reason.AUTHENTICATION_FAILED, failsToRead(store, b).reason());
    // moved to another database's same lineage and name: the identity is the layout tail, the same; moved to
    // another kind of key: detected
    raw.copy(b, "db/" + LINEAGE + "snapshots/0000000000000002.lvsn");
    failsToRead(store, "db/" + LINEAGE + "snapshots/0000000000000002.lvsn");
  }

  @Test
  void identityIsTheLayoutTailBackupKeeps() {
    for (String k : List.of("db/" + LINEAGE + "segments/0000000000000001-0000000000000002.lvsg",
        "a/b/lineages/" + LINEAGE + "snapshots/0000000000000001.lvsn",
        "x/leases/" + LINEAGE + "levels/01/0000000000000001-0000000000000002.lvcr",
        "tier/leases/00000000000000aa", "lineages/leases/0000000000000001", "db/lease", "lease",
        "leases/lineages/" + LINEAGE + "snapshots/0000000000000001.lvsn")) {
      BucketLayout.Located loc = BucketLayout.locate(k).orElseThrow(() -> new AssertionError(k));
      String tail = loc.databasePrefix().isEmpty() ? k : k.substring(loc.databasePrefix().length() + 1);
      assertEquals(tail, Framing.identity(k), k);
    }
    assertEquals("some/other/key", Framing.identity("some/other/key"));
  }

  @Test
  void anUnencryptedObjectIsNamed() {
    raw.put("db/plain", "not encrypted at all".getBytes(StandardCharsets.UTF_8));
    assertEquals(Reason.NOT_ENCRYPTED, failsToRead(store, "db/plain").reason());
  }

  @Test
  void rotationReadsOldAndNewObjectsAndAnOldKeysetNamesTheNewKeyId() throws IOException {
    store.put("db/old", "before rotation".getBytes(StandardCharsets.UTF_8));
    KeysetHandle rotated = TestKeys.rotated(keyset);
    EncryptedObjectStore after = EncryptedObjectStore.wrap(raw, TestKeys.provider(rotated));
    assertEquals(Integer.toUnsignedLong(keyId(rotated)), after.primaryKeyId());
    after.put("db/new", "after rotation".getBytes(StandardCharsets.UTF_8));
    assertEquals(keyId(rotated), ByteBuffer.wrap(stored("db/new"), 5, 4).getInt());
    assertEquals(keyId(keyset), ByteBuffer.wrap(stored("db/old"), 5, 4).getInt());
    try (InputStream o = after.get("db/old"); InputStream n = after.get("db/new")) {
      assertEquals("before rotation", new String(o.readAllBytes(), StandardCharsets.UTF_8));
      assertEquals("after rotation", new String(n.readAllBytes(), StandardCharsets.UTF_8));
    }
    ObjectDecryptionException e = failsToRead(store, "db/new"); // the old keyset does not hold the new key
    assertEquals(Reason.UNKNOWN_KEY, e.reason());
    assertEquals(Integer.toUnsignedLong(keyId(rotated)), e.keyId());
    assertTrue(e.getMessage().contains("key id " + Integer.toUnsignedString(keyId(rotated))), e.getMessage());
    EncryptedObjectStore disabled = EncryptedObjectStore.wrap(raw,
        TestKeys.provider(TestKeys.disabled(rotated, keyId(keyset))));
    ObjectDecryptionException d = failsToRead(disabled, "db/old");
    assertEquals(Reason.UNKNOWN_KEY, d.reason());
    assertTrue(d.getMessage().contains("DISABLED"), d.getMessage());
  }

  @Test
  void anotherKeyUnderTheSameIdFailsAuthentication() throws Exception {
    store.put("db/x", random(3000, 4));
    KeysetHandle impostor = KeysetHandle.newBuilder()
        .addEntry(KeysetHandle.generateEntryFromParameters(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB)
            .withFixedId(keyId(keyset)).makePrimary())
        .build();
    EncryptedObjectStore wrong = EncryptedObjectStore.wrap(raw, TestKeys.provider(impostor));
    assertEquals(Reason.AUTHENTICATION_FAILED, failsToRead(wrong, "db/x").reason());
  }

  @Test
  void missingKeysAreNamedByTheirSource() throws Exception {
    Path none = dir.resolve("no-such-keyset.json");
    IllegalStateException file = assertThrows(IllegalStateException.class,
        () -> EncryptedObjectStore.wrap(raw, KeyProviders.keysetFile(none)));
    assertTrue(file.getMessage().contains(none.toString()), file.getMessage());
    IllegalStateException env = assertThrows(IllegalStateException.class,
        () -> EncryptedObjectStore.wrap(raw, KeyProviders.environment("LV_KEYSET", Map.of())));
    assertTrue(env.getMessage().contains("$LV_KEYSET"), env.getMessage());
    Path garbage = dir.resolve("garbage.json");
    Files.writeString(garbage, "{\"primaryKeyId\": 1, \"key\": [{\"keyData\": {\"value\": \"c2VjcmV0\"}}]}");
    IllegalStateException bad = assertThrows(IllegalStateException.class,
        () -> EncryptedObjectStore.wrap(raw, KeyProviders.keysetFile(garbage)));
    assertFalse(bad.getMessage().contains("c2VjcmV0"), bad.getMessage());
    messages.addAll(List.of(file.getMessage(), env.getMessage(), bad.getMessage()));
  }

  @Test
  void keysetsLoadFromAFileAnEnvironmentVariableAndAnEnvelope() throws Exception {
    String json = TestKeys.json(keyset);
    Path file = dir.resolve("keyset.json");
    Files.writeString(file, json);
    store.put("db/k", "hello".getBytes(StandardCharsets.UTF_8));
    for (KeyProvider p : List.of(KeyProviders.keysetFile(file), KeyProviders.environment("LV_KEYSET",
        Map.of("LV_KEYSET", json)))) {
      EncryptedObjectStore s = EncryptedObjectStore.wrap(raw, p);
      try (InputStream in = s.get("db/k")) {
        assertEquals("hello", new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      messages.add(s.toString());
      messages.add(s.describe());
      messages.add(p.toString());
    }
    // the envelope: the keyset on disk is encrypted by a key-encryption key held elsewhere (a KMS in production)
    AeadConfig.register();
    Aead kek = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM).getPrimitive(
        com.google.crypto.tink.RegistryConfiguration.get(), Aead.class);
    byte[] ad = "litevault keyset".getBytes(StandardCharsets.UTF_8);
    Path sealed = dir.resolve("keyset.enc.json");
    Files.writeString(sealed, TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(keyset, kek, ad));
    assertFalse(Files.readString(sealed).contains(secretOf(json)), "the envelope does not hold the key in clear");
    EncryptedObjectStore enveloped = EncryptedObjectStore.wrap(raw, KeyProviders.envelope(sealed, kek, ad, "test-kms"));
    try (InputStream in = enveloped.get("db/k")) {
      assertEquals("hello", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    Aead otherKek = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM).getPrimitive(
        com.google.crypto.tink.RegistryConfiguration.get(), Aead.class);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> EncryptedObjectStore.wrap(raw, KeyProviders.envelope(sealed, otherKek, ad, "test-kms")));
    assertTrue(e.getMessage().contains("test-kms"), e.getMessage());
    messages.add(e.getMessage());
    messages.add(enveloped.toString());
  }

  @Test
  void noMessageEverCarriesKeyMaterial() throws Exception {
    aFlippedByteAnywhereIsNamed();
    aChangedHeaderIsNamed();
    truncationIsDetectedAtASegmentBoundaryAndInsideOne();
    rotationReadsOldAndNewObjectsAndAnOldKeysetNamesTheNewKeyId();
    keysetsLoadFromAFileAnEnvironmentVariableAndAnEnvelope();
    messages.add(store.toString());
    String secret = secretOf(TestKeys.json(keyset));
    assertTrue(messages.size() > 10);
    for (String m : messages) {
      assertFalse(m.contains(secret), m);
      assertFalse(m.contains(secret.substring(0, 16)), m);
    }
  }

  /** The base64 of the serialized key (with its raw key bytes) in a JSON keyset. */
  static String secretOf(String json) {
    Matcher m = Pattern.compile("\"value\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
    assertTrue(m.find(), json.length() + " chars of JSON without a value");
    return m.group(1);
  }
}
