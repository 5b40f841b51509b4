package io.litevault.bench;

import io.litevault.testing.EmbeddedS3;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Litestream 0.3.13 as the harnesses run it beside an application: the binary (the npm package by
 * default), a generated config for one database replicated to one S3 prefix with every other setting at
 * its default (sync-interval and monitor interval 1 s, checkpoints as Litestream does them), credentials
 * from {@code LITESTREAM_*} environment variables, {@code replicate} and {@code restore}.
 */
final class Litestream {
  /** Where {@link #INSTALL} puts the binary. */
  static final Path NPM_BINARY = Path.of("/tmp/ls/node_modules/@flydotio/litestream-linux-x64/litestream");
  static final String INSTALL = "npm install --prefix /tmp/ls @flydotio/litestream-linux-x64@1.0.1";

  private final Path binary;
  private final Path config;
  private final Path db;
  private final EmbeddedS3 s3;

  private Litestream(Path binary, Path config, Path db, EmbeddedS3 s3) {
    this.binary = binary;
    this.config = config;
    this.db = db;
    this.s3 = s3;
  }

  /** {@code explicit} if given, else the npm package's binary if it is there, else null. */
  static Path find(Path explicit) {
    return explicit != null ? explicit : Files.isExecutable(NPM_BINARY) ? NPM_BINARY : null;
  }

  /** Why a run without the binary cannot include Litestream, and how to get it. */
  static String missing(Path binary) {
    return "no Litestream binary at " + (binary != null ? binary : NPM_BINARY) + " (" + INSTALL
        + ", or --litestream PATH)";
  }

  /**
   * Writes {@code dir/litestream.yml} replicating {@code db} to {@code prefix} of {@code s3}'s bucket through
   * {@code endpoint} (the server's own, or a proxy in front of it).
   */
  static Litestream configure(Path binary, Path dir, Path db, EmbeddedS3 s3, URI endpoint, String prefix)
      throws IOException {
    if (binary == null || !Files.isExecutable(binary)) {
      throw new IllegalStateException(missing(binary));
    }
    Path config = dir.resolve("litestream.yml");
    Files.writeString(config, String.join("\n",
        "dbs:",
        "  - path: " + db,
        "    replicas:",
        "      - type: s3",
        "        bucket: " + s3.bucket(),
        "        path: " + prefix,
        "        endpoint: " + endpoint,
        "        region: " + s3.region(),
        "        force-path-style: true",
        ""), StandardCharsets.UTF_8);
    return new Litestream(binary, config, db, s3);
  }

  /** {@code litestream replicate}, its output to {@code log}. */
  Process replicate(Path log) throws IOException {
    return start(log, "replicate", "-config", config.toString());
  }

  /**
   * Waits until {@code ls} has put the generation's first snapshot into the server's directory under
   * {@code prefix}.
   */
  void awaitSnapshot(Process ls, String prefix, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (BenchSupport.uploadTimes(s3, prefix, ".snapshot.lz4").isEmpty()) {
      if (!ls.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("litestream wrote no snapshot: " + Files.readString(log));
      }
      Thread.sleep(50);
    }
  }

  /** {@code litestream restore} of the latest state into {@code out}; fails unless it exits 0. */
  void restore(Path out, Path log) throws IOException, InterruptedException {
    Process restore = start(log, "restore", "-config", config.toString(), "-o", out.toString(), db.toString());
    if (!restore.waitFor(300, TimeUnit.SECONDS) || restore.exitValue() != 0) {
      restore.destroyForcibly();
      throw new IllegalStateException("litestream restore failed: " + Files.readString(log));
    }
  }

  private Process start(Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("LITESTREAM_ACCESS_KEY_ID", s3.accessKey());
    pb.environment().put("LITESTREAM_SECRET_ACCESS_KEY", s3.secretKey());
    return pb.start();
  }
}
