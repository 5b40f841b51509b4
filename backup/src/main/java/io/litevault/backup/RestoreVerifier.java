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
 * through an {@link EncryptedObjectStore}, as a restore from the tier would; a bucket written with a key scope
 * ({@link EncryptedObjectStore#scoped}) needs it too ({@link #RestoreVerifier(Path, KeyProvider, String)}).
 */
public final class RestoreVerifier implements TierVerifier {
  private final Path scratch;
  private final KeyProvider keys;
  private final String scope;

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
    this(scratch, keys, null);
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
    if (scope != null && keys == null) {
      throw new IllegalArgumentException("a key scope ('" + scope + "') needs the keys of the encrypted bucket");
    }
    this.scratch = scratch;
    this.keys = keys;
    this.scope = scope == null ? null : EncryptedObjectStore.requireValidScope(scope);
  }

  @Override
  public VerificationResult verify(ObjectStore tier, String tierPrefix) {
    // not closed: closing the wrapper would close the tier's store, which is the caller's
    ObjectStore tierStore = keys == null ? tier
        : scope == null ? EncryptedObjectStore.wrap(tier, keys) : EncryptedObjectStore.wrap(tier, keys).scoped(scope);
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
        RestoreResult r = Restore.run(RestoreOptions.builder(tierStore, prefix, out)
            .integrityCheck(IntegrityCheck.FULL).build());
        passed.add(prefix + " @ " + r.lineage() + "/" + r.txid());
      } catch (RestoreException e) {
        return VerificationResult.failed(passed.size(), "database '" + prefix + "' does not restore from the tier: "
            + e.getMessage());
      } finally {
        deleteQuietly(out.getParent());
      }
    }
    return VerificationResult.passed(passed.size(), passed.isEmpty() ? "no replicated database in the tier"
        : String.join(", ", passed));
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a scratch directory left behind is harmless
    }
  }
}
