package io.litevault.bucket.crypt;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import com.google.crypto.tink.subtle.StreamSegmentEncrypter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;

/**
 * The stored bytes of a plaintext stream, produced as they are read (a pull, so a store's put streams them
 * with its usual bounded memory): our 9-byte prefix, Tink's header, then one segment at a time. A segment is
 * sealed as last only when the plaintext has ended, so the reader of the object can tell a cut-off object.
 * Holds one plaintext and one ciphertext segment (2 MiB).
 */
final class EncryptingStream extends InputStream {
  private final InputStream plain;
  private final long expected;
  private final StreamSegmentEncrypter encrypter;
  private final ByteBuffer plainBuf;
  private final ByteBuffer out;
  private int lookahead = -2; // -2: none read yet; -1: plaintext ended; else a byte read ahead
  private int segment;
  private boolean done;
  private long consumed;

  /**
   * @param expected the plaintext's announced length, or -1; a body of another length fails the read with
   *     {@link IllegalArgumentException}
   */
  EncryptingStream(InputStream plain, long expected, AesGcmHkdfStreaming aead, byte[] prefix, byte[] associatedData) {
    this.plain = plain;
    this.expected = expected;
    // a small body (most segments are a few KiB) gets buffers of its size, not the 2 MiB of full segments
    int cap = expected < 0 ? Framing.PLAIN : (int) Math.min(Framing.PLAIN, expected);
    this.plainBuf = ByteBuffer.allocate(cap);
    this.out = ByteBuffer.allocate(Math.max(Framing.PREFIX + Framing.TINK_HEADER, cap + Framing.TAG));
    try {
      this.encrypter = aead.newStreamSegmentEncrypter(associatedData);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot start encrypting: " + e.getClass().getSimpleName(), null);
    }
    out.put(prefix).put(encrypter.getHeader());
    out.flip();
  }

  /** Encrypts a whole body in memory (create-only puts). */
  static byte[] encrypt(byte[] plain, AesGcmHkdfStreaming aead, byte[] prefix, byte[] associatedData) {
    byte[] stored = new byte[Math.toIntExact(Framing.storedSize(plain.length))];
    try (EncryptingStream s = new EncryptingStream(new java.io.ByteArrayInputStream(plain), plain.length, aead, prefix,
        associatedData)) {
      int n = s.readNBytes(stored, 0, stored.length);
      if (n != stored.length || s.read() != -1) {
        throw new IllegalStateException("encrypted length " + n + " differs from the format's " + stored.length);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return stored;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (!out.hasRemaining()) {
      if (done) {
        return -1;
      }
      sealNext();
    }
    int n = Math.min(len, out.remaining());
    out.get(b, off, n);
    return n;
  }

  private void sealNext() throws IOException {
    int capacity = Math.min(plainBuf.capacity(), segment == 0 ? Framing.FIRST_PLAIN : Framing.PLAIN);
    plainBuf.clear().limit(capacity);
    if (lookahead >= 0) {
      plainBuf.put((byte) lookahead);
    }
    while (plainBuf.hasRemaining()) {
      int n = plain.read(plainBuf.array(), plainBuf.position(), plainBuf.remaining());
      if (n < 0) {
        break;
      }
      plainBuf.position(plainBuf.position() + n);
    }
    consumed += plainBuf.position();
    lookahead = plainBuf.hasRemaining() ? -1 : plain.read();
    boolean last = lookahead < 0;
    if (expected >= 0 && (consumed + (last ? 0 : 1) > expected || (last && consumed != expected))) {
      throw new IllegalArgumentException("the body is not " + expected + " bytes long ("
          + (last ? "it has " + consumed : "it has more") + ")");
    }
    plainBuf.flip();
    out.clear();
    try {
      encrypter.encryptSegment(plainBuf, last, out);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot encrypt segment " + segment + ": " + e.getClass().getSimpleName());
    }
    out.flip();
    segment++;
    done = last;
  }

  @Override
  public void close() {
    // the caller's body stream is the caller's to close, as with ObjectStore.put
  }
}
