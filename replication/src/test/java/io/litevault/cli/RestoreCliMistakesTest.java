package io.litevault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.testing.ChildJvm;
import io.litevault.testing.EmbeddedS3;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "A typo never destroys data", items 5 and 7, for {@code restore} as a child process: an endpoint that
 * accepts and never answers ends within a minute with a message naming it and a line per retry; no
 * credentials at all says so, and where they are read from.
 */
class RestoreCliMistakesTest {
  @TempDir Path dir;

  /** The environment of a machine with no AWS credentials anywhere (no instance metadata either). */
  static Map<String, String> noCredentials(Path dir) {
    Map<String, String> env = new HashMap<>();
    for (String k : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD")) {
      env.put(k, null);
    }
    env.put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-credentials").toString());
    env.put("AWS_CONFIG_FILE", dir.resolve("no-config").toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    return env;
  }

  record Result(int code, String out, String err) {}

  static Result restore(Map<String, String> env, String... args) throws Exception {
    List<String> out = Collections.synchronizedList(new ArrayList<>());
    try (ChildJvm child = ChildJvm.start(env, RestoreCommand.class, out::add, args)) {
      int code = child.waitFor(60); // throws if it takes longer
      return new Result(code, String.join("\n", out), child.stderr());
    }
  }

  @Test
  void anEndpointThatNeverAnswersEndsWithinAMinuteNamingItAndTheRetries() throws Exception {
    try (io.litevault.testing.SilentEndpoint silent = io.litevault.testing.SilentEndpoint.start()) {
      String endpoint = silent.endpoint();
      Map<String, String> env = new HashMap<>(Map.of("AWS_ACCESS_KEY_ID", "someone", "AWS_SECRET_ACCESS_KEY", "secret-9"));
      Result r = restore(env, "--source", "s3://bucket/prefix", "--endpoint", endpoint, "--database", "data",
          "--output", dir.resolve("data.db").toString());
      assertEquals(ExitCode.STORE_UNAVAILABLE.code, r.code(), r.err());
      assertTrue(r.err().contains("127.0.0.1:" + silent.port()), "names the endpoint: " + r.err());
      assertTrue(r.err().contains("no answer") || r.err().contains("unreachable"), r.err());
      assertTrue(r.err().toLowerCase().contains("retry"), "says what it retries: " + r.err());
      assertFalse(Files.exists(dir.resolve("data.db")));
    }
  }

  /** Ctrl-C in the middle of a download leaves no {@code *.restoring-<pid>} file behind. */
  @Test
  void ctrlCDuringARestoreLeavesNoTemporaryFile() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(io.litevault.testing.ChildJvm.sigintIgnored(),
        "this build runs with SIGINT ignored (started in the background): no child JVM can be interrupted");
    try (EmbeddedS3 s3 = EmbeddedS3.builder().bucket("bucket").start();
        io.litevault.testing.FaultProxy proxy = io.litevault.testing.FaultProxy.start(s3.endpoint())) {
      io.litevault.bucket.ObjectStore bucket = io.litevault.bucket.s3.S3ObjectStore.create(
          io.litevault.bucket.s3.S3Options.builder("bucket").endpoint(s3.endpoint().toString())
              .region(s3.region()).credentials(s3.accessKey(), s3.secretKey()).build());
      try (bucket; io.litevault.store.SqliteStore store = io.litevault.store.SqliteStore.builder(dir.resolve("live"))
          .database("data", io.litevault.store.DatabaseOptions.builder()
              .migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build()).open();
          io.litevault.replication.Replicator r = io.litevault.replication.Replicator.start(store.database("data"),
              io.litevault.replication.ReplicatorOptions.builder(bucket, "prefix/data").build())) {
        r.write(c -> c.createStatement().executeUpdate("INSERT INTO t(v) VALUES ('x')"),
            io.litevault.replication.Durability.REPLICATED).get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
      proxy.inject(io.litevault.testing.Fault.stall(java.time.Duration.ofSeconds(60)), 10,
          h -> h.isObjectGet() && h.target().contains(".lvsn"));
      Path out = Files.createDirectories(dir.resolve("out"));
      Map<String, String> env = new HashMap<>(Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY",
          s3.secretKey()));
      try (ChildJvm child = ChildJvm.start(env, RestoreCommand.class, line -> { }, "--source", "s3://bucket/prefix",
          "--endpoint", proxy.endpoint().toString(), "--database", "data", "--output", out.resolve("data.db").toString())) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (temporaries(out).isEmpty()) {
          assertTrue(System.nanoTime() < deadline && child.alive(), "the restore never created its temporary file: "
              + child.stderr());
          Thread.sleep(20);
        }
        Thread.sleep(300); // now stuck in the snapshot's download
        child.interrupt();
        child.waitFor(30);
      }
      assertEquals(List.of(), temporaries(out), "files left by an interrupted restore");
      assertFalse(Files.exists(out.resolve("data.db")));
    }
  }

  static List<String> temporaries(Path dir) throws java.io.IOException {
    try (var files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".restoring-")).toList();
    }
  }

  @Test
  void noCredentialsAtAllSaysSoAndWhereTheyAreRead() throws Exception {
    try (EmbeddedS3 s3 = EmbeddedS3.builder().bucket("bucket").start()) {
      Result r = restore(noCredentials(dir), "--source", "s3://bucket/prefix", "--endpoint", s3.endpoint().toString(),
          "--database", "data", "--output", dir.resolve("data.db").toString());
      assertEquals(ExitCode.STORE_UNAVAILABLE.code, r.code(), r.err());
      assertTrue(r.err().contains("no credentials"), r.err());
      assertTrue(r.err().contains("AWS_ACCESS_KEY_ID") && r.err().contains("AWS_SECRET_ACCESS_KEY"), r.err());
      assertTrue(r.err().contains(".aws/credentials"), r.err());
      assertFalse(r.err().contains("OTHER (no answer)"), r.err());
    }
  }
}
