package io.litevault.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.testing.ChildJvm;
import io.litevault.testing.EmbeddedS3;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "A typo never destroys data", items 5 and 7, for {@code litevault-backup} as a child process: a source
 * endpoint that accepts and never answers ends within a minute naming it, with a line per retry; no
 * credentials at all says so, naming the variables the CLI reads.
 */
class BackupCliMistakesTest {
  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  static Result cli(Map<String, String> env, String... args) throws Exception {
    List<String> out = Collections.synchronizedList(new ArrayList<>());
    try (ChildJvm child = ChildJvm.start(env, BackupCli.class, out::add, args)) {
      int code = child.waitFor(60); // throws if it takes longer
      return new Result(code, String.join("\n", out), child.stderr());
    }
  }

  @Test
  void aSourceThatNeverAnswersEndsWithinAMinuteNamingIt() throws Exception {
    try (io.litevault.testing.SilentEndpoint silent = io.litevault.testing.SilentEndpoint.start()) {
      String endpoint = silent.endpoint();
      Map<String, String> env = Map.of("SOURCE_AWS_ACCESS_KEY_ID", "someone", "SOURCE_AWS_SECRET_ACCESS_KEY", "secret-1");
      Result r = cli(env, "--source", "s3://app/", "--source-endpoint", endpoint,
          "--target", dir.toUri().toString(), "--tier", "daily");
      assertEquals(BackupCli.UNAVAILABLE, r.code(), r.out() + r.err());
      assertTrue(r.err().contains("127.0.0.1:" + silent.port()), "names the endpoint: " + r.err());
      assertTrue(r.err().toLowerCase().contains("retry"), "says what it retries: " + r.err());
    }
  }

  @Test
  void noCredentialsAtAllSaysSoNamingTheVariables() throws Exception {
    try (EmbeddedS3 s3 = EmbeddedS3.builder().bucket("app").start()) {
      Map<String, String> env = new HashMap<>();
      for (String k : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
          "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY",
          "SOURCE_AWS_ACCESS_KEY_ID", "SOURCE_AWS_SECRET_ACCESS_KEY", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
          "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
        env.put(k, null);
      }
      env.put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("none").toString());
      env.put("AWS_CONFIG_FILE", dir.resolve("none").toString());
      env.put("AWS_EC2_METADATA_DISABLED", "true");
      for (String client : List.of("minio", "aws")) {
        Result r = cli(env, "--source", "s3://app/", "--source-endpoint", s3.endpoint().toString(),
            "--source-client", client, "--target", dir.toUri().toString(), "--tier", "daily");
        assertEquals(BackupCli.UNAVAILABLE, r.code(), client + ": " + r.out() + r.err());
        assertTrue(r.err().contains("no credentials"), client + ": " + r.err());
        assertTrue(r.err().contains("SOURCE_AWS_ACCESS_KEY_ID") && r.err().contains("SOURCE_AWS_SECRET_ACCESS_KEY"),
            client + ": " + r.err());
        assertFalse(r.err().contains("OTHER (no answer)"), client + ": " + r.err());
      }
    }
  }
}
