package io.litevault.backup;

import static io.litevault.backup.TwoBuckets.contents;
import static io.litevault.backup.TwoBuckets.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ListEntry;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreMetrics;
import io.litevault.bucket.PutResult;
import io.litevault.testing.ChildJvm;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * "A typo never destroys data", item 2: two runs against the same tier at once. The second (a CLI child
 * process) is refused while the first holds the tier's lease, naming the holder and its expiry; an expired
 * lease (a run killed with kill -9) is taken over.
 */
class BackupLeaseTest {
  static TwoBuckets b;
  static Map<String, String> env;

  @BeforeAll
  static void start() {
    b = new TwoBuckets();
    env = Map.of("SOURCE_AWS_ACCESS_KEY_ID", b.s3.accessKey(), "SOURCE_AWS_SECRET_ACCESS_KEY", b.s3.secretKey(),
        "TARGET_AWS_ACCESS_KEY_ID", b.s3.accessKey(), "TARGET_AWS_SECRET_ACCESS_KEY", b.s3.secretKey());
  }

  @AfterAll
  static void stop() {
    b.close();
  }

  record Result(int code, String out, String err) {}

  static Result cli(String src, String dst) throws Exception {
    String endpoint = b.s3.endpoint().toString();
    List<String> out = Collections.synchronizedList(new ArrayList<>());
    try (ChildJvm child = ChildJvm.start(env, BackupCli.class, out::add, "--source",
        "s3://" + TwoBuckets.SOURCE_BUCKET + "/" + src, "--source-endpoint", endpoint,
        "--target", "s3://" + TwoBuckets.TARGET_BUCKET + "/" + dst, "--target-endpoint", endpoint, "--tier", "daily")) {
      int code = child.waitFor(120);
      return new Result(code, String.join("\n", out), child.stderr());
    }
  }

  @Test
  void aSecondRunOnTheSameTierIsRefusedWhileTheFirstHoldsIt() throws Exception {
    for (int i = 0; i < 5; i++) {
      put(b.source, "one/app/" + i, "one " + i);
      put(b.source, "two/other/" + i, "two " + i);
    }
    CountDownLatch copying = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ObjectStore held = new HoldingStore(b.target, copying, release);
    BackupOptions options = BackupOptions.builder(b.source, held).sourcePrefix("one/").targetPrefix("both/").build();
    CompletableFuture<TierRunReport> first;
    try (TieredBackup backup = TieredBackup.create(options)) {
      first = CompletableFuture.supplyAsync(() -> backup.runNow("daily"));
      assertTrue(copying.await(60, TimeUnit.SECONDS), "the first run is copying");
      Result second = cli("two/", "both/"); // another source, same tier: it would delete what the first copies
      assertEquals(BackupCli.REFUSED, second.code(), second.out() + second.err());
      assertTrue(second.err().contains("pid " + ProcessHandle.current().pid()), "names the holder: " + second.err());
      assertTrue(second.err().contains("expires"), second.err());
      release.countDown();
      TierRunReport r = first.get(60, TimeUnit.SECONDS);
      assertEquals(RunStatus.SUCCEEDED, r.status(), r.toString());
    }
    Map<String, String> one = contents(b.source, "one/");
    assertEquals(one, contents(b.target, "both/daily/"), "the first run's copy is whole");
    assertEquals(Optional.empty(), b.target.stat("both/daily/_litevault/lease"), "released at the end");
  }

  @Test
  void anExpiredLeaseIsTakenOverAndALiveOneOfAnotherHostIsNot() throws Exception {
    put(b.source, "three/app/a", "a");
    b.target.put("three-b/daily/_litevault/lease", ("litevault-backup lease\nowner=otherhost pid 4242\nnonce=n1\n"
        + "expires=" + Instant.now().plusSeconds(600) + "\n").getBytes(StandardCharsets.UTF_8));
    Result live = cli("three/", "three-b/");
    assertEquals(BackupCli.REFUSED, live.code(), live.out() + live.err());
    assertTrue(live.err().contains("otherhost pid 4242"), live.err());
    assertEquals(Map.of(), contents(b.target, "three-b/daily/"));

    b.target.put("three-b/daily/_litevault/lease", ("litevault-backup lease\nowner=otherhost pid 4242\nnonce=n2\n"
        + "expires=" + Instant.now().minusSeconds(1) + "\n").getBytes(StandardCharsets.UTF_8));
    Result expired = cli("three/", "three-b/");
    assertEquals(BackupCli.OK, expired.code(), expired.out() + expired.err());
    assertEquals(Map.of("app/a", "a"), contents(b.target, "three-b/daily/"));
    assertEquals(Optional.empty(), b.target.stat("three-b/daily/_litevault/lease"));
  }

  /** Holds the first data put into the tier until released. */
  static final class HoldingStore implements ObjectStore {
    private final ObjectStore d;
    private final CountDownLatch copying;
    private final CountDownLatch release;

    HoldingStore(ObjectStore d, CountDownLatch copying, CountDownLatch release) {
      this.d = d;
      this.copying = copying;
      this.release = release;
    }

    private void hold(String key) {
      if (!key.contains("_litevault/")) {
        copying.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override public PutResult put(String key, InputStream body, long length) { hold(key); return d.put(key, body, length); }
    @Override public boolean putIfAbsent(String key, byte[] body) { return d.putIfAbsent(key, body); }
    @Override public InputStream get(String key) { return d.get(key); }
    @Override public InputStream get(String key, long offset, long length) { return d.get(key, offset, length); }
    @Override public Optional<ObjectInfo> stat(String key) { return d.stat(key); }
    @Override public Stream<ObjectInfo> list(String prefix) { return d.list(prefix); }
    @Override public Stream<ListEntry> list(String prefix, String delimiter) { return d.list(prefix, delimiter); }
    @Override public void delete(String key) { d.delete(key); }
    @Override public void deleteAll(Collection<String> keys) { d.deleteAll(keys); }
    @Override public void copy(String sourceKey, String targetKey) { hold(targetKey); d.copy(sourceKey, targetKey); }
    @Override public void verify() { d.verify(); }
    @Override public ObjectStoreMetrics metrics() { return d.metrics(); }
    @Override public String describe() { return d.describe(); }
    @Override public void close() {}
  }
}
