package io.litevault.bucket.fs;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of a {@link FileSystemObjectStore}. Immutable; built by {@link #builder(Path)}.
 */
public final class FileSystemOptions {
  /**
   * Fsync every written object and its directory by default: the file store stands in for a bucket, and a
   * bucket does not lose an acknowledged put when the power goes.
   */
  public static final boolean DEFAULT_FSYNC = true;

  private final Path root;
  private final boolean fsync;

  private FileSystemOptions(Path root, boolean fsync) {
    this.root = root;
    this.fsync = fsync;
  }

  /** A builder for a store rooted at {@code root} (an existing directory, checked by {@code verify()}). */
  public static Builder builder(Path root) {
    return new Builder(root);
  }

  public Path root() {
    return root;
  }

  public boolean fsync() {
    return fsync;
  }

  @Override
  public String toString() {
    return "FileSystemOptions{root=" + root + ", fsync=" + fsync + '}';
  }

  /** Builds {@link FileSystemOptions}. */
  public static final class Builder {
    private final Path root;
    private boolean fsync = DEFAULT_FSYNC;

    private Builder(Path root) {
      Objects.requireNonNull(root, "root");
      this.root = root.toAbsolutePath().normalize();
    }

    /** Whether to fsync each object (default {@value FileSystemOptions#DEFAULT_FSYNC}); off only for tests. */
    public Builder fsync(boolean fsync) {
      this.fsync = fsync;
      return this;
    }

    public FileSystemOptions build() {
      return new FileSystemOptions(root, fsync);
    }
  }
}
