package io.litevault.bucket.crypt;

import com.google.crypto.tink.KeyStatus;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.streamingaead.AesGcmHkdfStreamingKey;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The keys of one {@link KeyProvider}, by key id, turned into segment ciphers once. Holds key material:
 * never printed ({@link #toString()} names the ids only).
 */
final class Keyring {
  private final Map<Integer, AesGcmHkdfStreaming> enabled = new HashMap<>();
  private final Map<Integer, KeyStatus> other = new HashMap<>();
  private final int primary;
  private final String source;

  private Keyring(int primary, String source) {
    this.primary = primary;
    this.source = source;
  }

  /** Reads every key of the provider's keyset; refuses a key of other parameters than format 1's. */
  static Keyring of(KeyProvider provider) {
    Objects.requireNonNull(provider, "keys");
    String source = provider.describe();
    KeysetHandle keyset = Objects.requireNonNull(provider.keyset(), "keyset");
    Keyring ring = new Keyring(keyset.getPrimary().getId(), source);
    for (int i = 0; i < keyset.size(); i++) {
      KeysetHandle.Entry e = keyset.getAt(i);
      if (!(e.getKey() instanceof AesGcmHkdfStreamingKey k)
          || !k.getParameters().equals(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB)) {
        throw new IllegalArgumentException("key id " + Integer.toUnsignedString(e.getId()) + " of " + source
            + " is not an AES256_GCM_HKDF_1MB streaming AEAD key (" + e.getKey().getParameters()
            + "); create keysets with: tinkey create-keyset --key-template AES256_GCM_HKDF_1MB");
      }
      if (e.getStatus() != KeyStatus.ENABLED) {
        ring.other.put(e.getId(), e.getStatus());
        continue;
      }
      try {
        StreamingAead aead = AesGcmHkdfStreaming.create(k);
        AesGcmHkdfStreaming s = (AesGcmHkdfStreaming) aead;
        if (s.getHeaderLength() != Framing.TINK_HEADER || s.getCiphertextSegmentSize() != Framing.SEGMENT
            || s.getCiphertextOffset() != Framing.TINK_HEADER) {
          throw new IllegalStateException("unexpected Tink stream layout for key id " + e.getId());
        }
        ring.enabled.put(e.getId(), s);
      } catch (GeneralSecurityException ex) {
        throw new IllegalArgumentException("key id " + Integer.toUnsignedString(e.getId()) + " of " + source
            + " cannot be used: " + ex.getClass().getSimpleName(), null);
      }
    }
    if (!ring.enabled.containsKey(ring.primary)) {
      throw new IllegalArgumentException("the primary key of " + source + " is not enabled");
    }
    return ring;
  }

  int primaryId() {
    return primary;
  }

  AesGcmHkdfStreaming primary() {
    return enabled.get(primary);
  }

  /** The cipher of key id {@code id}, or null. */
  AesGcmHkdfStreaming get(int id) {
    return enabled.get(id);
  }

  /** Why key id {@code id} is not usable, for a message. */
  String whyMissing(int id) {
    KeyStatus s = other.get(id);
    return s != null ? "key id " + Integer.toUnsignedString(id) + " is " + s + " in " + source
        + " (enable it again to read objects written with it)"
        : "key id " + Integer.toUnsignedString(id) + " is not in " + source + " (which holds "
            + ids() + "); load the keyset that wrote this object, or one that still holds its key after a rotation";
  }

  String ids() {
    StringBuilder b = new StringBuilder("key ids ");
    enabled.keySet().stream().sorted().forEach(i -> b.append(Integer.toUnsignedString(i))
        .append(i == primary ? " (primary)" : "").append(", "));
    b.setLength(b.length() - 2);
    return b.toString();
  }

  String source() {
    return source;
  }

  @Override
  public String toString() {
    return "Keyring{" + source + ", " + ids() + '}';
  }
}
