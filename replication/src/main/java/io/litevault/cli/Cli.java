package io.litevault.cli;

import io.litevault.bucket.StoreUri;
import io.litevault.bucket.StoreUriException;
import java.io.PrintWriter;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * The picocli setup every Litevault command shares. {@link #commandLine} gives a {@link CommandLine} with:
 * case-insensitive enum values ({@code --client MINIO} = {@code --client minio}; options that must parse so
 * outside this setup too name an {@link EnumConverter}); the command's exit codes
 * at the end of {@code --help}; bad arguments → one line and {@link ExitCode#USAGE}; an exception from the
 * command → one line (its {@link Failure}) and that exit code, with the stack trace only under
 * {@code --verbose}/{@code --debug}. Use {@link JarVersion} as the command's version provider.
 */
public final class Cli {
  private Cli() {}

  /** What a command tells the shared setup. */
  public interface Setup {
    /** The start of every error line, e.g. {@code "litevault-restore: error: "}. */
    String linePrefix();

    /** The exit codes the command documents in {@code --help}. */
    Set<ExitCode> exitCodes();

    /** The failure an exception of the command is; default {@link Failure#of}. */
    default Failure failure(Throwable e) {
      return Failure.of(e);
    }

    /** Called after the error line is printed (e.g. to print it as JSON too). */
    default void failed(Failure failure, Throwable e) {}
  }

  /** A {@link Setup} with default failures. */
  public static Setup setup(String linePrefix, Set<ExitCode> exitCodes, Function<Throwable, Failure> failure) {
    Objects.requireNonNull(linePrefix, "linePrefix");
    Objects.requireNonNull(failure, "failure");
    Set<ExitCode> codes = Set.copyOf(exitCodes);
    return new Setup() {
      @Override
      public String linePrefix() {
        return linePrefix;
      }

      @Override
      public Set<ExitCode> exitCodes() {
        return codes;
      }

      @Override
      public Failure failure(Throwable e) {
        return failure.apply(e);
      }
    };
  }

  /** The command line of {@code command}, writing to {@code out} and {@code err}. */
  public static CommandLine commandLine(Object command, Setup setup, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(command);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setOut(out);
    cl.setErr(err);
    cl.getCommandSpec().usageMessage().footer(footer(cl, setup));
    cl.setExitCodeExceptionMapper(e -> ExitCode.USAGE.code());
    cl.setParameterExceptionHandler((e, args) -> {
      err.println(setup.linePrefix() + e.getMessage() + " (see --help)");
      return ExitCode.USAGE.code();
    });
    cl.setExecutionExceptionHandler((e, c, parsed) -> report(setup, e, verbose(parsed), err));
    return cl;
  }

  /**
   * Reports a failure of a command: one line ({@link Setup#linePrefix()} and its {@link Failure} message),
   * the stack trace only when {@code verbose}, then {@link Setup#failed}. What the execution-exception
   * handler of {@link #commandLine} does; a command that must keep its exit codes when embedded in another
   * picocli program calls it from its own {@code call()}.
   *
   * @return the exit code
   */
  public static int report(Setup setup, Throwable e, boolean verbose, PrintWriter err) {
    Failure f = setup.failure(e);
    err.println(setup.linePrefix() + f.message());
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    setup.failed(f, e);
    return f.code().code();
  }

  /**
   * Parses the store URI given to {@code flag}; a bad one fails with the flag named before the library's
   * message ({@code --source 'ftp://x' must start with s3:// or file://}).
   */
  public static StoreUri uri(String flag, String text) {
    try {
      return StoreUri.parse(text);
    } catch (StoreUriException e) {
      throw new IllegalArgumentException(flag + " " + e.getMessage(), e);
    }
  }

  /** Runs a setter of an options builder; a refused value fails with {@code flag} named first. */
  public static void flag(String flag, Runnable set) {
    try {
      set.run();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code --verbose} or {@code --debug} was given. */
  static boolean verbose(CommandLine.ParseResult parsed) {
    return parsed != null && (parsed.hasMatchedOption("--verbose") || parsed.hasMatchedOption("--debug"));
  }

  /** The command's own footer, then its exit codes. */
  private static String[] footer(CommandLine cl, Setup setup) {
    String[] own = cl.getCommandSpec().usageMessage().footer();
    String[] all = java.util.Arrays.copyOf(own, own.length + 2);
    all[own.length] = "";
    all[own.length + 1] = ExitCode.table(setup.exitCodes());
    return all;
  }
}
