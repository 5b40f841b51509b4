package io.litevault.replication.restore;

/** The SQLite check a restore runs on the restored file before moving it into place. */
public enum IntegrityCheck {
  /** {@code PRAGMA integrity_check}: every page, index and constraint. The default. */
  FULL,
  /** {@code PRAGMA quick_check}: like FULL without index content checks; faster on large databases. */
  QUICK,
  /** Only the segment chain's checksums (always verified). */
  NONE
}
