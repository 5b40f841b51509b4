package io.litevault.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Seconds of acknowledged writes lost per kill -9, Litevault ({@code Durability.LOCAL}, replicator defaults)
 * against Litestream 0.3.13 (defaults) side by side on one S3 server: see {@link LossBench}. The CLI only
 * turns arguments into {@link LossBench.Options}.
 *
 * <pre>
 * npm install --prefix /tmp/ls @flydotio/litestream-linux-x64@1.0.1
 * java -cp benchmarks/target/benchmarks.jar io.litevault.bench.LossHarness --rounds 10 --seed 1
 * </pre>
 */
@Command(name = "loss", mixinStandardHelpOptions = true,
    description = "Data lost per kill -9: Litevault LOCAL vs Litestream 0.3.13, same S3 server, same run.")
public final class LossHarness implements Callable<Integer> {
  @Option(names = "--rounds", defaultValue = "10", description = "rounds per system (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--rate", defaultValue = "500", description = "single-row transactions a second (default: ${DEFAULT-VALUE})")
  int rate;

  @Option(names = "--seed", description = "seed of the kill delays (default: random, printed)")
  Long seed;

  @Option(names = "--min-kill-seconds", defaultValue = "5", description = "kill delay lower bound (default: ${DEFAULT-VALUE})")
  double minKill;

  @Option(names = "--max-kill-seconds", defaultValue = "15", description = "kill delay upper bound (default: ${DEFAULT-VALUE})")
  double maxKill;

  @Option(names = "--dir", description = "working directory (default: a fresh temporary directory, kept)")
  Path dir;

  @Option(names = "--litestream", description = "the litestream 0.3.13 binary (default: " + "the npm package under /tmp/ls)")
  Path litestream;

  @Option(names = "--client", defaultValue = "minio", description = "Litevault's S3 client: minio or aws (default: ${DEFAULT-VALUE})")
  String client;

  @Option(names = "--systems", split = ",", defaultValue = "LITEVAULT,LITESTREAM",
      description = "which to run, in round order (default: ${DEFAULT-VALUE})")
  List<LossBench.Subject> systems;

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.exit(new CommandLine(new LossHarness()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (rounds < 1 || rate < 1 || minKill <= 0 || maxKill < minKill) {
      throw new CommandLine.ParameterException(new CommandLine(this), "need rounds >= 1, rate >= 1, 0 < min <= max kill");
    }
    Path binary = Litestream.find(litestream);
    new LossBench(new LossBench.Options(rounds, rate, seed != null ? seed : System.nanoTime(), minKill, maxKill, dir,
        binary, client, systems), System.out).run();
    return 0;
  }
}
