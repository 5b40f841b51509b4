package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.KeysetHandle;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.crypt.KeyProviders;
import io.litevault.bucket.crypt.TestKeys;
import io.litevault.bucket.s3.MinioObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.follow.Follower;
import io.litevault.replication.follow.FollowerOptions;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.Codec;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import io.litevault.testing.EmbeddedS3Extension;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Replication with encryption on, end to end with real parts: a real SQLite database replicated (segments,
 * snapshots, compacted ranges) to the embedded S3 server through the MinIO client and through the AWS SDK.
 * Proves: no plaintext in the bucket (a marker written in the database is found in no byte of any object,
 * while the same run without encryption finds it: the grep works); restore(replicate(x)) == x; a key rotation
 * in the middle of a lineage (objects under both key ids, both restore); a backup tier's byte-for-byte copy
 * under another prefix restores; a follower decrypts; no keys, or an old keyset, fail with the typed error
 * naming the object and the key id.
 */
class EncryptedReplicationTest {
  @RegisterExtension
  static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();

  enum Client { MINIO, AWS }

  @TempDir
  Path dir;

  static ObjectStore raw(Client client) {
    EmbeddedS3 s3 = S3.server();
    S3Options o = S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString()).region(s3.region())
        .credentials(s3.accessKey(), s3.secretKey()).build();
    return client == Client.MINIO ? MinioObjectStore.create(o) : S3ObjectStore.create(o);
  }

  static SqliteStore open(Path live) {
    return SqliteStore.builder(live).database("data", DatabaseOptions.builder()
        .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build()).open();
  }

  static ReplicatorOptions options(ObjectStore bucket, String prefix, Path work) {
    return ReplicatorOptions.builder(bucket, prefix).minUploadInterval(Duration.ZERO).codec(Codec.NONE)
        .replicatedBatchWindow(Duration.ZERO).compactionWindows(List.of(Duration.ofSeconds(1)))
        .workDirectory(work).build();
  }

  static void insert(Replicator r, String marker, int from, int n) throws Exception {
    r.write(c -> {
      try (var ps = c.prepareStatement("INSERT INTO t(id, v) VALUES (?, ?)")) {
        for (int i = from; i < from + n; i++) {
          ps.setInt(1, i);
          ps.setString(2, marker + " row " + i);
          ps.executeUpdate();
        }
      }
      return null;
    }, Durability.REPLICATED).get();
  }

  /** Every object under the prefix, as stored. */
  static List<byte[]> storedBodies(ObjectStore raw, String prefix) throws Exception {
    List<byte[]> out = new java.util.ArrayList<>();
    try (Stream<ObjectInfo> all = raw.list(prefix + "/")) {
      for (ObjectInfo o : all.toList()) {
        try (InputStream in = raw.get(o.key())) {
          out.add(in.readAllBytes());
        }
      }
    }
    return out;
  }

  static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @ParameterizedTest
  @EnumSource(Client.class)
  void noPlaintextInTheBucketAndRestoreGivesTheSourceAcrossARotation(Client client) throws Exception {
    String marker = "MARKER-" + UUID.randomUUID();
    byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
    String prefix = "enc-" + client + "-" + UUID.randomUUID().toString().substring(0, 8) + "/data";
    KeysetHandle first = TestKeys.fresh();
    KeysetHandle rotated = TestKeys.rotated(first);
    int firstId = first.getPrimary().getId();
    int secondId = rotated.getPrimary().getId();
    try (ObjectStore raw = raw(client)) {
      Path live = dir.resolve("live");
      String beforeRotation;
      String source;
      ReplicaPosition before;
      ReplicaPosition after;
      SqliteStore store = open(live);
      try {
        try (Replicator r = Replicator.start(store.database("data"),
            options(EncryptedObjectStore.wrap(raw, TestKeys.provider(first)), prefix, dir.resolve("work")))) {
          insert(r, marker, 0, 200);
          insert(r, marker, 200, 50);
          Database db = store.database("data");
          before = r.positionOf(db.lastTxid()).orElseThrow();
          beforeRotation = db.read(Dumps::dump);
        }
        // the keyset rotated, the process restarted: the lineage continues with the new primary key
        try (Replicator r = Replicator.start(store.database("data"),
            options(EncryptedObjectStore.wrap(raw, TestKeys.provider(rotated)), prefix, dir.resolve("work")))) {
          for (int i = 250; i < 350; i += 20) { // several segments in one compaction window: a range worth uploading
            insert(r, marker, i, 20);
          }
          Thread.sleep(1100); // past the compaction window: a compacted range is written at the next segment
          insert(r, marker, 350, 10);
          Database db = store.database("data");
          after = r.positionOf(db.lastTxid()).orElseThrow();
          source = db.read(Dumps::dump);
        }
      } finally {
        store.close();
      }
      assertEquals(before.lineage(), after.lineage(), "the rotation happened inside one lineage");
      assertTrue(source.contains(marker));

      // no object holds the marker, every object is in the encrypted format, and both key ids are used
      Set<Integer> ids = new TreeSet<>();
      Set<BucketLayout.Kind> kinds = new TreeSet<>();
      try (Stream<ObjectInfo> all = raw.list(prefix + "/")) {
        all.forEach(o -> BucketLayout.locate(o.key()).ifPresent(l -> kinds.add(l.kind())));
      }
      List<byte[]> bodies = storedBodies(raw, prefix);
      assertTrue(bodies.size() >= 4, "objects: " + bodies.size());
      for (byte[] b : bodies) {
        assertFalse(contains(b, needle), "plaintext marker found in the bucket");
        assertArrayEquals("LVEN".getBytes(StandardCharsets.US_ASCII), java.util.Arrays.copyOf(b, 4));
        ids.add(ByteBuffer.wrap(b, 5, 4).getInt());
      }
      assertEquals(new TreeSet<>(List.of(firstId, secondId)), ids, "objects under both keys");
      assertTrue(kinds.containsAll(List.of(BucketLayout.Kind.SNAPSHOT, BucketLayout.Kind.SEGMENT, BucketLayout.Kind.COMPACTED,
          BucketLayout.Kind.LEASE_GENERATION)), "kinds: " + kinds);

      // restore(replicate(x)) == x, before and after the rotation, with the rotated keyset
      EncryptedObjectStore keys = EncryptedObjectStore.wrap(raw, TestKeys.provider(rotated));
      Path out = dir.resolve("restored.db");
      Restore.run(RestoreOptions.builder(keys, prefix, out).build());
      assertEquals(source, Dumps.dump(out));
      assertEquals("ok", Dumps.integrity(out));
      Path older = dir.resolve("older.db");
      Restore.run(RestoreOptions.builder(keys, prefix, older).lineage(before.lineage()).txid(before.txid()).build());
      assertEquals(beforeRotation, Dumps.dump(older));

      // a backup tier copies the stored bytes under its own prefix, without the key: it restores the same
      String tier = "daily/" + prefix;
      try (Stream<ObjectInfo> all = raw.list(prefix + "/")) {
        all.toList().forEach(o -> raw.copy(o.key(), "daily/" + o.key()));
      }
      Path fromTier = dir.resolve("from-tier.db");
      Restore.run(RestoreOptions.builder(keys, tier, fromTier).build());
      assertEquals(source, Dumps.dump(fromTier));

      // a follower decrypts too
      try (Follower f = Follower.open(FollowerOptions.builder(keys, prefix, dir.resolve("follower.db")).build())) {
        assertTrue(f.await(after, Duration.ofSeconds(30)));
        assertEquals(source, f.read(Dumps::dump));
      }

      // without the keys, or with the keyset from before the rotation: the typed error, naming object and key id
      RestoreException none = assertThrows(RestoreException.class,
          () -> Restore.run(RestoreOptions.builder(raw, prefix, dir.resolve("no-keys.db")).build()));
      assertEquals(RestoreException.Kind.CORRUPT_OBJECT, none.kind(), none.getMessage());
      EncryptedObjectStore old = EncryptedObjectStore.wrap(raw, TestKeys.provider(first));
      RestoreException stale = assertThrows(RestoreException.class,
          () -> Restore.run(RestoreOptions.builder(old, prefix, dir.resolve("old-keys.db")).build()));
      assertTrue(stale.getMessage().contains("key id " + Integer.toUnsignedString(secondId)), stale.getMessage());
      assertTrue(stale.getMessage().contains(prefix + "/lineages/"), stale.getMessage());
      assertFalse(stale.getMessage().contains(TestKeys.json(rotated).substring(40, 80)));
    }
  }

  /** The control: the same replication without encryption does leave the marker in the bucket. */
  @ParameterizedTest
  @EnumSource(Client.class)
  void withoutEncryptionTheMarkerIsFound(Client client) throws Exception {
    String marker = "MARKER-" + UUID.randomUUID();
    String prefix = "plain-" + client + "-" + UUID.randomUUID().toString().substring(0, 8) + "/data";
    try (ObjectStore raw = raw(client)) {
      SqliteStore store = open(dir.resolve("live"));
      try (Replicator r = Replicator.start(store.database("data"), options(raw, prefix, dir.resolve("work")))) {
        insert(r, marker, 0, 20);
      } finally {
        store.close();
      }
      assertTrue(storedBodies(raw, prefix).stream()
          .anyMatch(b -> contains(b, marker.getBytes(StandardCharsets.UTF_8))));
    }
  }

  @ParameterizedTest
  @EnumSource(Client.class)
  void theObjectStoresFactoryOpensAnEncryptedStore(Client client) throws Exception {
    Path keyset = dir.resolve("keyset.json");
    KeysetHandle k = TestKeys.fresh();
    java.nio.file.Files.writeString(keyset, TestKeys.json(k));
    EmbeddedS3 s3 = S3.server();
    io.litevault.bucket.ObjectStoreOptions o = io.litevault.bucket.ObjectStoreOptions.builder()
        .client(client == Client.MINIO ? io.litevault.bucket.ObjectStoreOptions.Client.MINIO
            : io.litevault.bucket.ObjectStoreOptions.Client.AWS)
        .endpoint(s3.endpoint().toString()).region(s3.region())
        .environment(java.util.Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey()))
        .encryption(KeyProviders.keysetFile(keyset)).build();
    assertTrue(o.toString().contains("encryption=keyset file " + keyset), o.toString());
    try (io.litevault.bucket.OpenedStore opened = io.litevault.bucket.ObjectStores.openReplica("s3://" + s3.bucket()
        + "/factory", "db", o); ObjectStore raw = raw(client)) {
      assertTrue(opened.store() instanceof EncryptedObjectStore);
      opened.store().put(opened.keyPrefix() + "x", "secret words".getBytes(StandardCharsets.UTF_8));
      try (InputStream in = raw.get("factory/db/x")) {
        assertFalse(contains(in.readAllBytes(), "secret words".getBytes(StandardCharsets.UTF_8)));
      }
      try (InputStream in = opened.store().get("factory/db/x")) {
        assertEquals("secret words", new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }
}
