package io.litevault.cli;

import picocli.CommandLine.Option;

/** The {@code --verbose} / {@code --debug} flag every command has (a picocli mixin): stack traces, progress logs. */
public final class Verbosity {
  @Option(names = {"--verbose", "--debug"}, description = "log progress details and print stack traces")
  boolean verbose;

  public boolean verbose() {
    return verbose;
  }
}
