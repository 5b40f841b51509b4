package io.litevault.bucket.crypt;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import com.google.crypto.tink.subtle.StreamSegmentDecrypter;
import io.litevault.bucket.crypt.ObjectDecryptionException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Plaintext read from stored bytes, one segment at a time (holds one ciphertext and one plaintext segment).
 * Reads either a whole object from its first byte, or segments {@code first..} of it after a header fetched
 * separately (a ranged read). A segment is decrypted as the last one exactly when the stored bytes end after
 * it, so an object cut at a segment boundary fails authentication: truncation is detected. The first
 * segment is decrypted when the stream is opened, so a wrong key or a moved object fails the open with an
 * {@link ObjectDecryptionException}; a later bad segment fails a read with an {@link IOException} whose cause
 * is one.
 */
final class DecryptingStream extends InputStream {
  private final InputStream in;
  private final String key;
  private final String operation;
  private final int keyId;
  /** Written for a scope (version 2): a failed authentication may be another database's object. */
  private final boolean scoped;
  private final StreamSegmentDecrypter decrypter;
  /** Grown to a whole segment (plus one byte) only when the object has one: small objects stay small. */
  private byte[] ct = new byte[16 * 1024];
  private int carried; // bytes at the start of ct already read for the next segment
  private ByteBuffer plain = ByteBuffer.allocate(0);
  private long segment;
  private boolean lastSeen;
  private long skip;
  private long remaining;
  private boolean closed;

  /**
   * @param header the stored object's first {@code PREFIX + TINK_HEADER} bytes, or null when {@code in} starts
   *     at the object's first byte
   * @param in the stored bytes from segment {@code first}'s start (or from 0 when header is null) to the end
   *     of the last segment wanted plus one byte, or to the object's end
   * @param skip plaintext bytes to drop at the start of segment {@code first}
   * @param length plaintext bytes to return at most ({@code Long.MAX_VALUE}: to the end)
   */
  DecryptingStream(Keyring keys, byte[] scope, boolean unscopedHistory, String key, String operation, byte[] header,
      InputStream in, long first, long skip, long length) throws ObjectDecryptionException, IOException {
    this.in = in;
    this.key = key;
    this.operation = operation;
    this.segment = first;
    this.skip = skip;
    this.remaining = length;
    byte[] head = header != null ? header : readHeader(in);
    if (head.length < Framing.PREFIX || !Arrays.equals(Arrays.copyOf(head, 4), Framing.MAGIC)) {
      throw error(Reason.NOT_ENCRYPTED, null, "object " + key + " is not encrypted (it does not start with the "
          + "encrypted format's magic): it was written without encryption, or by another tool; read it without "
          + "a keyset, or write it again with encryption on");
    }
    keyId = ByteBuffer.wrap(head, 5, 4).getInt();
    if (head[4] != Framing.VERSION_UNSCOPED && head[4] != Framing.VERSION_SCOPED) {
      throw error(Reason.UNSUPPORTED_VERSION, keyId, "object " + key + " is in encrypted format version "
          + (head[4] & 0xff) + ", which this version of Litevault cannot read (it reads "
          + Framing.VERSION_UNSCOPED + " to " + Framing.VERSION_SCOPED + "); upgrade Litevault");
    }
    this.scoped = head[4] == Framing.VERSION_SCOPED;
    if (scoped && scope == null) {
      throw error(Reason.SCOPE_REQUIRED, keyId, "object " + key + " was encrypted for a key scope (the name of "
          + "its database, bound when it was written) and this reader has none: read it with the scope its "
          + "writer was given");
    }
    if (!scoped && scope != null && !unscopedHistory) {
      throw error(Reason.UNSCOPED_OBJECT, keyId, "object " + key + " was encrypted without a key scope (envelope "
          + "version 1) and this reader reads only key scope '" + new String(scope, java.nio.charset.StandardCharsets.UTF_8)
          + "': it is another database's object copied here, or history from before the scope was set; read such "
          + "history with unscoped history allowed");
    }
    if (head.length < Framing.PREFIX + Framing.TINK_HEADER) {
      throw authFailed("it is shorter than its header");
    }
    AesGcmHkdfStreaming aead = keys.get(keyId);
    if (aead == null) {
      throw error(Reason.UNKNOWN_KEY, keyId, "object " + key + " cannot be decrypted: " + keys.whyMissing(keyId));
    }
    byte[] prefix = Arrays.copyOf(head, Framing.PREFIX);
    try {
      decrypter = aead.newStreamSegmentDecrypter();
      decrypter.init(ByteBuffer.wrap(head, Framing.PREFIX, Framing.TINK_HEADER),
          Framing.associatedData(prefix, scope, Framing.identity(key)));
    } catch (GeneralSecurityException e) {
      throw authFailed("its header does not fit the key");
    }
    plain.limit(0);
    if (remaining > 0) {
      fill();
    }
  }

