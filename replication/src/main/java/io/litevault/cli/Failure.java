package io.litevault.cli;

import java.util.Objects;

/**
 * How a command reports a failure: its exit code and the one line printed for it, flag names included
 * where they tell the user what to do next (library messages name no flags).
 *
 * @param code the exit code
 * @param message the line, without the command's prefix
 */
public record Failure(ExitCode code, String message) {
  public Failure {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  /** The default: {@link ExitCode#of}, the exception's message (its class too when unexpected). */
  public static Failure of(Throwable e) {
    ExitCode code = ExitCode.of(e);
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    if (code == ExitCode.UNEXPECTED) {
      message = e.getClass().getSimpleName() + ": " + message;
    }
    return new Failure(code, message.strip().replaceAll("\\s*\\R\\s*", " "));
  }
}
