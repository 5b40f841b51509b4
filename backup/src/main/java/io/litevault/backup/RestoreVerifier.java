package io.litevault.backup;

import io.litevault.replication.restore.IntegrityCheck;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.crypt.EncryptedObjectStore;
import io.litevault.bucket.crypt.KeyProvider;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import io.litevault.replication.format.BucketLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The restore-backed {@link TierVerifier}: finds every replicated database in the tier (a prefix holding
 * {@code lineages/<lineage>/snapshots/}), restores its newest state into a temporary file with the
 * restore library — which verifies every object's CRC and the database checksum chain — and runs
 * {@code PRAGMA integrity_check} on it. Any failure names the database and what failed.
 *
 * <p>A tier of an encrypted bucket holds the ciphertext exactly as the source does (the copies never
 * decrypt): give this verifier the keys ({@link #RestoreVerifier(Path, KeyProvider)}) and it reads the tier
 * through an {@link EncryptedObjectStore}, as a restore from the tier would. A bucket written with key scopes
 * ({@link EncryptedObjectStore#scoped}) needs each database's: one for all
 * ({@link #RestoreVerifier(Path, KeyProvider, String)}), or one per database
 * ({@link #RestoreVerifier(Path, KeyProvider, Function)}; {@link #SCOPE_IS_DATABASE_NAME} for the README's
 * convention, the scope being the database's name, the last segment of its prefix).
 */
public final class RestoreVerifier implements TierVerifier {
  private final Path scratch;
  /** The scope of each database: the last segment of its prefix ({@code litevault/orders} is in {@code orders}). */
  public static final Function<String, String> SCOPE_IS_DATABASE_NAME =
      prefix -> prefix.substring(prefix.lastIndexOf('/') + 1);

  private final KeyProvider keys;
  /** A database's prefix in the tier to its key scope; null: unscoped. */
  private final Function<String, String> scopeOf;
  /** Scoped databases are read with their unscoped history too. */
  private final boolean unscopedHistory;

  /** @param scratch a directory for the temporary restored files (deleted after each check) */
  public RestoreVerifier(Path scratch) {
    this(scratch, null);
  }

  /**
   * For a tier of an encrypted bucket.
   *
   * @param scratch a directory for the temporary restored files (deleted after each check)
   * @param keys the keys the bucket was written with (null: the tier is not encrypted)
   */
  public RestoreVerifier(Path scratch, KeyProvider keys) {
    this(scratch, keys, (Function<String, String>) null);
  }

  /**
   * For a tier of an encrypted bucket written with a key scope: every database in the tier is read in it.
   *
   * @param scratch a directory for the temporary restored files (deleted after each check)
   * @param keys the keys the bucket was written with
   * @param scope the key scope the replicator wrote with, or null for none
   * @throws IllegalArgumentException a scope without keys, or a scope that cannot be one
   */
  public RestoreVerifier(Path scratch, KeyProvider keys, String scope) {
    this(scratch, keys, scope == null ? null : one(EncryptedObjectStore.requireValidScope(scope)));
  }

  /**
   * For a tier of an encrypted bucket whose databases have their own key scopes.
   *
   * @param scopeOf a database's prefix in the tier (without the tier's prefix) to its scope; null: unscoped
   * @throws IllegalArgumentException scopes without keys
   */
  public RestoreVerifier(Path scratch, KeyProvider keys, Function<String, String> scopeOf) {
    this(scratch, keys, scopeOf, false);
  }

  /**
   * As {@link #RestoreVerifier(Path, KeyProvider, Function)}; with {@code unscopedHistory}, each scoped
   * database's objects written before its scope was set are read too
   * ({@link EncryptedObjectStore#withUnscopedHistory()}).
   */
  public RestoreVerifier(Path scratch, KeyProvider keys, Function<String, String> scopeOf, boolean unscopedHistory) {
    if (scopeOf != null && keys == null) {
      throw new IllegalArgumentException("key scopes need the keys of the encrypted bucket");
    }
    if (unscopedHistory && scopeOf == null) {
      throw new IllegalArgumentException("unscoped history applies only to scoped databases");
    }
    this.scratch = scratch;
    this.keys = keys;
    this.scopeOf = scopeOf;
    this.unscopedHistory = unscopedHistory;
  }

  private static Function<String, String> one(String scope) {
    return prefix -> scope;
  }

  @Override
  public VerificationResult verify(ObjectStore tier, String tierPrefix) {
    // not closed: closing the wrapper would close the tier's store, which is the caller's
    EncryptedObjectStore encrypted = keys == null ? null : EncryptedObjectStore.wrap(tier, keys);
    ObjectStore tierStore = keys == null ? tier : encrypted;
    TreeSet<String> databases = new TreeSet<>();
    try (Stream<ObjectInfo> all = tierStore.list(tierPrefix)) {
      all.forEach(o -> BucketLayout.locate(o.key())
          .filter(k -> k.kind() == BucketLayout.Kind.SNAPSHOT && !k.databasePrefix().isEmpty())
          .ifPresent(k -> databases.add(k.databasePrefix())));
    }
    List<String> passed = new ArrayList<>();
    for (String prefix : databases) {
      Path out;
      try {
        Files.createDirectories(scratch);
        out = Files.createTempDirectory(scratch, "verify").resolve("restored.db");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a scratch file under " + scratch, e);
      }
      try {
        ObjectStore reader = tierStore;
        if (scopeOf != null) {
          EncryptedObjectStore scoped = encrypted.scoped(scopeOf.apply(relative(tierPrefix, prefix)));
          reader = unscopedHistory ? scoped.withUnscopedHistory() : scoped;
        }
        RestoreResult r = Restore.run(RestoreOptions.builder(reader, prefix, out)
            .integrityCheck(IntegrityCheck.FULL).build());
        passed.add(prefix + " @ " + r.lineage() + "/" + r.txid());
      } catch (RestoreException e) {
        return VerificationResult.failed(passed.size(), "database '" + prefix + "' does not restore from the tier: "
            + e.getMessage());
      } catch (IllegalArgumentException badScope) {
        return VerificationResult.failed(passed.size(), "database '" + prefix + "' has no valid key scope: "
            + badScope.getMessage());
      } finally {
        deleteQuietly(out.getParent());
      }
    }
    return VerificationResult.passed(passed.size(), passed.isEmpty() ? "no replicated database in the tier"
        : String.join(", ", passed));
  }

  /** {@code prefix} without the tier's prefix: the database's prefix as it is in the source. */
  private static String relative(String tierPrefix, String prefix) {
    String t = tierPrefix.endsWith("/") ? tierPrefix : tierPrefix + "/";
    return prefix.startsWith(t) ? prefix.substring(t.length()) : prefix;
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a scratch directory left behind is harmless
    }
  }
}
