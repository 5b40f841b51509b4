package io.litevault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStoreOptions;
import io.litevault.bucket.StoreUnavailableException;
import io.litevault.replication.format.ReplicaPosition;
import io.litevault.replication.restore.RestoreException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The shared picocli setup: exit codes, the failure line, enum converters, the version provider. */
class CliTest {
  @TempDir Path dir;

  /** A command that throws what it is told to. */
  @Command(name = "probe", mixinStandardHelpOptions = true, versionProvider = JarVersion.class, footer = "own footer")
  static final class Probe implements Callable<Integer> {
    static RuntimeException toThrow;

    @Option(names = "--client")
    ObjectStoreOptions.Client client;

    @Mixin
    Verbosity verbosity = new Verbosity();

    @Override
    public Integer call() {
      if (toThrow != null) {
        throw toThrow;
      }
      return client == ObjectStoreOptions.Client.MINIO ? 0 : 99;
    }
  }

  record Run(int code, String out, String err) {}

  static Run run(RuntimeException e, String... args) {
    Probe.toThrow = e;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.commandLine(new Probe(), Cli.setup("probe: error: ", EnumSet.of(ExitCode.OK, ExitCode.USAGE,
        ExitCode.STORE_UNAVAILABLE), Failure::of), new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void everyExitCodeHasItsOwnNumberAndAMeaning() {
    Set<Integer> seen = new HashSet<>();
    for (ExitCode c : ExitCode.values()) {
      assertTrue(seen.add(c.code()), "duplicate " + c.code());
      assertFalse(c.meaning().isBlank(), c.name());
    }
    assertEquals(0, ExitCode.OK.code());
    assertEquals(2, ExitCode.USAGE.code());
    assertEquals(7, ExitCode.STORE_UNAVAILABLE.code());
  }

  @Test
  void typedExceptionsMapToTheirExitCodes() {
    assertEquals(ExitCode.USAGE, ExitCode.of(new IllegalArgumentException("x")));
    assertEquals(ExitCode.STORE_UNAVAILABLE, ExitCode.of(new StoreUnavailableException(ErrorKind.NO_SUCH_BUCKET, "verify", "gone", null)));
    assertEquals(ExitCode.BAD_OBJECT, ExitCode.of(new ObjectNotFoundException("get", "k", "store", null)));
    assertEquals(ExitCode.LOCAL_IO, ExitCode.of(new UncheckedIOException(new IOException("disk full"))));
    assertEquals(ExitCode.UNEXPECTED, ExitCode.of(new IllegalStateException("bug")));
    ReplicaPosition at = new ReplicaPosition("20261123T011234567Z-1f2e3d4c", 5);
    assertEquals(ExitCode.NOTHING_TO_RESTORE, ExitCode.of(new RestoreException(RestoreException.Kind.NOTHING_TO_RESTORE, "m", null, null)));
    assertEquals(ExitCode.BAD_OBJECT, ExitCode.of(new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "m", at, null)));
    assertEquals(ExitCode.BAD_OBJECT, ExitCode.of(new RestoreException(RestoreException.Kind.MISSING_OBJECT, "m", at, null)));
    assertEquals(ExitCode.NO_SUCH_POINT, ExitCode.of(new RestoreException(RestoreException.Kind.NO_SUCH_POINT, "m", null, null)));
    assertEquals(ExitCode.LOCAL_IO, ExitCode.of(new RestoreException(RestoreException.Kind.IO, "m", null, null)));
    assertEquals(ExitCode.OUTPUT_UNUSABLE, ExitCode.of(new RestoreException(RestoreException.Kind.OUTPUT_IN_USE, "m", null, null)));
  }

  @Test
  void aFailureIsOneLineAndItsExitCodeWithTheStackTraceOnlyWhenVerbose() {
    StoreUnavailableException gone = new StoreUnavailableException(ErrorKind.NO_SUCH_BUCKET, "verify", "bucket b\ndoes not exist", null);
    Run r = run(gone);
    assertEquals(7, r.code());
    assertTrue(r.err().startsWith("probe: error: ") && r.err().contains("bucket b does not exist"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
    for (String flag : new String[] {"--verbose", "--debug"}) {
      Run v = run(gone, flag);
      assertEquals(7, v.code());
      assertTrue(v.err().contains("\tat "), flag + " prints the stack trace: " + v.err());
    }
    Run bug = run(new IllegalStateException("bug"));
    assertEquals(ExitCode.UNEXPECTED.code(), bug.code());
    assertEquals("probe: error: IllegalStateException: bug", bug.err().strip());
  }

  @Test
  void badArgumentsAreUsageErrorsAndEnumsIgnoreCase() {
    Run r = run(null, "--client", "gcs");
    assertEquals(ExitCode.USAGE.code(), r.code());
    assertTrue(r.err().startsWith("probe: error: ") && r.err().contains("'gcs'") && r.err().contains("--help"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertEquals(0, run(null, "--client", "MinIO").code());
    assertEquals(0, run(null, "--client", "minio").code());
  }

  @Test
  void helpEndsWithTheCommandsFooterThenItsExitCodes() {
    Run r = run(null, "--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("own footer"), r.out());
    assertTrue(r.out().contains("Exit codes:") && r.out().contains("  7  a store is unusable"), r.out());
    assertFalse(r.out().contains("  3  "), "only the codes the command uses:\n" + r.out());
  }

  @Test
  void flagNamesAreAddedToLibraryMessagesByTheCli() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Cli.uri("--source", "ftp://x/y"));
    assertEquals("--source 'ftp://x/y' must start with s3:// or file://", e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Cli.flag("--endpoint", () -> ObjectStoreOptions.builder().endpoint("minio:9000")));
    assertTrue(e.getMessage().startsWith("--endpoint: endpoint must be"), e.getMessage());
  }

  /** {@code new CommandLine(new RestoreCommand())}, as another picocli program embeds it: same parsing, same codes. */
  @Test
  void theRestoreCommandKeepsItsParsingAndExitCodesWhenEmbedded() {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream e = new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8);
    java.io.PrintStream o = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true);
    String output = dir.resolve("out.db").toString();
    int code = new picocli.CommandLine(new RestoreCommand(o, e)).execute("--source", "ftp://x/y", "--database", "data",
        "--output", output, "--client", "MINIO", "--integrity-check", "Quick");
    assertEquals(ExitCode.USAGE.code(), code, err.toString());
    assertEquals("litevault-restore: error: --source 'ftp://x/y' must start with s3:// or file://",
        err.toString(java.nio.charset.StandardCharsets.UTF_8).strip());
    err.reset();
    code = new picocli.CommandLine(new RestoreCommand(o, e)).execute("--source", dir.toUri().toString(), "--database",
        "data", "--output", output);
    assertEquals(ExitCode.NOTHING_TO_RESTORE.code(), code, err.toString());
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
  }

  @Test
  void theVersionIsTheJarsImplementationVersionOrADevelopmentBuild() throws Exception {
    Path jar = dir.resolve("probe.jar");
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "1.2.3");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
      j.flush();
    }
    assertEquals("1.2.3", JarVersion.of(jar.toUri().toURL()).orElseThrow());
    Path bare = dir.resolve("bare.jar");
    try (OutputStream out = Files.newOutputStream(bare); JarOutputStream j = new JarOutputStream(out)) {
      j.flush();
    }
    assertTrue(JarVersion.of(bare.toUri().toURL()).isEmpty());
    assertTrue(JarVersion.of(dir.toUri().toURL()).isEmpty(), "classes in a directory: no version");
    assertTrue(JarVersion.of(CliTest.class).isEmpty(), "test classes run from target/test-classes");
    Run r = run(null, "--version");
    assertEquals(0, r.code());
    assertEquals("probe " + JarVersion.DEVELOPMENT, r.out().strip());
  }
}
