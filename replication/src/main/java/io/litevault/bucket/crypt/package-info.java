/**
 * Client-side encryption of a bucket: {@link io.litevault.bucket.crypt.EncryptedObjectStore} wraps any
 * {@link io.litevault.bucket.ObjectStore} so that every body leaves the process encrypted with a key the
 * bucket (and a public cloud holding a backup tier) never sees; {@link io.litevault.bucket.crypt.KeyProvider}
 * is where the keys come from ({@link io.litevault.bucket.crypt.KeyProviders}: a keyset file, an environment
 * variable, an envelope under a KMS key); {@link io.litevault.bucket.crypt.ObjectDecryptionException} is the one
 * error of an object that does not decrypt. One keyset for several databases: a key scope per database
 * ({@link io.litevault.bucket.crypt.EncryptedObjectStore#scoped}). Package-private: {@code Framing} (the format and its size
 * arithmetic), {@code Keyring} (keys by id), {@code EncryptingStream} and {@code DecryptingStream}.
 *
 * <h2>Why Tink and not the JDK's AES/GCM</h2>
 * The JDK's JCA ({@code Cipher.getInstance("AES/GCM/NoPadding")}) gives one-shot AEAD over a whole message:
 * streaming a 5 GiB snapshot, reading a range of it, and noticing a cut-off object all need a segmented
 * construction on top (per-segment nonces derived from a counter and a last-segment flag, a per-object key
 * so nonces never repeat across billions of objects), plus key ids, rotation, a keyset file format and a KMS
 * envelope — each of which we would design, review and get wrong alone. Google Tink ships exactly these,
 * reviewed and in wide use: its streaming AEAD {@code AES256_GCM_HKDF_1MB} (HKDF-SHA256 derives a fresh
 * AES-256 key per object from a random salt; 1 MiB segments, each an AES-GCM message whose nonce carries the
 * segment number and the last-segment flag: seekable, and truncation or reordering fails authentication),
 * keysets whose keys carry ids and a primary (rotation without rewriting the bucket; {@code tinkey} manages
 * them), and keysets encrypted by a KMS key (the envelope). The price is one dependency (Tink, with protobuf
 * and gson) and the use of Tink's segment-level API ({@code StreamSegmentEncrypter}/{@code Decrypter}) so that a
 * ranged GET decrypts only the segments it fetched; the cipher underneath is still the JDK's AES-GCM.
 *
 * <p>Imports nothing of Litevault but {@code io.litevault.bucket}.
 */
package io.litevault.bucket.crypt;
