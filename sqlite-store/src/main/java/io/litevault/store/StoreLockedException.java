package io.litevault.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@link SqliteStore.Builder#open()} found the directory held by another open store (in this process or
 * another) and it was still held when the builder's {@linkplain SqliteStore.Builder#lockWait lock wait}
 * ended. Nothing was opened.
 */
public final class StoreLockedException extends StoreException {
  private static final long serialVersionUID = 1L;
  private final transient Path lockFile;
  private final String holder;

  StoreLockedException(Path directory, Path lockFile, String holder, Duration waited) {
    super(null, "directory " + directory + " is already used by another open SqliteStore (lock file " + lockFile
        + ", held by " + holder + ")" + (waited.isZero() ? "" : "; still held after waiting " + waited.toMillis()
        + " ms") + ": close that store first, or let this one wait longer for it (a handover)");
    this.lockFile = lockFile;
    this.holder = holder;
  }

  /** The lock file that was held. */
  public Path lockFile() {
    return lockFile;
  }

  /** What the holder wrote about itself into the lock file (process id, host, since when). */
  public String holder() {
    return holder;
  }
}
