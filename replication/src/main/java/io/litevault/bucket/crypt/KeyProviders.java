package io.litevault.bucket.crypt;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Objects;

/**
 * The stock {@link KeyProvider}s. Keysets are Tink's JSON format, as {@code tinkey create-keyset
 * --key-template AES256_GCM_HKDF_1MB --out-format json} writes them ({@code tinkey rotate-keyset} adds a new
 * primary, {@code tinkey create-keyset --master-key-uri ...} writes an encrypted one). Nothing here prints a
 * key: a keyset that does not parse is reported by its source and the parser's exception class only.
 */
public final class KeyProviders {
  static {
    try {
      StreamingAeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private KeyProviders() {}

  /** A cleartext JSON keyset in a file (read when a store is wrapped). */
  public static KeyProvider keysetFile(Path file) {
    Objects.requireNonNull(file, "file");
    String source = "keyset file " + file;
    return provider(source, () -> parse(read(file, source), source, null));
  }

  /**
   * A cleartext JSON keyset held in an environment variable of {@code environment} (normally
   * {@link System#getenv()}): the variable's name goes on command lines, its value never does.
   */
  public static KeyProvider environment(String variable, Map<String, String> environment) {
    Objects.requireNonNull(variable, "variable");
    Map<String, String> env = Map.copyOf(environment);
    String source = "keyset in $" + variable;
    return provider(source, () -> {
      String json = env.get(variable);
      if (json == null || json.isBlank()) {
        throw new IllegalStateException(source + ": the variable is not set; export the JSON keyset in it");
      }
      return parse(json, source, null);
    });
  }

  /**
   * A JSON keyset encrypted with a key-encryption key ({@code kek}, for example a KMS key through Tink's
   * {@code KmsClient.getAead(uri)}): the envelope. {@code associatedData} must be what the keyset was
   * encrypted with (often empty).
   */
  public static KeyProvider envelope(Path encryptedKeyset, Aead kek, byte[] associatedData, String kekName) {
    Objects.requireNonNull(encryptedKeyset, "encryptedKeyset");
    Objects.requireNonNull(kek, "kek");
    byte[] ad = associatedData.clone();
    String source = "keyset file " + encryptedKeyset + " encrypted by " + kekName;
    return provider(source, () -> parse(read(encryptedKeyset, source), source, new Object[] {kek, ad}));
  }

  /** A keyset already in memory (tests, or keys from a source of the caller's own). */
  public static KeyProvider of(KeysetHandle keyset, String description) {
    Objects.requireNonNull(keyset, "keyset");
    return provider(description, () -> keyset);
  }

  private interface Loader {
    KeysetHandle load();
  }

  private static KeyProvider provider(String source, Loader loader) {
    return new KeyProvider() {
      @Override
      public KeysetHandle keyset() {
        return loader.load();
      }

      @Override
      public String describe() {
        return source;
      }

      @Override
      public String toString() {
        return "KeyProvider{" + source + '}';
      }
    };
  }

  private static String read(Path file, String source) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(source + " cannot be read (" + e.getClass().getSimpleName()
          + "); point the keyset option at a readable Tink JSON keyset", null);
    }
  }

  private static KeysetHandle parse(String json, String source, Object[] envelope) {
    try {
      return envelope == null ? TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get())
          : TinkJsonProtoKeysetFormat.parseEncryptedKeyset(json, (Aead) envelope[0], (byte[]) envelope[1]);
    } catch (GeneralSecurityException | RuntimeException e) {
      // the parser's message may quote the input: keep only its class
      throw new IllegalStateException(source + " is not a valid " + (envelope == null ? "" : "encrypted ")
          + "Tink JSON keyset (" + e.getClass().getSimpleName() + ")"
          + (envelope == null ? "" : "; check that the key-encryption key is the one it was written with"), null);
    }
  }
}
