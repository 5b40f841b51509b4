package io.litevault.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The demo end to end, small: it must PASS (exit 0) and leave two identical, intact databases. */
class DemoTest {
  @TempDir Path dir;

  private void runAndCheck(String... args) throws Exception {
    int exit = new CommandLine(new Demo()).execute(args);
    assertEquals(0, exit, "the demo reports PASS");
    Path original = dir.resolve("work").resolve("data").resolve("data.db");
    Path restored = dir.resolve("work").resolve("restored").resolve("data.db");
    assertTrue(Files.exists(original) && Files.exists(restored));
    ContentDigest.Result a = ContentDigest.of(original);
    assertEquals(a, ContentDigest.of(restored));
    assertTrue(a.rows() > 1000, "the day's rows are there: " + a.rows());
    assertEquals("ok", ContentDigest.integrity(restored));
  }

  @Test
  void embeddedS3ByDefault() throws Exception {
    runAndCheck("--writes", "3000", "--work-dir", dir.resolve("work").toString(), "--json");
  }

  @Test
  void aDirectoryTarget() throws Exception {
    runAndCheck("--writes", "3000", "--work-dir", dir.resolve("work").toString(), "--target",
        dir.resolve("bucket").toUri().toString());
  }

  @Test
  void aUsedWorkDirIsRefused() throws Exception {
    Files.createDirectories(dir.resolve("work").resolve("data"));
    assertEquals(2, new CommandLine(new Demo()).execute("--writes", "3000", "--work-dir", dir.resolve("work").toString()));
  }

  /**
   * After a default run (embedded S3, gone when the demo ends) the report's "restore by hand" commands
   * work: both the bucket's and the backup tier's copy restore the original database.
   */
  @Test
  void theRestoreCommandsItPrintsWorkAfterItHasExited() throws Exception {
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stdout = System.out;
    Demo demo;
    int exit;
    try {
      System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
      demo = new Demo();
      exit = new CommandLine(demo).execute("--writes", "3000", "--work-dir", dir.resolve("work").toString());
    } finally {
      System.setOut(stdout);
    }
    assertEquals(0, exit);
    String prefix = "  java -jar replication/target/litevault-restore.jar ";
    java.util.List<String> commands = captured.toString(java.nio.charset.StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
    assertEquals(2, commands.size(), captured.toString(java.nio.charset.StandardCharsets.UTF_8));
    ContentDigest.Result original = ContentDigest.of(dir.resolve("work").resolve("data").resolve("data.db"));
    for (String command : commands) {
      String[] args = command.split(" ");
      assertEquals(0, new CommandLine(new io.litevault.cli.RestoreCommand()).execute(args), command);
      Path output = Path.of(args[java.util.Arrays.asList(args).indexOf("--output") + 1]);
      assertEquals(original, ContentDigest.of(output), command);
      assertEquals("ok", ContentDigest.integrity(output));
    }
  }

  /** A target it cannot use is one line on stderr and exit 2, not a stack trace. */
  @Test
  void aBadTargetIsOneLineNotAStackTrace() throws Exception {
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stderr = System.err;
    int exit;
    try {
      System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
      exit = new CommandLine(new Demo()).execute("--writes", "3000", "--work-dir", dir.resolve("work").toString(),
          "--target", "file:///proc/no-such-dir/bucket");
    } finally {
      System.setErr(stderr);
    }
    String err = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(2, exit, err);
    assertTrue(err.contains("cannot use --target file:///proc/no-such-dir/bucket"), err);
    assertTrue(!err.contains("\tat "), "no stack trace: " + err);
  }
}
