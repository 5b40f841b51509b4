package io.litevault.backup;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Which candidate source a run of a tier fed by the source copied from, and why (see
 * {@link BackupOptions.Builder#alternateSource}). Descriptions are the stores' own, which carry no
 * credentials.
 *
 * @param chosen the index in {@link BackupOptions#sources()} of the source copied from (0: the preferred one)
 * @param reason one line: why that one
 * @param candidates every candidate, in preference order
 */
public record SourceReport(int chosen, String reason, List<Candidate> candidates) {
  public SourceReport {
    Objects.requireNonNull(reason, "reason");
    candidates = List.copyOf(candidates);
  }

  /**
   * One candidate as this run found it.
   *
   * @param index its place in {@link BackupOptions#sources()}
   * @param source its description (store and prefix)
   * @param freshDatabases how many databases it was fresh for ({@code -1} when it could not be listed)
   * @param newest its newest snapshot or segment over all databases ({@code null}: none, or not listed)
   * @param error why it could not be listed ({@code null} when it was)
   */
  public record Candidate(int index, String source, int freshDatabases, Instant newest, String error) {
    public Candidate {
      Objects.requireNonNull(source, "source");
    }
  }

  /** The chosen candidate. */
  public Candidate chosenCandidate() {
    return candidates.get(chosen);
  }

  /** Whether the run copied from another source than the preferred one. */
  public boolean alternateChosen() {
    return chosen != 0;
  }
}
