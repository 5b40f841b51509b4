package io.litevault.replication;

import io.litevault.store.SqliteStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JVM shutdown hook for services: on SIGTERM ({@code docker stop}, systemd, Kubernetes) it runs a
 * {@link Handover} — stop accepting writes, commit and ship the accepted ones, release the leases, checkpoint,
 * close the store — and logs what it did. Install it once the replicators run:
 *
 * <pre>{@code
 * GracefulShutdown.install(store, List.of(replicator), HandoverOptions.defaults());
 * }</pre>
 *
 * <p>Docker sends SIGKILL 10 s after SIGTERM unless told otherwise ({@code stop_grace_period} in Compose,
 * {@code docker stop -t}, {@code terminationGracePeriodSeconds} in Kubernetes, default 30 s);
 * {@link HandoverOptions#DEFAULT_TIMEOUT} leaves 2 s of Docker's 10 for the JVM to exit. If the handover
 * cannot ship within its timeout (the bucket is down), the hook closes the replicators and the store
 * anyway: what was not shipped stays in the WAL (the store never checkpoints it away) and ships when the
 * next process starts on these files. SIGKILL in the middle of it is a crash, which loses no write that
 * was acknowledged as REPLICATED.
 */
public final class GracefulShutdown {
  private static final Logger log = LoggerFactory.getLogger(GracefulShutdown.class);

  private final SqliteStore store;
  private final List<Replicator> replicators;
  private final HandoverOptions options;
  private final Thread hook;
  private final AtomicBoolean ran = new AtomicBoolean();

  private GracefulShutdown(SqliteStore store, List<Replicator> replicators, HandoverOptions options) {
    this.store = store;
    this.replicators = List.copyOf(replicators);
    this.options = options;
    this.hook = new Thread(this::runFromHook, "litevault-graceful-shutdown");
  }

  /** Registers the shutdown hook; {@code replicators} are the running replicators of {@code store}'s databases. */
  public static GracefulShutdown install(SqliteStore store, List<Replicator> replicators, HandoverOptions options) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(replicators, "replicators");
    Objects.requireNonNull(options, "options");
    GracefulShutdown g = new GracefulShutdown(store, replicators, options);
    Runtime.getRuntime().addShutdownHook(g.hook);
    return g;
  }

  /**
   * What the hook does, now, at most once (the hook then does nothing): the handover's report, or empty if
   * it was abandoned and the store was closed with commits not yet shipped.
   */
  public Optional<HandoverReport> runNow() {
    if (!ran.compareAndSet(false, true)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Handover.run(store, replicators, options));
    } catch (HandoverException e) {
      log.warn("shutdown: {}; closing anyway: what is not in the bucket stays in the WAL and ships after the next "
          + "start on these files", e.getMessage());
      for (Replicator r : replicators) {
        r.close();
      }
      store.close();
      return Optional.empty();
    }
  }

  /** Removes the hook (the application shuts the store down itself). */
  public void uninstall() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or ran
    }
  }

  private void runFromHook() {
    log.info("shutdown: handing over {} (timeout {} ms)", store.directory(), options.timeout().toMillis());
    runNow().ifPresent(r -> log.info("shutdown: done in {} ms; every accepted write is in the bucket", r.total().toMillis()));
  }
}