  private static byte[] readHeader(InputStream in) throws IOException {
    return in.readNBytes(Framing.PREFIX + Framing.TINK_HEADER);
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
    if (remaining <= 0) {
      return -1;
    }
    while (!plain.hasRemaining()) {
      if (lastSeen) {
        return -1;
      }
      try {
        fill();
      } catch (ObjectDecryptionException e) {
        throw new IOException(e.getMessage(), e);
      }
    }
    int n = (int) Math.min(Math.min(len, plain.remaining()), remaining);
    plain.get(b, off, n);
    remaining -= n;
    return n;
  }

  /** Decrypts the next segment into {@code plain}, dropping {@code skip} bytes of it. */
  private void fill() throws IOException {
    do {
      int want = Framing.storedLength(segment) + 1;
      int have = carried;
      while (have < want) {
        if (have == ct.length) {
          ct = Arrays.copyOf(ct, Math.min(want, ct.length * 4));
        }
        int n = in.read(ct, have, Math.min(want, ct.length) - have);
        if (n < 0) {
          break;
        }
        have += n;
      }
      boolean last = have < want;
      int length = last ? have : want - 1;
      if (length == 0 && last && segment == 0) {
        throw authFailed("it ends after its header");
      }
      if (length == 0 && last) {
        lastSeen = true; // a range starting past the end
        plain.limit(0);
        return;
      }
      if (plain.capacity() < length - Framing.TAG) {
        plain = ByteBuffer.allocate(Math.max(0, length - Framing.TAG));
      }
      plain.clear();
      try {
        decrypter.decryptSegment(ByteBuffer.wrap(ct, 0, length), Math.toIntExact(segment), last, plain);
      } catch (GeneralSecurityException | RuntimeException e) {
        throw authFailed("segment " + segment + " does not authenticate");
      }
      plain.flip();
      if (!last) {
        ct[0] = ct[want - 1];
        carried = 1;
      } else {
        carried = 0;
        lastSeen = true;
      }
      segment++;
      int drop = (int) Math.min(skip, plain.remaining());
      plain.position(drop);
      skip -= drop;
    } while (!plain.hasRemaining() && skip > 0 && !lastSeen);
  }

  private ObjectDecryptionException authFailed(String what) {
    return error(Reason.AUTHENTICATION_FAILED, keyId, "object " + key + " (encrypted with key id "
        + Integer.toUnsignedString(keyId) + ") does not decrypt: " + what + ". The keyset holds a different key "
        + "under that id, or the object was changed, cut off or moved from another key"
        + (scoped ? ", or it belongs to another key scope (another database's object copied here, or this reader's "
            + "scope is not the writer's); check first that the keyset and the scope are the ones that wrote the "
            + "bucket, and only then restore an older point"
            : "; restore an older point, or check that the keyset is the one that wrote the bucket"));
  }

  private ObjectDecryptionException error(Reason reason, Integer id, String message) {
    return new ObjectDecryptionException(reason, operation, key, id == null ? null : Integer.toUnsignedLong(id),
        message, scoped);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    in.close();
  }
}
