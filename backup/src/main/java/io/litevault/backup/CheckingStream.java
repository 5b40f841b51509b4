package io.litevault.backup;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32C;

/**
 * Passes a source body through while computing its CRC-32C and counting its bytes, and fails the read that
 * would go past the size the listing announced: the store's put reads exactly the declared length and
 * would otherwise silently store a truncated copy of an object rewritten since it was listed. A body
 * shorter than announced is caught by the put itself ("body ended after ...").
 */
final class CheckingStream extends FilterInputStream {
  private final long expected;
  private final CRC32C crc = new CRC32C();
  private long count;

  CheckingStream(InputStream in, long expected) {
    super(in);
    this.expected = expected;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      crc.update(b, off, n);
      count += n;
      if (count > expected) {
        throw new SourceChangedException("source object is longer than the " + expected + " bytes listed: rewritten during the run");
      }
      if (count == expected && in.read() >= 0) {
        throw new SourceChangedException("source object is longer than the " + expected + " bytes listed: rewritten during the run");
      }
    }
    return n;
  }

  long crc() {
    return crc.getValue();
  }

  long count() {
    return count;
  }

  /** The source object changed between the listing and the copy; the next run copies it again. */
  static final class SourceChangedException extends IOException {
    SourceChangedException(String message) {
      super(message);
    }
  }
}
