package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.s3.S3ObjectStore;
import io.litevault.bucket.s3.S3Options;
import io.litevault.replication.format.HostileSnapshot;
import io.litevault.replication.format.SnapshotCodec;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.store.Database;
import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import io.litevault.testing.EmbeddedS3;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of the chunked snapshot (format version 2) and its parallel restore, through Restore.run. */
class ChunkReviewTest {
  @TempDir Path dir;
  private final String prefix = "c/data";

  /** A ~1.3 MiB database (half random blobs), replicated: one snapshot and one segment in {@code bucket}. */
  private String replicate(ObjectStore bucket, String name) throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir.resolve(name)).database("data", DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).migration(2, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)")
        .build()).open()) {
      Database db = store.database("data");
      db.writeAndWait(c -> {
        try (var s = c.createStatement()) {
          return s.executeUpdate("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 320) "
              + "INSERT INTO t(b) SELECT CASE WHEN i % 2 = 0 THEN randomblob(4000) ELSE zeroblob(4000) END FROM n");
        }
      });
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix).build())) {
        r.write(ReplicationTest.insert("x", "after the snapshot"), Durability.REPLICATED).get(30, TimeUnit.SECONDS);
      }
      return db.read(Dumps::dump);
    }
  }

  private static byte[] readAll(ObjectStore bucket, String key) throws Exception {
    try (InputStream in = bucket.get(key)) {
      return in.readAllBytes();
    }
  }

  /** The same snapshot re-encoded with {@code chunkPages} pages per chunk (same pages, same checksum). */
  private static byte[] rechunk(byte[] snapshot, int chunkPages) throws Exception {
    List<byte[]> pages = new ArrayList<>();
    SnapshotCodec.Header h = SnapshotCodec.read(new ByteArrayInputStream(snapshot), "s",
        (pgno, page, hash) -> pages.add(page.clone()));
    Path tmp = Files.createTempFile("rechunk", ".lvsn");
    try {
      SnapshotCodec.write(tmp, h, pgno -> pages.get(pgno - 1), chunkPages);
      return Files.readAllBytes(tmp);
    } finally {
      Files.delete(tmp);
    }
  }

  /** A hostile version-2 snapshot in place of {@code key}'s, with its header's identity, every CRC right. */
  private static byte[] hostile(byte[] original, int dbSizePages, int chunkPages, int chunkCount) throws Exception {
    SnapshotCodec.Header h = SnapshotCodec.readHeader(new DataInputStream(new ByteArrayInputStream(original)), "s", new long[1]);
    long[][] entries = new long[chunkCount][];
    for (int i = 0; i < chunkCount; i++) {
      entries[i] = new long[] {0, 0, 0}; // empty chunks: CRC-32C of nothing is 0, XOR of no page is 0
    }
    return HostileSnapshot.v2(HostileSnapshot.codecId(original), h.pageSize(), dbSizePages, h.txid(), h.timestampMillis(),
        h.walEnd().salt1(), h.walEnd().salt2(), h.walEnd().offset(), h.lineage(), chunkPages, chunkCount, entries,
        new byte[0], 0);
  }

  private Throwable restoreFailure(ObjectStore bucket, String out, int parallelism) {
    try {
      Restore.run(RestoreOptions.builder(bucket, prefix, dir.resolve(out)).parallelism(parallelism).build());
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  private static void assertCorrupt(Throwable t, String key) {
    assertNotNull(t, "the restore succeeded");
    if (!(t instanceof RestoreException r)) {
      throw new AssertionError("expected a RestoreException CORRUPT_OBJECT naming " + key + ", got " + t, t);
    }
    assertEquals(RestoreException.Kind.CORRUPT_OBJECT, r.kind(), r.getMessage());
    assertTrue(r.getMessage().contains(key), r.getMessage());
  }

  /**
   * Scenario: the snapshot object is replaced by a version-2 one whose header claims 0x7FFFFFF0 pages in
   * two chunks of 2^30 pages (empty chunk bytes, all CRCs right); restore with parallelism 4. What goes
   * wrong: {@code SnapshotFetch.parallel} allocates {@code new long[dbSizePages]} (16 GiB) before reading
   * a single chunk byte: an OutOfMemoryError instead of CORRUPT_OBJECT.
   */
  @Test
  void aHugePageCountInTheParallelPathIsACorruptObjectNotAnOutOfMemoryError() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    replicate(bucket, "live");
    String key = Restore.plan(RestoreOptions.builder(bucket, prefix, dir.resolve("p.db")).build()).snapshot();
    bucket.put(key, hostile(readAll(bucket, key), 0x7FFFFFF0, 1 << 30, 2));
    assertCorrupt(restoreFailure(bucket, "bad.db", 4), key);
  }

  /**
   * Scenario: the snapshot object is replaced by a version-2 one claiming Integer.MAX_VALUE pages in one
   * chunk of Integer.MAX_VALUE pages (empty chunk, all CRCs right); restore with parallelism 1 (the
   * streaming path). What goes wrong: the chunk loop's bound overflows, no page is read, the codec
   * accepts the snapshot, then {@code DatabaseChecksum.resize(2^31-1)} throws OutOfMemoryError
   * ("Requested array size exceeds VM limit") instead of CORRUPT_OBJECT.
   */
  @Test
  void aMaxPageCountInTheStreamingPathIsACorruptObjectNotAnOutOfMemoryError() throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    replicate(bucket, "live");
    String key = Restore.plan(RestoreOptions.builder(bucket, prefix, dir.resolve("p.db")).build()).snapshot();
    bucket.put(key, hostile(readAll(bucket, key), Integer.MAX_VALUE, Integer.MAX_VALUE, 1));
    assertCorrupt(restoreFailure(bucket, "bad.db", 1), key);
  }

  /**
   * Scenario: a snapshot of several chunks (re-encoded with 16 pages per chunk) with ONE flipped byte in
   * its chunk index, in an S3 bucket read through the AWS SDK store (16 pooled connections); restored
   * with parallelism 4, again and again (a retry loop, RestoreOnBoot at each start, an operator). What
   * goes wrong: {@code SnapshotFetch.fetch} throws the index-CRC FormatException from
   * {@code SnapshotCodec.layout} without closing the object's first GET, so each failed restore leaks a
   * pooled HTTP connection; after 16, every request of that store waits for a connection: the 17th
   * restore hangs (then fails as a bucket error, not CORRUPT_OBJECT), and so would the replicator.
   */
  @Test
  void aCorruptIndexDoesNotLeakTheFirstGetsConnection() throws Exception {
    try (EmbeddedS3 s3 = EmbeddedS3.start()) {
      S3Options o = S3Options.builder(s3.bucket()).endpoint(s3.endpoint().toString()).region(s3.region())
          .credentials(s3.accessKey(), s3.secretKey()).build();
      try (ObjectStore aws = S3ObjectStore.create(o)) {
        replicate(aws, "live");
        String key = Restore.plan(RestoreOptions.builder(aws, prefix, dir.resolve("p.db")).build()).snapshot();
        byte[] chunked = rechunk(readAll(aws, key), 16);
        long payloadStart = SnapshotCodec.layout(chunked, key).payloadStart();
        assertTrue(SnapshotCodec.layout(chunked, key).chunks().size() > 2);
        assertTrue(chunked.length > 4 * 65536, "larger than the first GET reads: " + chunked.length);
        chunked[(int) payloadStart - 10] ^= 0x01; // in the last index entry's page-hash XOR
        aws.put(key, chunked);
        for (int i = 1; i <= 20; i++) {
          int n = i;
          Throwable t = assertTimeoutPreemptively(Duration.ofSeconds(8), () -> restoreFailure(aws, "bad-" + n + ".db", 4),
              "restore #" + n + " of the snapshot with a damaged index");
          assertCorrupt(t, key);
        }
      }
    }
  }

  /**
   * {@code bucket} with every ranged GET of {@code key} passed through {@code onRange} (call number from 1,
   * the delegate, offset, length, the delegate's answer supplier).
   */
  interface RangeHook {
    InputStream get(int n, ObjectStore delegate, long offset, long length) throws Exception;
  }

  private static ObjectStore hooked(ObjectStore delegate, String key, RangeHook hook) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return (ObjectStore) java.lang.reflect.Proxy.newProxyInstance(ObjectStore.class.getClassLoader(),
        new Class<?>[] {ObjectStore.class}, (proxy, m, args) -> {
          if (m.getName().equals("get") && args.length == 3 && key.equals(args[0])) {
            return hook.get(n.incrementAndGet(), delegate, (Long) args[1], (Long) args[2]);
          }
          try {
            return m.invoke(delegate, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** A file bucket holding the replicated database with its snapshot re-encoded in chunks of {@code chunkPages}. */
  private ObjectStore rechunked(int chunkPages, String[] keyAndDump) throws Exception {
    ObjectStore bucket = FileSystemObjectStore.create(Files.createDirectories(dir.resolve("bucket")));
    keyAndDump[1] = replicate(bucket, "live");
    keyAndDump[0] = Restore.plan(RestoreOptions.builder(bucket, prefix, dir.resolve("p.db")).build()).snapshot();
    bucket.put(keyAndDump[0], rechunk(readAll(bucket, keyAndDump[0]), chunkPages));
    return bucket;
  }

  /**
   * Passing scenario: hundreds of chunks (one page each) restored with parallelism 1, 2 and 16 give the
   * source's dump and pass the integrity check.
   */
  @Test
  void hundredsOfChunksRestoreWithAnyParallelism() throws Exception {
    String[] kd = new String[2];
    ObjectStore bucket = rechunked(1, kd);
    for (int p : new int[] {1, 2, 16}) {
      Path out = dir.resolve("out-" + p + ".db");
      Restore.run(RestoreOptions.builder(bucket, prefix, out).parallelism(p).build());
      assertEquals(kd[1], Dumps.dump(out), "parallelism " + p);
      assertEquals("ok", Dumps.integrity(out));
    }
  }

  /**
   * Passing scenario: the snapshot is deleted (retention) after its third ranged GET: MISSING_OBJECT
   * naming it, no output; a ranged GET answering only half its bytes: CORRUPT_OBJECT, no output.
   */
  @Test
  void aSnapshotDeletedOrShortMidRestoreIsTyped() throws Exception {
    String[] kd = new String[2];
    ObjectStore bucket = rechunked(8, kd);
    String key = kd[0];
    byte[] original = readAll(bucket, key);
    ObjectStore deleting = hooked(bucket, key, (n, d, off, len) -> {
      if (n == 3) {
        d.delete(key);
      }
      return d.get(key, off, len);
    });
    Throwable t = restoreFailure(deleting, "gone.db", 4);
    assertTrue(t instanceof RestoreException r && r.kind() == RestoreException.Kind.MISSING_OBJECT
        && r.getMessage().contains(key), String.valueOf(t));
    assertFalse(Files.exists(dir.resolve("gone.db")));
    bucket.put(key, original);
    ObjectStore shortReads = hooked(bucket, key, (n, d, off, len) -> n == 5
        ? new ByteArrayInputStream(d.get(key, off, len).readNBytes((int) len / 2)) : d.get(key, off, len));
    assertCorrupt(restoreFailure(shortReads, "short.db", 4), key);
    assertFalse(Files.exists(dir.resolve("short.db")));
    Path ok = dir.resolve("ok.db");
    Restore.run(RestoreOptions.builder(bucket, prefix, ok).parallelism(4).build());
    assertEquals(kd[1], Dumps.dump(ok));
  }
}
