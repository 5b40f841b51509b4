package io.litevault.backup;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of one tier, start to end:
 * <ol>
 *   <li>read the tier's manifest and index (and, for a tier fed by a tier, the upstream's manifest: an
 *       upstream that never completed a run, or whose last run {@link RunStatus#FAILED} (its previous state
 *       plus part of a new one), is not a point in time to copy, so the run fails without touching the tier;
 *       one that copied completely but failed verification is copied: it is a faithful copy of its source);
 *   <li>list the upstream and the tier — the tier becomes a copy of the upstream as listed now;
 *   <li>copy new and changed objects ({@link Copier}: data and application objects, then segment chains);
 *   <li>only if every copy succeeded: delete from the tier what is gone upstream, oldest key first;
 *   <li>save the index, run the verifier, and write the manifest last.
 * </ol>
 * The whole run holds the tier's {@link TierLease}, checked again before step 4.
 * Until step 4 the tier holds its whole previous state plus new objects, so it restores at every moment,
 * and a run that dies anywhere leaves it so. Between steps 2 and 3, {@link RunGuard} refuses a plan that
 * would destroy good backups (an upstream listing nothing, too large a loss, a database's newest lineage).
 */
final class TierRun {
  private static final Logger LOG = LoggerFactory.getLogger(TierRun.class);

  private final BackupOptions options;
  private final Tier tier;
  private final ExecutorService pool;

  TierRun(BackupOptions options, Tier tier, ExecutorService pool) {
    this.options = options;
    this.tier = tier;
    this.pool = pool;
  }

  /**
   * @throws BackupRefusedException the run was refused before copying or deleting anything (its report,
   *     status {@link RunStatus#REFUSED}, is in the exception and the tier's manifest)
   */
  TierRunReport run() throws InterruptedException {
    Instant started = options.clock().instant();
    String runId = started.toString().replace(":", "") + "-" + UUID.randomUUID().toString().substring(0, 8);
    options.listener().runStarted(tier.name(), started);
    ObjectStore target = options.target();
    String tierPrefix = options.tierPrefix(tier.name());
    TierLease lease;
    try {
      lease = TierLease.acquire(target, tierPrefix + CopyPlan.META + "lease", options.clock(), tier.name());
    } catch (BackupRefusedException e) {
      throw e;
    } catch (RuntimeException e) { // the store failed: report it, and write no manifest without the lease
      LOG.warn("tier {} run failed: {}", tier.name(), e.toString());
      return new TierRunReport(tier.name(), runId, started, options.clock().instant(), RunStatus.FAILED, 0, 0, 0, 0,
          java.util.List.of("taking the tier's lease: " + e), VerificationResult.skipped(), null);
    }
    try (lease) {
      return run(lease, started, runId, target, tierPrefix);
    }
  }

  private TierRunReport run(TierLease lease, Instant started, String runId, ObjectStore target, String tierPrefix)
      throws InterruptedException {
    Errors errors = new Errors();
    Optional<RunManifest> previous = Optional.empty();
    long copied = 0;
    long skipped = 0;
    long deleted = 0;
    long bytes = 0;
    Instant stateAsOf = null;
    VerificationResult verification = VerificationResult.skipped();
    RunStatus status = RunStatus.FAILED;
    BackupRefusedException refused = null;
    try {
      previous = RunManifest.read(target, tierPrefix);
      stateAsOf = previous.map(RunManifest::stateAsOf).orElse(null);
      ObjectStore from;
      String fromPrefix;
      TierIndex upstreamIndex = TierIndex.empty();
      Instant upstreamAsOf;
      if (tier.copiesFromSource()) {
        from = options.source();
        fromPrefix = options.sourcePrefix();
        upstreamAsOf = started;
      } else {
        from = target;
        fromPrefix = options.tierPrefix(tier.upstream().get());
        RunManifest up = RunManifest.read(target, fromPrefix).orElse(null);
        if (up == null || up.last().status() == RunStatus.FAILED || up.stateAsOf() == null) {
          throw new UpstreamNotReady("upstream tier '" + tier.upstream().get() + "' has "
              + (up == null ? "never completed a run" : "a failed last run") + ": nothing consistent to copy yet");
        }
        upstreamAsOf = up.stateAsOf();
        upstreamIndex = TierIndex.load(target, fromPrefix);
      }
      TierIndex index = TierIndex.load(target, tierPrefix);
      Set<String> indexKeys = index.keys();
      List<ObjectInfo> upstream = list(from, fromPrefix);
      List<ObjectInfo> inTier = list(target, tierPrefix);
      CopyPlan plan = CopyPlan.of(fromPrefix, upstream, tierPrefix, inTier, index, indexKeys, tier.copiesFromSource());
      if (!options.allowDestructiveRun()) {
        String what = tier.copiesFromSource()
            ? "the source (" + from.describe() + ", prefix '" + fromPrefix + "')"
            : "the upstream tier '" + tier.upstream().get() + "'";
        RunGuard.check(what, plan.upstreamKeys, plan.tierKeys, plan, options.maxLossShare(), tier.name());
      }
      skipped = plan.skipped;
      Copier copier = new Copier(from, fromPrefix, !tier.copiesFromSource(), upstreamIndex, target, tierPrefix, index,
          pool, options.checkpointEvery(), errors);
      boolean allCopied = false;
      try {
        allCopied = copier.copyAll(plan);
      } finally {
        copied = copier.copied.get();
        bytes = copier.bytes.get();
        if (!allCopied && copied > 0) {
          index.save(target, tierPrefix); // the next run skips what this one did
        }
      }
      if (allCopied) {
        if (!plan.deletes.isEmpty()) {
          lease.check();
        }
        try {
          if (!plan.deletes.isEmpty()) {
            target.deleteAll(plan.deletes.stream().map(k -> tierPrefix + k).toList());
            deleted = plan.deletes.size();
          }
          plan.deletes.forEach(index::remove);
          plan.staleIndexEntries.forEach(index::remove);
        } finally {
          if (copied > 0 || deleted > 0 || !plan.staleIndexEntries.isEmpty() || previous.isEmpty()) {
            index.save(target, tierPrefix);
          }
        }
        stateAsOf = upstreamAsOf;
        verification = verify(tierPrefix);
        status = verification.failed() ? RunStatus.VERIFICATION_FAILED : RunStatus.SUCCEEDED;
      }
    } catch (InterruptedException e) {
      errors.add("interrupted");
      throw e;
    } catch (BackupRefusedException e) {
      LOG.warn("tier {} run refused: {}", tier.name(), e.getMessage());
      refused = e;
    } catch (RuntimeException e) {
      LOG.warn("tier {} run failed: {}", tier.name(), e.toString());
      errors.add(e.toString());
    } finally {
      if (!errors.isEmpty()) {
        status = RunStatus.FAILED;
      }
    }
    if (refused != null) {
      status = RunStatus.REFUSED;
      errors.add(refused.getMessage());
    }
    TierRunReport report = new TierRunReport(tier.name(), runId, started, options.clock().instant(), status, copied,
        skipped, deleted, bytes, errors.lines(), verification, stateAsOf);
    writeManifest(report, previous, tierPrefix);
    if (refused != null) {
      throw new BackupRefusedException(refused.reason(), refused.getMessage(), report);
    }
    return report;
  }

  private VerificationResult verify(String tierPrefix) {
    try {
      return Objects.requireNonNullElse(options.verifier().verify(options.target(), tierPrefix),
          VerificationResult.failed(0, "verifier returned null"));
    } catch (RuntimeException e) {
      return VerificationResult.failed(0, "verifier threw " + e);
    }
  }

  private void writeManifest(TierRunReport report, Optional<RunManifest> previous, String tierPrefix) {
    boolean ok = report.status() == RunStatus.SUCCEEDED;
    RunManifest m = new RunManifest(report,
        ok ? report.started() : previous.map(RunManifest::lastSuccessStarted).orElse(null),
        ok ? report.finished() : previous.map(RunManifest::lastSuccessFinished).orElse(null));
    try {
      m.write(options.target(), tierPrefix);
    } catch (RuntimeException e) {
      // The copies stand; without the manifest the next run redoes the plan (list requests only).
      LOG.warn("tier {}: writing the run manifest failed: {}", tier.name(), e.toString());
    }
  }

  private static List<ObjectInfo> list(ObjectStore store, String prefix) {
    try (Stream<ObjectInfo> s = store.list(prefix)) {
      return s.collect(Collectors.toCollection(ArrayList::new));
    }
  }

  /** The upstream tier has no consistent state to copy. */
  static final class UpstreamNotReady extends IllegalStateException {
    UpstreamNotReady(String message) {
      super(message);
    }
  }
}
