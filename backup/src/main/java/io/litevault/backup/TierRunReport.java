package io.litevault.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What one tier run did; also what its manifest ({@code <tier>/_litevault/backup-run.json}) records.
 *
 * @param tier the tier's name
 * @param runId a unique id of the run
 * @param started when the run started: the tier is a copy of its upstream as listed at this time
 * @param finished when it ended
 * @param status how it ended
 * @param copied objects copied (new or changed)
 * @param skipped objects found unchanged
 * @param deleted objects deleted from the tier because they are gone from its upstream
 * @param bytesCopied body bytes copied
 * @param errors one line per failure (at most {@link #MAX_ERRORS}; the count is in the last line)
 * @param verification what the verifier found ({@link VerificationResult#skipped()} if none ran)
 * @param stateAsOf the point in time the tier's content now represents: the start of the run that
 *     listed the source (for a tier copied from a tier, its upstream's {@code stateAsOf}); its age is the
 *     tier's age. Unchanged by a failed run; {@code null} if the tier has never completed one.
 */
public record TierRunReport(String tier, String runId, Instant started, Instant finished, RunStatus status,
    long copied, long skipped, long deleted, long bytesCopied, List<String> errors,
    VerificationResult verification, Instant stateAsOf) {

  /** Error lines kept in a report. */
  public static final int MAX_ERRORS = 20;

  public TierRunReport {
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(started, "started");
    Objects.requireNonNull(finished, "finished");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(verification, "verification");
    errors = List.copyOf(errors);
  }

  /** How long the run took. */
  public Duration duration() {
    return Duration.between(started, finished);
  }

  public boolean succeeded() {
    return status == RunStatus.SUCCEEDED;
  }

  @Override
  public String toString() {
    return "tier " + tier + " " + status + ": " + copied + " copied (" + bytesCopied + " bytes), " + skipped
        + " unchanged, " + deleted + " deleted in " + duration().toMillis() + " ms"
        + (errors.isEmpty() ? "" : "; first error: " + errors.get(0))
        + (verification.failed() ? "; verification failed: " + verification.detail() : "");
  }
}
