package io.litevault.backup;

import java.util.Objects;

/**
 * What a {@link TierVerifier} found.
 *
 * @param outcome passed, failed or skipped (no verifier configured)
 * @param databasesChecked how many replicated databases were restored and checked
 * @param detail a one-line explanation, for example the first failing database and the integrity_check
 *     message; never a secret
 */
public record VerificationResult(Outcome outcome, int databasesChecked, String detail) {
  /** The verdict. */
  public enum Outcome { PASSED, FAILED, SKIPPED }

  public VerificationResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
    if (databasesChecked < 0) {
      throw new IllegalArgumentException("databasesChecked must be >= 0, was " + databasesChecked);
    }
  }

  public static VerificationResult passed(int databasesChecked, String detail) {
    return new VerificationResult(Outcome.PASSED, databasesChecked, detail);
  }

  public static VerificationResult failed(int databasesChecked, String detail) {
    return new VerificationResult(Outcome.FAILED, databasesChecked, detail);
  }

  public static VerificationResult skipped() {
    return new VerificationResult(Outcome.SKIPPED, 0, "no verifier configured");
  }

  public boolean failed() {
    return outcome == Outcome.FAILED;
  }
}
