package io.litevault.replication.format;

/**
 * An object of the bucket has a format version this code does not read: written by a newer Litevault (or
 * corrupt in exactly its version field). Names the object, its kind and version, and the newest version
 * this code reads.
 */
public final class UnsupportedVersionException extends FormatException {
  private static final long serialVersionUID = 1L;

  private final String object;
  private final String kind;
  private final int version;
  private final int newestRead;

  UnsupportedVersionException(String object, String kind, int version, int oldestRead, int newestRead) {
    super(object + ": " + kind + " format version " + version + " is not supported (this code reads " + oldestRead
        + (newestRead == oldestRead ? "" : " to " + newestRead) + ")"
        + (version > newestRead ? ": written by a newer Litevault, use a release that reads it" : ""));
    this.object = object;
    this.kind = kind;
    this.version = version;
    this.newestRead = newestRead;
  }

  /** The object's key (or the name it was read under). */
  public String object() {
    return object;
  }

  /** "segment", "snapshot" or "compacted object". */
  public String kind() {
    return kind;
  }

  public int version() {
    return version;
  }

  /** The newest version of that kind this code reads. */
  public int newestRead() {
    return newestRead;
  }
}
