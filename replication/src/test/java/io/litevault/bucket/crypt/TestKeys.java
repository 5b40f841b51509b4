package io.litevault.bucket.crypt;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeyStatus;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import java.security.GeneralSecurityException;

/** Keysets for tests: fresh ones, rotated ones, their JSON. */
public final class TestKeys {
  static {
    try {
      StreamingAeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private TestKeys() {}

  /** A new keyset of one AES256_GCM_HKDF_1MB key. */
  public static KeysetHandle fresh() {
    try {
      return KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code keyset} plus a new primary key; the old keys stay enabled (what {@code tinkey rotate-keyset} does). */
  public static KeysetHandle rotated(KeysetHandle keyset) {
    KeysetHandle.Builder b = KeysetHandle.newBuilder(keyset);
    b.addEntry(KeysetHandle.generateEntryFromParameters(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB)
        .withRandomId().makePrimary());
    try {
      return b.build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code keyset} without the key of id {@code id}. */
  public static KeysetHandle without(KeysetHandle keyset, int id) {
    KeysetHandle.Builder b = KeysetHandle.newBuilder(keyset);
    for (int i = 0; i < keyset.size(); i++) {
      if (keyset.getAt(i).getId() == id) {
        b.deleteAt(i);
        break;
      }
    }
    try {
      return b.build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code keyset} with the key of id {@code id} disabled. */
  public static KeysetHandle disabled(KeysetHandle keyset, int id) {
    KeysetHandle.Builder b = KeysetHandle.newBuilder(keyset);
    for (int i = 0; i < keyset.size(); i++) {
      if (keyset.getAt(i).getId() == id) {
        b.getAt(i).setStatus(KeyStatus.DISABLED);
      }
    }
    try {
      return b.build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String json(KeysetHandle keyset) {
    try {
      return TinkJsonProtoKeysetFormat.serializeKeyset(keyset, InsecureSecretKeyAccess.get());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyProvider provider(KeysetHandle keyset) {
    return KeyProviders.of(keyset, "test keyset");
  }
}
