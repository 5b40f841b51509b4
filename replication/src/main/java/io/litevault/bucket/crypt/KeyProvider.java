package io.litevault.bucket.crypt;

import com.google.crypto.tink.KeysetHandle;

/**
 * Where an {@link EncryptedObjectStore} gets its keys: a Tink keyset of AES256_GCM_HKDF_1MB streaming AEAD
 * keys. The seam between the bucket layer and whatever guards the keys.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #keyset()} is called once, when a store is wrapped; the keys are then held in memory until the
 *       store is closed. A provider that cannot produce them (missing file, unset variable, a KMS that refuses)
 *       throws {@link IllegalStateException} with a message naming the source and what to do, never the key.
 *   <li>New objects are encrypted with the keyset's <b>primary</b> key; an object is decrypted with the key its
 *       header names, which must be an <b>enabled</b> key of the keyset. Rotation is therefore a keyset
 *       operation: add a key, make it primary, keep the old one enabled as long as objects written with it are
 *       kept (the retention period, and the backup tiers' two weeks). Nothing in the bucket is rewritten.
 *   <li>Every key must be {@code AES256_GCM_HKDF_1MB}: the object format fixes these parameters so that a
 *       listing can report plaintext sizes without reading objects. Other keys are refused when wrapping.
 *   <li>{@link #describe()} names the source for messages ({@code keyset file /etc/litevault/keyset.json},
 *       {@code keyset in $LITEVAULT_KEYSET}); it and {@code toString()} never contain key material.
 * </ul>
 *
 * <h2>Implementations</h2>
 * {@link KeyProviders#keysetFile} and {@link KeyProviders#environment} read a cleartext Tink JSON keyset (the
 * default: the file or variable is the secret, protect it like a password file). {@link KeyProviders#envelope}
 * reads a keyset that is itself encrypted by a key-encryption key held elsewhere — an AWS KMS, GCP KMS or Vault
 * transit key behind Tink's {@link com.google.crypto.tink.Aead} (Tink's KMS extensions provide these), so the
 * keyset file on disk is useless without the KMS. Any other source implements this interface.
 *
 * <p>Implementations must be thread-safe.
 */
public interface KeyProvider {

  /**
   * The keys: the primary encrypts, every enabled key decrypts.
   *
   * @throws IllegalStateException if the keys cannot be had; the message names the source, never a key
   */
  KeysetHandle keyset();

  /** Where the keys come from, for messages; never key material. */
  String describe();
}
