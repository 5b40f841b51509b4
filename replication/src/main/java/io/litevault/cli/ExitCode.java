package io.litevault.cli;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.StoreUnavailableException;
import io.litevault.replication.restore.RestoreException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Set;

/**
 * The exit codes of every Litevault command, one per kind of outcome, so scripts can branch on them. A
 * code keeps its number and meaning in every command; each command documents the ones it uses in its
 * {@code --help} ({@link #table(Set)}).
 */
public enum ExitCode {
  OK(0, "done (restore: also when --if-db-not-exists / --if-replica-exists skipped)"),
  UNEXPECTED(1, "an unexpected error (--verbose prints the stack trace)"),
  USAGE(2, "bad arguments or a bad store URI"),
  NOTHING_TO_RESTORE(3, "not found: the source holds nothing to restore under that prefix"),
  OUTPUT_EXISTS(4, "the output file exists (use --force to replace it)"),
  BAD_OBJECT(5, "corrupt: an object is missing or corrupt; names it and the newest --txid left"),
  INTEGRITY(6, "the restored database failed PRAGMA integrity_check"),
  STORE_UNAVAILABLE(7, "a store is unusable: unreachable, credentials refused, no such bucket or directory"),
  NO_SUCH_POINT(8, "no restorable point at that --txid / --timestamp"),
  LOCAL_IO(9, "I/O: writing a local file failed (disk full, permissions)"),
  OUTPUT_UNUSABLE(10, "the output cannot be replaced safely: a running store or process uses it, or it is not a regular file"),
  RUN_FAILED(11, "the backup run failed (some copies or deletes failed; the tier keeps its previous state; run again)"),
  VERIFICATION_FAILED(12, "the backup copy completed but verification of the tier failed"),
  REFUSED(13, "refused, nothing copied or deleted: the source lists nothing, the run would shrink the tier by more "
      + "than --max-loss-share or delete a database's newest lineage (--allow-destructive-run lets it through), or "
      + "another run holds the tier's lease");

  final int code;
  private final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  /** The process exit status. */
  public int code() {
    return code;
  }

  /** One line for {@code --help}. */
  public String meaning() {
    return meaning;
  }

  /**
   * The exit code of a failure of the libraries this module holds: restore, bucket, bad arguments
   * ({@link IllegalArgumentException}), local I/O; {@link #UNEXPECTED} for anything else.
   */
  public static ExitCode of(Throwable e) {
    if (e instanceof RestoreException r) {
      return of(r.kind());
    }
    if (e instanceof ObjectNotFoundException || e instanceof io.litevault.bucket.crypt.ObjectDecryptionException) {
      return BAD_OBJECT;
    }
    if (e instanceof StoreUnavailableException || e instanceof ObjectStoreException) {
      return STORE_UNAVAILABLE;
    }
    if (e instanceof IllegalArgumentException) {
      return USAGE;
    }
    if (e instanceof UncheckedIOException && e.getCause() != null && e.getCause().getCause() instanceof ObjectStoreException c) {
      return of(c);
    }
    if (e instanceof UncheckedIOException) {
      return LOCAL_IO;
    }
    return UNEXPECTED;
  }

  private static ExitCode of(RestoreException.Kind kind) {
    return switch (kind) {
      case NOTHING_TO_RESTORE -> NOTHING_TO_RESTORE;
      case OUTPUT_EXISTS -> OUTPUT_EXISTS;
      case OUTPUT_IN_USE, OUTPUT_NOT_A_FILE -> OUTPUT_UNUSABLE;
      case NO_SUCH_POINT -> NO_SUCH_POINT;
      case MISSING_OBJECT, CORRUPT_OBJECT, CONFLICTING_SEGMENTS -> BAD_OBJECT;
      case INTEGRITY -> INTEGRITY;
      case IO -> LOCAL_IO;
    };
  }

  /** The table printed at the end of {@code --help}: the codes a command uses, in number order. */
  public static String table(Set<ExitCode> used) {
    StringBuilder sb = new StringBuilder("Exit codes:%n");
    for (ExitCode c : values()) {
      if (used.contains(c)) {
        sb.append(String.format(Locale.ROOT, "  %d  %s%%n", c.code, c.meaning.replace("%", "%%")));
      }
    }
    return sb.toString();
  }
}
