package io.litevault.backup;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.StoreUnavailableException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line: one tier run, for setups where cron (or a Kubernetes CronJob) outside the service
 * decides when. Thin: arguments are parsed into {@link CliOptions}, which open the stores and run
 * {@link TieredBackup#runNow(String)} with the default tiers.
 *
 * <pre>java -jar backup/target/litevault-backup.jar --source s3://app-bucket --source-endpoint http://minio:9000 \
 *     --target s3://backups-bucket/litevault/ --tier daily</pre>
 */
@Command(name = "litevault-backup", mixinStandardHelpOptions = true, version = "litevault-backup 0.1",
    description = "Runs one backup tier: copies what changed from the source bucket (or the upstream tier) "
        + "into <target>/<tier>/ and deletes what is gone.",
    footer = {"", "Credentials come from the environment, never from arguments: SOURCE_AWS_ACCESS_KEY_ID and "
        + "SOURCE_AWS_SECRET_ACCESS_KEY, TARGET_AWS_ACCESS_KEY_ID and TARGET_AWS_SECRET_ACCESS_KEY; unset, "
        + "the client's default chain (AWS_* variables, profile, instance role).",
        "", "Exit codes:",
        "  0  the tier run succeeded",
        "  1  the run failed (some copies or deletes failed; the tier keeps its previous state; run again)",
        "  2  bad arguments",
        "  3  a store is unreachable, refuses the credentials, or its bucket does not exist",
        "  4  the copy completed but verification of the tier failed",
        "  5  unexpected internal error",
        "  6  refused, nothing copied or deleted: the source lists nothing, the run would shrink the tier by more",
        "     than --max-loss-share or delete a database's newest lineage (--allow-destructive-run lets it",
        "     through), or another run holds the tier's lease"},
    sortOptions = false)
public final class BackupCli implements Callable<Integer> {
  static final int OK = 0;
  static final int RUN_FAILED = 1;
  static final int USAGE = 2;
  static final int UNAVAILABLE = 3;
  static final int VERIFICATION_FAILED = 4;
  static final int INTERNAL = 5;
  static final int REFUSED = 6;

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

  @Option(names = "--source-client", defaultValue = "minio", description = "minio or aws (default ${DEFAULT-VALUE})")
  String sourceClient;

  @Option(names = "--target-client", defaultValue = "aws", description = "minio or aws (default ${DEFAULT-VALUE})")
  String targetClient;

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
      + "a temp file and run integrity_check (exit 4 when one fails)")
  boolean verify;

  private Map<String, String> env = System.getenv();
  private PrintWriter out;
  private PrintWriter err;

  /** The parsed arguments, checked. */
  record CliOptions(StoreUri source, String sourceEndpoint, StoreUri.Client sourceClient, String sourceRegion,
      StoreUri target, String targetEndpoint, StoreUri.Client targetClient, String targetRegion, String tier,
      int parallelism, boolean verify, double maxLossShare, boolean allowDestructiveRun) {}

  public static void main(String[] args) {
    System.exit(execute(args, System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command; returns the exit code. */
  static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    BackupCli cli = new BackupCli();
    cli.env = env;
    cli.out = out;
    cli.err = err;
    CommandLine cmd = new CommandLine(cli).setOut(out).setErr(err)
        .setParameterExceptionHandler((e, a) -> {
          err.println("litevault-backup: " + e.getMessage());
          err.println("Try --help.");
          return USAGE;
        })
        .setExecutionExceptionHandler((e, c, p) -> {
          err.println("litevault-backup: internal error: " + e);
          return INTERNAL;
        });
    return cmd.execute(args);
  }

  @Override
  public Integer call() {
    CliOptions o;
    try {
      o = new CliOptions(StoreUri.parse("--source", source), sourceEndpoint, client("--source-client", sourceClient),
          sourceRegion, StoreUri.parse("--target", target), targetEndpoint, client("--target-client", targetClient),
          targetRegion, tier, parallelism, verify, maxLossShare, allowDestructiveRun);
      if (!(maxLossShare >= 0 && maxLossShare <= 1)) {
        throw new IllegalArgumentException("--max-loss-share " + maxLossShare + " must be in [0, 1]");
      }
      Tier.defaults().stream().filter(t -> t.name().equals(tier)).findFirst().orElseThrow(() ->
          new IllegalArgumentException("--tier '" + tier + "' is not one of daily, 1-week, 2-week"));
    } catch (IllegalArgumentException e) {
      err.println("litevault-backup: " + e.getMessage());
      return USAGE;
    }
    return run(o);
  }

  private int run(CliOptions o) {
    ObjectStore src = null;
    ObjectStore dst = null;
    try {
      src = o.source().open("SOURCE", o.sourceEndpoint(), o.sourceRegion(), o.sourceClient(), env);
      dst = o.target().open("TARGET", o.targetEndpoint(), o.targetRegion(), o.targetClient(), env);
      verify(src, "SOURCE");
      verify(dst, "TARGET");
      BackupOptions.Builder builder = BackupOptions.builder(src, dst).sourcePrefix(o.source().prefix())
          .targetPrefix(o.target().prefix()).parallelism(o.parallelism()).maxLossShare(o.maxLossShare())
          .allowDestructiveRun(o.allowDestructiveRun());
      if (o.verify()) {
        builder.verifier(new RestoreVerifier(java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "litevault-verify")));
      }
      BackupOptions options = builder.build();
      try (TieredBackup backup = TieredBackup.create(options)) {
        TierRunReport r = backup.runNow(o.tier());
        out.println(r);
        return switch (r.status()) {
          case SUCCEEDED -> OK;
          case FAILED -> RUN_FAILED;
          case VERIFICATION_FAILED -> VERIFICATION_FAILED;
          case REFUSED -> REFUSED; // runNow throws instead
        };
      } catch (BackupRefusedException e) {
        err.println("litevault-backup: refused (--source " + o.source() + ", --target " + o.target() + ", tier "
            + o.tier() + "): " + e.getMessage());
        err.println("litevault-backup: " + switch (e.reason()) {
          case EMPTY_SOURCE, LINEAGE_LOSS -> "to run it anyway, add --allow-destructive-run";
          case TOO_MUCH_LOSS -> "to run it anyway, raise --max-loss-share (now " + o.maxLossShare()
              + ") or add --allow-destructive-run";
          case TIER_LEASED -> "wait for that run to end (or its lease to expire), then run again";
        });
        return REFUSED;
      }
    } catch (StoreUnavailableException e) {
      err.println("litevault-backup: " + e.getMessage());
      return UNAVAILABLE;
    } catch (IllegalArgumentException e) {
      err.println("litevault-backup: " + e.getMessage());
      return USAGE;
    } finally {
      if (src != null) {
        src.close();
      }
      if (dst != null) {
        dst.close();
      }
    }
  }

  /** Verifies a store; when its client found no credentials, says which of this tool's variables to set. */
  private static void verify(ObjectStore store, String role) {
    try {
      store.verify();
    } catch (StoreUnavailableException e) {
      if (e.kind() == io.litevault.bucket.ErrorKind.BAD_CREDENTIALS
          && String.valueOf(e.getMessage()).contains("no credentials found")) {
        throw new StoreUnavailableException(e.kind(), "verify", "no credentials for the " + role.toLowerCase(
            java.util.Locale.ROOT) + " store: set " + role + "_AWS_ACCESS_KEY_ID and " + role
            + "_AWS_SECRET_ACCESS_KEY (or the client's own sources: " + e.getMessage() + ")", e);
      }
      throw e;
    }
  }

  private static StoreUri.Client client(String what, String value) {
    return switch (value) {
      case "minio" -> StoreUri.Client.MINIO;
      case "aws" -> StoreUri.Client.AWS;
      default -> throw new IllegalArgumentException(what + " '" + value + "' must be minio or aws");
    };
  }
}
