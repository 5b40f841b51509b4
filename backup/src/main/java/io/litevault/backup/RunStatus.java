package io.litevault.backup;

/** How a tier run ended. */
public enum RunStatus {
  /** Every new or changed object was copied, every removed one deleted, and verification (if any) passed. */
  SUCCEEDED,
  /**
   * Some copies or deletes failed, or the run could not start (upstream tier never completed, store
   * unavailable). The tier still holds its previous complete state plus some new objects; nothing of the
   * previous state was deleted. The next run copies only what is still missing.
   */
  FAILED,
  /** The copy completed but the {@link TierVerifier} found the fresh tier not restorable. */
  VERIFICATION_FAILED,
  /**
   * The run was refused before it copied or deleted anything, because it would have destroyed what looks
   * like good backups (see {@link BackupRefusedException.Reason}); the tier is exactly as it was.
   */
  REFUSED
}
