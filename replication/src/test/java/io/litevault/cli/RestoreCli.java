package io.litevault.cli;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.Dumps;
import io.litevault.replication.Durability;
import io.litevault.replication.ReplicationTest;
import io.litevault.replication.Replicator;
import io.litevault.replication.ReplicatorOptions;
import io.litevault.store.Database;
import io.litevault.store.SqliteStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Helpers for {@link RestoreCliIT}: runs {@code target/litevault-restore.jar} in a child JVM as a user
 * would, and writes a replica with known states to restore.
 */
final class RestoreCli {
  private RestoreCli() {}

  /** What a run printed and returned. */
  record Run(int exit, String out, String err) {
    String all() {
      return out + err;
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /** Runs the restore command in this JVM with the environment {@code env}: what it printed and returned. */
  static Run inProcess(Map<String, String> env, String... args) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    RestoreCommand command = new RestoreCommand(new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
        new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
    command.environment = env;
    int code = new picocli.CommandLine(command).execute(args);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Inserts {@code v} into table {@code t} as one REPLICATED write, and waits for it. */
  static void insert(Replicator r, String v) throws Exception {
    r.write(c -> {
      try (var ps = c.prepareStatement("INSERT INTO t(v) VALUES (?)")) {
        ps.setString(1, v);
        return ps.executeUpdate();
      }
    }, Durability.REPLICATED).get();
  }

  /** Runs the restore jar with {@code env} added to a clean environment (no AWS variables of the host). */
  static Run run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    Path jar = Path.of("target", "litevault-restore.jar").toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run the ITs with mvn verify (the package phase builds it)");
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("MINIO_"));
    pb.environment().put("AWS_EC2_METADATA_DISABLED", "true");
    pb.environment().putAll(env);
    Path outFile = Files.createTempFile("restore-cli", ".out");
    Path errFile = Files.createTempFile("restore-cli", ".err");
    pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("the restore jar did not finish in 60 s: " + cmd);
    }
    Run r = new Run(p.exitValue(), Files.readString(outFile, StandardCharsets.UTF_8), Files.readString(errFile, StandardCharsets.UTF_8));
    Files.delete(outFile);
    Files.delete(errFile);
    return r;
  }

  /**
   * A replica at {@code prefix} with two known states: {@code a} (txid {@code txidA}, everything committed
   * at or before {@code timeA}) and the latest {@code b} (txid {@code txidB}), several segments after the
   * lineage's snapshot.
   */
  record Replica(String stateA, long txidA, Instant timeA, String stateB, long txidB) {}

  static Replica write(ObjectStore bucket, String prefix, Path dir) throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", io.litevault.store.DatabaseOptions.builder()
        .migration(1, "post", ReplicationTest.SCHEMA).build()).open()) {
      Database db = store.database("data");
      try (Replicator r = Replicator.start(db, ReplicatorOptions.builder(bucket, prefix)
          .minUploadInterval(Duration.ofMillis(20)).build())) {
        for (int i = 0; i < 20; i++) {
          r.write(ReplicationTest.insert("ada", "first " + i), Durability.REPLICATED).get();
        }
        String a = db.read(Dumps::dump);
        long txidA = r.positionOf(db.lastTxid()).orElseThrow().txid();
        Thread.sleep(20);
        Instant timeA = Instant.now();
        Thread.sleep(50);
        for (int i = 0; i < 20; i++) {
          r.write(ReplicationTest.insert("bob", "second " + i), Durability.REPLICATED).get();
          if (i == 10) {
            r.write(c -> c.createStatement().executeUpdate("DELETE FROM post WHERE id % 3 = 0"), Durability.REPLICATED).get();
          }
        }
        return new Replica(a, txidA, timeA, db.read(Dumps::dump), r.positionOf(db.lastTxid()).orElseThrow().txid());
      }
    }
  }

  /** The segment files of a file-system replica, in key (txid) order. */
  static List<Path> segments(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".lvsg")).sorted().toList();
    }
  }

  /** Copies a directory tree. */
  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }
}
