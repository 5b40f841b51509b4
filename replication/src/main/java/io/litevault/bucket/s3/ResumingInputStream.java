package io.litevault.bucket.s3;

import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.RequestRecorder;
import io.litevault.bucket.Operation;
import java.io.IOException;
import java.io.InputStream;

/**
 * A GET body that survives a broken connection: on an I/O error mid-body it re-opens the rest of the range
 * with a ranged GET pinned to the first response's entity tag ({@code If-Match}), through the retry layer.
 * Counts received bytes. If the object changed meanwhile the read fails rather than splice two versions.
 */
final class ResumingInputStream extends InputStream {
  /** Opens {@code [offset, offset+length)} ({@code length < 0}: to the end) if the etag still matches. */
  @FunctionalInterface
  interface Opener {
    RawObject open(long offset, long length, String ifMatch);
  }

  private final Opener opener;
  private final RequestRecorder metrics;
  private final int maxResumes;
  private final long start;
  private final long length;
  private RawObject current;
  private long pos;
  private int resumes;
  private boolean closed;
  private boolean eof;

  ResumingInputStream(RawObject first, Opener opener, RequestRecorder metrics, int maxResumes, long start,
      long length) {
    this.current = first;
    this.opener = opener;
    this.metrics = metrics;
    this.maxResumes = maxResumes;
    this.start = start;
    this.length = length;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    if (len == 0) {
      return 0;
    }
    while (true) {
      try {
        int n = current.body().read(b, off, len);
        if (n < 0) {
          eof = true;
          return -1;
        }
        pos += n;
        metrics.received(Operation.GET, n);
        return n;
      } catch (IOException e) {
        if (resumes >= maxResumes || (length >= 0 && pos >= length)) {
          throw e;
        }
        resumes++;
        closeQuietly(current, true);
        long remaining = length < 0 ? -1 : length - pos;
        try {
          current = opener.open(start + pos, remaining, current.etag());
        } catch (ObjectStoreException ose) {
          ose.addSuppressed(e);
          throw new IOException("cannot resume the body at byte " + (start + pos) + ": " + ose.getMessage(), ose);
        }
      }
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      closeQuietly(current, !eof);
    }
  }

  private static void closeQuietly(RawObject o, boolean abort) {
    try {
      if (abort) {
        o.abort().run();
      }
      o.body().close();
    } catch (IOException | RuntimeException ignored) {
      // The connection is being dropped: nothing more to learn from it.
    }
  }
}
