package io.litevault.cli;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.replication.restore.RestoreException;
import io.litevault.bucket.StoreUnavailableException;
import java.io.UncheckedIOException;

/**
 * The restore command's exit codes, one per kind of outcome, so boot scripts can branch on them. Listed
 * in {@code --help}.
 */
enum ExitCode {
  OK(0, "done; also when --if-db-not-exists / --if-replica-exists skipped"),
  UNEXPECTED(1, "an unexpected error (--verbose prints the stack trace)"),
  USAGE(2, "bad arguments or a bad --source URI"),
  NOTHING_TO_RESTORE(3, "the source holds nothing to restore under that prefix"),
  OUTPUT_EXISTS(4, "the output file exists (use --force to replace it)"),
  BAD_OBJECT(5, "an object is missing or corrupt; names it and the newest --txid left"),
  INTEGRITY(6, "the restored database failed PRAGMA integrity_check"),
  STORE_UNAVAILABLE(7, "the store is unusable: credentials, bucket, endpoint, directory"),
  NO_SUCH_POINT(8, "no restorable point at that --txid / --timestamp"),
  LOCAL_IO(9, "writing the output failed (disk full, permissions)"),
  OUTPUT_UNUSABLE(10, "the output cannot be replaced safely: a running store or process uses it, or it is not a regular file");

  final int code;
  final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  /** The exit code of a failure. */
  static ExitCode of(Throwable e) {
    if (e instanceof RestoreException r) {
      return switch (r.kind()) {
        case NOTHING_TO_RESTORE -> NOTHING_TO_RESTORE;
        case OUTPUT_EXISTS -> OUTPUT_EXISTS;
        case OUTPUT_IN_USE, OUTPUT_NOT_A_FILE -> OUTPUT_UNUSABLE;
        case NO_SUCH_POINT -> NO_SUCH_POINT;
        case MISSING_OBJECT, CORRUPT_OBJECT, CONFLICTING_SEGMENTS -> BAD_OBJECT;
        case INTEGRITY -> INTEGRITY;
        case IO -> LOCAL_IO;
      };
    }
    if (e instanceof ObjectNotFoundException) {
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

  /** The table printed at the end of {@code --help}. */
  static String table() {
    StringBuilder sb = new StringBuilder("Exit codes:%n");
    for (ExitCode c : values()) {
      sb.append(String.format("  %d  %s%%n", c.code, c.meaning));
    }
    return sb.toString();
  }
}
