package io.litevault.bucket.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;

/**
 * Cuts a body into parts of at most {@code partSize} bytes, reusing one buffer, so an upload holds at most
 * one part in memory. A body that turns out to fit in one part is read into a buffer of its own size.
 * Checks that a body of declared length has exactly that many bytes.
 */
final class PartReader {
  private static final int FIRST_CHUNK = 64 * 1024;

  private final PushbackInputStream in;
  private final long declared;
  private final int partSize;
  private byte[] buffer;
  private long read;
  private int lastLength;
  private boolean finished;

  PartReader(InputStream in, long declared, int partSize) {
    this.in = new PushbackInputStream(in, 1);
    this.declared = declared;
    this.partSize = partSize;
  }

  /** Reads the next part; {@link #lastLength()} is its length and {@link #finished()} tells if it is the last. */
  byte[] next() {
    try {
      int want = declared >= 0 ? (int) Math.min(partSize, declared - read) : partSize;
      if (buffer == null) {
        buffer = new byte[declared >= 0 ? want : Math.min(want, FIRST_CHUNK)];
      }
      int n = 0;
      while (n < want) {
        if (n == buffer.length) {
          buffer = java.util.Arrays.copyOf(buffer, (int) Math.min(want, 2L * buffer.length));
        }
        int r = in.read(buffer, n, buffer.length - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
      read += n;
      lastLength = n;
      if (declared >= 0) {
        if (n < want) {
          throw new IllegalArgumentException("body ended after " + read + " bytes, " + declared + " declared");
        }
        finished = read == declared;
      } else if (n < want) {
        finished = true;
      } else {
        int peek = in.read();
        finished = peek < 0;
        if (!finished) {
          in.unread(peek);
        }
      }
      return buffer;
    } catch (IOException e) {
      throw new UncheckedIOException("reading the body to upload failed after " + read + " bytes", e);
    }
  }

  int lastLength() {
    return lastLength;
  }

  boolean finished() {
    return finished;
  }
}
