package io.litevault.backup;

import io.litevault.bucket.ObjectStore;

/**
 * Checks that a freshly copied tier restores: for each replicated database under the tier, restore it
 * into a temporary file and run {@code PRAGMA integrity_check}. Called after a run's copies and deletes,
 * before its manifest is written. A {@link VerificationResult.Outcome#FAILED} result, or an exception,
 * makes the run {@link RunStatus#VERIFICATION_FAILED}: reported to the {@link BackupListener}, counted in
 * {@link BackupMetrics} and written in the tier's run manifest, never silent.
 *
 * <p>{@link RestoreVerifier} is the restore-backed implementation (the CLI's {@code --verify}); the
 * default is {@link #NONE}, which checks nothing and says so ({@link VerificationResult.Outcome#SKIPPED}).
 */
@FunctionalInterface
public interface TierVerifier {
  /** Checks nothing: every result is {@link VerificationResult#skipped()}. */
  TierVerifier NONE = (store, prefix) -> VerificationResult.skipped();

  /**
   * Verifies the tier.
   *
   * @param tierStore the target store holding the tier
   * @param tierPrefix the tier's prefix in it, ending with '/', for example {@code backups/daily/}
   */
  VerificationResult verify(ObjectStore tierStore, String tierPrefix);
}
