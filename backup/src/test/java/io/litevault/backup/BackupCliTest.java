package io.litevault.backup;

import static io.litevault.backup.TwoBuckets.contents;
import static io.litevault.backup.TwoBuckets.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.ObjectStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against real buckets (MinIO client on the source, AWS SDK on the target) and file stores. */
class BackupCliTest {
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

  static Result run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BackupCli.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  private static String[] s3Args(String src, String dst, String tier) {
    String endpoint = b.s3.endpoint().toString();
    return new String[] {"--source", "s3://" + TwoBuckets.SOURCE_BUCKET + "/" + src, "--source-endpoint", endpoint,
        "--target", "s3://" + TwoBuckets.TARGET_BUCKET + "/" + dst, "--target-endpoint", endpoint, "--tier", tier};
  }

  @Test
  void copiesBetweenBucketsWithCredentialsFromTheEnvironmentOnly() {
    put(b.source, "cli/app/a", "a");
    put(b.source, "cli/db/data/lineages/20261123T000000000Z-0000000a/snapshots/0000000000000001.lvsn", "snap");
    put(b.source, "cli/db/data/lease", "lease");
    Result daily = run(env, s3Args("cli/", "cli-backups/", "daily"));
    assertEquals(BackupCli.OK, daily.code(), daily.err());
    assertTrue(daily.out().contains("tier daily SUCCEEDED: 2 copied"), daily.out());
    Result week = run(env, s3Args("cli/", "cli-backups/", "1-week"));
    assertEquals(BackupCli.OK, week.code(), week.err());
    Map<String, String> expected = contents(b.source, "cli/");
    expected.remove("db/data/lease");
    assertEquals(expected, contents(b.target, "cli-backups/daily/"));
    assertEquals(expected, contents(b.target, "cli-backups/1-week/"));
    assertFalse((daily.out() + daily.err() + week.out() + week.err()).contains(b.s3.secretKey()), "no secret printed");
  }

  @Test
  void rejectedCredentialsExitThreeWithoutPrintingTheSecret() {
    String secret = "wrong-secret-value-123456";
    Map<String, String> bad = Map.of("SOURCE_AWS_ACCESS_KEY_ID", "nobody", "SOURCE_AWS_SECRET_ACCESS_KEY", secret,
        "TARGET_AWS_ACCESS_KEY_ID", b.s3.accessKey(), "TARGET_AWS_SECRET_ACCESS_KEY", b.s3.secretKey());
    Result r = run(bad, s3Args("cli/", "cli-bad/", "daily"));
    assertEquals(BackupCli.UNAVAILABLE, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("litevault-backup: "), r.err());
    assertFalse((r.out() + r.err()).contains(secret));
    Result half = run(Map.of("SOURCE_AWS_ACCESS_KEY_ID", "x"), s3Args("cli/", "cli-bad/", "daily"));
    assertEquals(BackupCli.USAGE, half.code());
    assertTrue(half.err().contains("SOURCE_AWS_SECRET_ACCESS_KEY"), half.err());
  }

  @Test
  void badArgumentsExitTwoWithAOneLineReason() {
    Result missing = run(env, "--source", "s3://x");
    assertEquals(BackupCli.USAGE, missing.code());
    assertTrue(missing.err().contains("--target") && missing.err().contains("--tier"), missing.err());
    Result scheme = run(env, "--source", "http://x/y", "--target", "file:///tmp", "--tier", "daily");
    assertEquals(BackupCli.USAGE, scheme.code());
    assertEquals("litevault-backup: --source 'http://x/y' must start with s3:// or file://", scheme.err().strip());
    Result tier = run(env, "--source", "file:///tmp", "--target", "file:///tmp", "--tier", "monthly");
    assertEquals(BackupCli.USAGE, tier.code());
    assertTrue(tier.err().contains("'monthly'"), tier.err());
    Result client = run(env, "--source", "s3://b", "--target", "file:///tmp", "--tier", "daily", "--source-client", "gcs");
    assertEquals(BackupCli.USAGE, client.code());
    assertTrue(client.err().contains("'gcs'"), client.err());
  }

  @Test
  void helpDocumentsTheExitCodesAndTheEnvironment() {
    Result help = run(env, "--help");
    assertEquals(0, help.code());
    for (String s : new String[] {"Exit codes", "  7  a store is unusable", "TARGET_AWS_SECRET_ACCESS_KEY", "--source-client"}) {
      assertTrue(help.out().contains(s), s + " in " + help.out());
    }
  }

  @Test
  void copiesBetweenDirectories(@TempDir Path src, @TempDir Path dst) {
    ObjectStore s = FileSystemObjectStore.create(src);
    put(s, "photos/1.jpg", "jpeg");
    Result r = run(Map.of(), "--source", src.toUri().toString(), "--target", dst.toUri().toString(), "--tier", "daily");
    assertEquals(BackupCli.OK, r.code(), r.err());
    assertEquals(Map.of("photos/1.jpg", "jpeg"), contents(FileSystemObjectStore.create(dst), "daily/"));
    Result gone = run(Map.of(), "--source", src.resolve("missing").toUri().toString(), "--target", dst.toUri().toString(),
        "--tier", "daily");
    assertEquals(BackupCli.UNAVAILABLE, gone.code(), gone.err());
    assertTrue(gone.err().contains("directory does not exist"), gone.err());
  }
}
