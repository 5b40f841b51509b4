package io.litevault.backup;

import java.time.Instant;

/**
 * Hears about tier runs. Called on the thread running the tier; must be quick and must not throw (an
 * exception is logged and ignored). Every method has an empty default.
 */
public interface BackupListener {
  /** Does nothing. */
  BackupListener NONE = new BackupListener() {};

  /** A run of {@code tier} started at {@code started}. */
  default void runStarted(String tier, Instant started) {}

  /** A run ended, whatever its {@link TierRunReport#status()}. */
  default void runFinished(TierRunReport report) {}

  /** A run ended {@link RunStatus#FAILED} or {@link RunStatus#REFUSED}; called after {@link #runFinished}. */
  default void runFailed(TierRunReport report) {}

  /** The fresh tier did not pass verification; called after {@link #runFinished}. */
  default void verificationFailed(TierRunReport report, VerificationResult result) {}
}
