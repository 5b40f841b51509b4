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
}
