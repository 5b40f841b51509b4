package io.litevault.backup;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreOptions;
import io.litevault.bucket.crypt.KeyProvider;
import io.litevault.bucket.crypt.KeyProviders;
import io.litevault.bucket.ObjectStores;
import io.litevault.bucket.OpenedStore;
import io.litevault.bucket.StoreUnavailableException;
import io.litevault.bucket.StoreUri;
import io.litevault.cli.Cli;
import io.litevault.cli.ExitCode;
import io.litevault.cli.Failure;
import io.litevault.cli.JarVersion;
import io.litevault.cli.Verbosity;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The command line: one tier run, for setups where cron (or a Kubernetes CronJob) outside the service
 * decides when. Thin: arguments become {@link CliOptions}, stores are opened by
 * {@link ObjectStores#open}, and {@link TieredBackup#runNow(String)} runs with the default tiers. Set up by
 * the shared {@link Cli}: exit codes are {@link ExitCode}'s.
 *
 * <pre>java -jar backup/target/litevault-backup.jar --source s3://app-bucket --source-endpoint http://minio:9000 \
 *     --target s3://backups-bucket/litevault/ --tier daily</pre>
 */
@Command(name = "litevault-backup", mixinStandardHelpOptions = true, versionProvider = JarVersion.class,
    description = "Runs one backup tier: copies what changed from the source bucket (or the upstream tier) "
        + "into <target>/<tier>/ and deletes what is gone.",
    footer = {"", "Credentials come from the environment, never from arguments or URIs: SOURCE_AWS_ACCESS_KEY_ID and "
        + "SOURCE_AWS_SECRET_ACCESS_KEY, TARGET_AWS_ACCESS_KEY_ID and TARGET_AWS_SECRET_ACCESS_KEY; unset, "
        + "the client's default chain (AWS_* variables, profile, instance role)."},
    sortOptions = false)
public final class BackupCli implements Callable<Integer> {
  /** The exit codes this command documents; numbers and meanings are {@link ExitCode}'s. */
  static final Set<ExitCode> EXIT_CODES = EnumSet.of(ExitCode.OK, ExitCode.UNEXPECTED, ExitCode.USAGE,
      ExitCode.STORE_UNAVAILABLE, ExitCode.RUN_FAILED, ExitCode.VERIFICATION_FAILED, ExitCode.REFUSED);
  static final int OK = ExitCode.OK.code();
  static final int RUN_FAILED = ExitCode.RUN_FAILED.code();
  static final int USAGE = ExitCode.USAGE.code();
  static final int UNAVAILABLE = ExitCode.STORE_UNAVAILABLE.code();
  static final int VERIFICATION_FAILED = ExitCode.VERIFICATION_FAILED.code();
  static final int INTERNAL = ExitCode.UNEXPECTED.code();
  static final int REFUSED = ExitCode.REFUSED.code();

  @Option(names = "--source", required = true, paramLabel = "URI", description = "s3://bucket[/prefix/], or file:///dir for a directory kept by FileSystemObjectStore")
  String source;

  @Option(names = "--target", required = true, paramLabel = "URI", description = "s3://bucket[/prefix/], or file:///dir for a directory kept by FileSystemObjectStore")
  String target;

  @Option(names = "--tier", required = true, description = "daily, 1-week or 2-week")
  String tier;

  @Option(names = "--source-endpoint", paramLabel = "URL", description = "S3-compatible endpoint of the source, e.g. http://minio:9000")
  String sourceEndpoint;

  @Option(names = "--target-endpoint", paramLabel = "URL", description = "S3-compatible endpoint of the target; unset: AWS S3")
  String targetEndpoint;

  @Option(names = "--source-client", paramLabel = "minio|aws", defaultValue = "minio",
      converter = io.litevault.cli.EnumConverter.Client.class, description = "minio or aws (default minio)")
  ObjectStoreOptions.Client sourceClient;

  @Option(names = "--target-client", paramLabel = "minio|aws", defaultValue = "aws",
      converter = io.litevault.cli.EnumConverter.Client.class, description = "minio or aws (default aws)")
  ObjectStoreOptions.Client targetClient;

  @Option(names = "--source-region", defaultValue = "us-east-1", description = "default ${DEFAULT-VALUE}")
  String sourceRegion;

  @Option(names = "--target-region", defaultValue = "us-east-1", description = "default ${DEFAULT-VALUE}")
  String targetRegion;

  @Option(names = "--parallelism", defaultValue = "" + BackupOptions.DEFAULT_PARALLELISM,
      description = "copies in flight (default ${DEFAULT-VALUE})")
  int parallelism;

  @Option(names = "--max-loss-share", paramLabel = "SHARE", defaultValue = "" + BackupOptions.DEFAULT_MAX_LOSS_SHARE,
      description = "refuse a run that would shrink the tier by more than this share of its objects, in [0, 1] "
          + "(default ${DEFAULT-VALUE})")
  double maxLossShare;

  @Option(names = "--allow-destructive-run", description = "run even if the source lists nothing, the tier would "
      + "shrink by more than --max-loss-share, or a database's newest lineage would be deleted (for one run you "
      + "have checked: with it, a mistyped --source empties the tier)")
  boolean allowDestructiveRun;

  @Option(names = "--verify", description = "after the run, restore every replicated database from the tier into "
      + "a temp file and run integrity_check (exit 12 when one fails)")
  boolean verify;

  @Option(names = "--keyset-file", paramLabel = "PATH", description = "with --verify, for an encrypted bucket: the "
      + "Tink JSON keyset the restore-check decrypts with (the copies themselves never decrypt: tiers hold the "
      + "ciphertext as it is)")
  Path keysetFile;

  @Option(names = "--keyset-env", paramLabel = "VAR", description = "as --keyset-file, the keyset held in this "
      + "environment variable (its name goes on the command line, never the keyset)")
  String keysetEnv;

  @Option(names = "--key-scope", paramLabel = "NAME", description = "with a keyset: the key scope the replicator "
      + "wrote with (the database's name, when one keyset encrypts several databases); the restore-check reads "
      + "every database of the tier in it")
  String keyScope;

  @Option(names = "--key-scope-by-database", description = "with a keyset: each database's key scope is its name, "
      + "the last segment of its prefix (litevault/orders is read in scope orders): one keyset for several "
      + "databases, each scoped to its name")
  boolean keyScopeByDatabase;

  @Option(names = "--allow-unscoped-history", description = "with a key scope: the restore-check reads objects "
      + "written without a scope too (history from before the scope was turned on)")
  boolean unscopedHistory;

  @Mixin
  Verbosity verbosity = new Verbosity();

  private Map<String, String> env = System.getenv();
  private PrintWriter out;

  /** The parsed arguments, checked: one store side each. */
  record CliOptions(Side source, Side target, String tier, int parallelism, boolean verify, double maxLossShare,
      boolean allowDestructiveRun) {}

  /**
   * One store of the run.
   *
   * @param flag the flag that named it, for messages
   * @param uri where it is
   * @param options how to reach it (credentials from {@code <ROLE>_AWS_*})
   */
  record Side(String flag, StoreUri uri, ObjectStoreOptions options) {
    /** {@code SOURCE} or {@code TARGET}. */
    String role() {
      return flag.substring(2).toUpperCase(Locale.ROOT);
    }
  }

  public static void main(String[] args) {
    System.exit(execute(args, System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command; returns the exit code. */
  static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    BackupCli cli = new BackupCli();
    cli.env = env;
    cli.out = out;
    return Cli.commandLine(cli, Cli.setup("litevault-backup: ", EXIT_CODES, BackupCli::failure), out, err)
        .execute(args);
  }

  @Override
  public Integer call() {
    return run(options());
  }

  private CliOptions options() {
    if (!(maxLossShare >= 0 && maxLossShare <= 1)) {
      throw new IllegalArgumentException("--max-loss-share " + maxLossShare + " must be in [0, 1]");
    }
    Side src = side("--source", source, sourceEndpoint, sourceRegion, sourceClient);
    Side dst = side("--target", target, targetEndpoint, targetRegion, targetClient);
    if (!verify && (keysetFile != null || keysetEnv != null)) {
      throw new IllegalArgumentException((keysetFile != null ? "--keyset-file" : "--keyset-env") + " serves only "
          + "--verify: the copies never decrypt (a tier holds the ciphertext as it is); add --verify or drop it");
    }
    if (keyScope != null && keyScopeByDatabase) {
      throw new IllegalArgumentException("give --key-scope or --key-scope-by-database, not both");
    }
    if (unscopedHistory && keyScope == null && !keyScopeByDatabase) {
      throw new IllegalArgumentException("--allow-unscoped-history needs --key-scope or --key-scope-by-database");
    }
    if ((keyScope != null || keyScopeByDatabase) && keysetFile == null && keysetEnv == null) {
      throw new IllegalArgumentException((keyScope != null ? "--key-scope" : "--key-scope-by-database")
          + " needs --keyset-file or --keyset-env: a scope only binds encrypted objects");
    }
    if (keyScope != null) {
      Cli.flag("--key-scope", () -> io.litevault.bucket.crypt.EncryptedObjectStore.requireValidScope(keyScope));
    }
    Tier.defaults().stream().filter(t -> t.name().equals(tier)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("--tier '" + tier + "' is not one of daily, 1-week, 2-week"));
    return new CliOptions(src, dst, tier, parallelism, verify, maxLossShare, allowDestructiveRun);
  }

  private Side side(String flag, String uri, String endpoint, String region, ObjectStoreOptions.Client client) {
    StoreUri parsed = Cli.uri(flag, uri);
    ObjectStoreOptions.Builder b = ObjectStoreOptions.builder().client(client).interactive().environment(env)
        .variablePrefix(flag.substring(2).toUpperCase(Locale.ROOT) + "_");
    Cli.flag(flag + "-endpoint", () -> b.endpoint(endpoint));
    Cli.flag(flag + "-region", () -> b.region(region));
    return new Side(flag, parsed, b.build());
  }

  /** The restore-check's keys, or null for a bucket written without encryption. */
  private KeyProvider keys() {
    if (keysetFile != null && keysetEnv != null) {
      throw new IllegalArgumentException("give --keyset-file or --keyset-env, not both");
    }
    KeyProvider keys = keysetFile != null ? KeyProviders.keysetFile(keysetFile)
        : keysetEnv != null ? KeyProviders.environment(keysetEnv, env) : null;
    if (keys != null) {
      try {
        keys.keyset(); // fail before copying anything when the keyset cannot be had
      } catch (IllegalStateException e) {
        throw new IllegalArgumentException((keysetFile != null ? "--keyset-file: " : "--keyset-env: ")
            + e.getMessage(), e);
      }
    }
    return keys;
  }

  private int run(CliOptions o) {
    try (OpenedStore src = open(o.source()); OpenedStore dst = open(o.target())) {
      BackupOptions.Builder builder = BackupOptions.builder(src.store(), dst.store()).sourcePrefix(src.keyPrefix())
          .targetPrefix(dst.keyPrefix()).parallelism(o.parallelism()).maxLossShare(o.maxLossShare())
          .allowDestructiveRun(o.allowDestructiveRun());
      if (o.verify()) {
        java.util.function.Function<String, String> scopes = keyScopeByDatabase ? RestoreVerifier.SCOPE_IS_DATABASE_NAME
            : keyScope == null ? null : database -> keyScope;
        builder.verifier(new RestoreVerifier(Path.of(System.getProperty("java.io.tmpdir"), "litevault-verify"),
            keys(), scopes, unscopedHistory));
      }
      try (TieredBackup backup = TieredBackup.create(builder.build())) {
        TierRunReport r = backup.runNow(o.tier());
        out.println(r);
        return (switch (r.status()) {
          case SUCCEEDED -> ExitCode.OK;
          case FAILED -> ExitCode.RUN_FAILED;
          case VERIFICATION_FAILED -> ExitCode.VERIFICATION_FAILED;
          case REFUSED -> ExitCode.REFUSED; // runNow throws instead
        }).code();
      } catch (BackupRefusedException e) {
        throw new Refused(e, o);
      }
    }
  }

  /** Opens and verifies one side; when its client found no credentials, says which variables to set. */
  private static OpenedStore open(Side side) {
    OpenedStore opened = ObjectStores.open(side.uri(), side.options());
    try {
      opened.store().verify();
      return opened;
    } catch (StoreUnavailableException e) {
      opened.close();
      if (e.kind() == ErrorKind.BAD_CREDENTIALS && String.valueOf(e.getMessage()).contains("no credentials found")) {
        throw new StoreUnavailableException(e.kind(), "verify", "no credentials for the " + side.role().toLowerCase(
            Locale.ROOT) + " store: set " + side.options().accessKeyVariable() + " and "
            + side.options().secretKeyVariable() + " (or the client's own sources: " + e.getMessage() + ")", e);
      }
      throw e;
    } catch (RuntimeException e) {
      opened.close();
      throw e;
    }
  }

  /** A refused run, with the flags that were given and the one to change. */
  private static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refused(BackupRefusedException e, CliOptions o) {
      super("refused (--source " + o.source().uri() + ", --target " + o.target().uri() + ", tier " + o.tier() + "): "
          + e.getMessage() + "; " + switch (e.reason()) {
            case EMPTY_SOURCE, LINEAGE_LOSS -> "to run it anyway, add --allow-destructive-run";
            case TOO_MUCH_LOSS -> "to run it anyway, raise --max-loss-share (now " + o.maxLossShare()
                + ") or add --allow-destructive-run";
            case TIER_LEASED -> "wait for that run to end (or its lease to expire), then run again";
          }, e);
    }
  }

  private static Failure failure(Throwable e) {
    return e instanceof Refused ? new Failure(ExitCode.REFUSED, e.getMessage()) : Failure.of(e);
  }
}
