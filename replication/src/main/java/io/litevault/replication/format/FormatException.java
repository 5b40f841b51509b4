package io.litevault.replication.format;

import java.io.IOException;

/** An object of the bucket is not what its key promises: bad magic, unknown version, bad checksum. */
public class FormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public FormatException(String message) {
    super(message);
  }
}
