package io.litevault.backup;

import java.util.Objects;
import java.util.Optional;

/**
 * A tier run was refused before it copied or deleted anything: the tier is exactly as it was. Thrown by
 * {@link TieredBackup#runNow}; a scheduled run that is refused is reported with {@link RunStatus#REFUSED}
 * (or, when another run holds the tier, skipped) and tried again after {@link BackupOptions#retryDelay()}.
 */
public final class BackupRefusedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** Why the run was refused. */
  public enum Reason {
    /** The upstream (source or upstream tier) listed no object at all: most often a mistyped prefix. */
    EMPTY_SOURCE,
    /** The tier would end the run with fewer objects than {@link BackupOptions#maxLossShare()} allows. */
    TOO_MUCH_LOSS,
    /** A database's newest lineage in the tier would be deleted with no newer lineage of it upstream. */
    LINEAGE_LOSS,
    /** Another run holds the tier's lease (see {@link TierLease}). */
    TIER_LEASED
  }

  private final Reason reason;
  private final transient TierRunReport report;

  BackupRefusedException(Reason reason, String message, TierRunReport report) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.report = report;
  }

  public Reason reason() {
    return reason;
  }

  /** The report of the refused run (status {@link RunStatus#REFUSED}); empty when the tier was leased. */
  public Optional<TierRunReport> report() {
    return Optional.ofNullable(report);
  }
}
