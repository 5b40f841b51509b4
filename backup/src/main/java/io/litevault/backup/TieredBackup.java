package io.litevault.backup;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps tiered, incremental copies of a source bucket (MinIO) in a target bucket (AWS S3): by default
 * {@code daily/}, {@code 1-week/} and {@code 2-week/} (see {@link Tier#defaults()} for their schedules and
 * the ages they promise).
 *
 * <h2>A run</h2>
 * A run makes a tier a faithful copy of its upstream (the source, or another tier) as listed at the run's
 * start, copying only new or changed objects and deleting what is gone; see {@link TierRun} for the order
 * that keeps the tier restorable at every moment, {@link TierIndex} for how "changed" is decided without
 * object metadata, and {@link CopyPlan} for what is never copied (the databases' leases). Its outcome is a
 * {@link TierRunReport}, also written last as the tier's manifest {@code <tier>/_litevault/backup-run.json},
 * given to the {@link BackupListener} and counted in {@link #metrics()}. Runs of one {@code TieredBackup}
 * never overlap, and runs of several (or of the CLI) on one tier are kept apart by the tier's {@link TierLease}:
 * the second is refused with {@link BackupRefusedException}.
 *
 * <h2>Schedules</h2>
 * Each tier's {@link Schedule} is evaluated against the options' {@link java.time.Clock}. A tier is due when
 * its latest fire time is after the start of its last successful run, which the manifest in the target
 * records, so a run missed while the process was down runs once, at {@link #start()}. A failed run is tried
 * again after {@link BackupOptions#retryDelay()}. Due tiers run oldest first (2-week, then 1-week, then
 * daily), so a tier copies its upstream's older state before the upstream is refreshed; a tier whose
 * upstream has never completed a run waits for it.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * try (TieredBackup backup = TieredBackup.create(BackupOptions.builder(minio, s3).build())) {
 *   backup.start();                          // missed runs now, then on schedule
 *   TierRunReport r = backup.runNow("daily"); // or by hand
 * }
 * }</pre>
 * Tests drive {@link #runDue()} with a fake clock instead of {@link #start()}.
 */
public final class TieredBackup implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TieredBackup.class);
  /** The scheduler re-reads the clock at least this often (clock jumps, suspended machines). */
  private static final Duration MAX_SLEEP = Duration.ofMinutes(10);

  private final BackupOptions options;
  private final BackupMetrics metrics;
  private final ExecutorService pool;
  private final ReentrantLock runLock = new ReentrantLock();
  private final Map<String, TierState> states = new ConcurrentHashMap<>();
  private volatile boolean stateLoaded;
  private ScheduledExecutorService scheduler;

  private TieredBackup(BackupOptions options) {
    this.options = options;
    this.metrics = new BackupMetrics(options.clock());
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(options.parallelism(), r -> {
      Thread t = new Thread(r, "litevault-backup-copy-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** A backup with these options; nothing runs until {@link #start()}, {@link #runDue()} or {@link #runNow}. */
  public static TieredBackup create(BackupOptions options) {
    return new TieredBackup(options);
  }

  public BackupOptions options() {
    return options;
  }

  /** Per-tier figures: last success, age, objects and bytes copied, failures. */
  public BackupMetrics metrics() {
    return metrics;
  }

  /**
   * Runs {@code tier} now, whatever its schedule, and returns when it ends (after any run under way).
   *
   * @throws IllegalArgumentException if there is no such tier
   */
  /**
   * @throws BackupRefusedException the run was refused before it copied or deleted anything (the tier is
   *     as it was): its upstream listed nothing, it would have lost too much, or another run holds the tier
   */
  public TierRunReport runNow(String tier) {
    Tier t = options.tier(tier);
    loadState();
    RunOutcome o = run(t);
    if (o.refused() != null) {
      throw o.refused();
    }
    return o.report();
  }

  /** A run's report, or (refused) the refusal with the report if one was written. */
  private record RunOutcome(TierRunReport report, BackupRefusedException refused) {
    void addTo(List<TierRunReport> reports) {
      if (report != null) {
        reports.add(report);
      } else if (refused.report().isPresent()) {
        reports.add(refused.report().get());
      }
    }
  }

  /**
   * Runs every tier that is due by the clock now, oldest tier first; returns their reports (empty if none
   * was due). A tier not due costs nothing.
   */
  public List<TierRunReport> runDue() {
    loadState();
    Instant now = options.clock().instant();
    List<Tier> order = new ArrayList<>(options.tiers());
    order.sort(Comparator.comparingInt(this::depth).reversed());
    List<Tier> deferred = new ArrayList<>();
    List<TierRunReport> reports = new ArrayList<>();
    for (Tier t : order) {
      if (!due(t, now)) {
        continue;
      }
      if (t.upstream().isPresent() && state(t.upstream().get()).lastSuccessStarted == null) {
        deferred.add(0, t); // after its upstream, upstream-first
        continue;
      }
      run(t).addTo(reports);
    }
    for (Tier t : deferred) {
      if (state(t.upstream().get()).lastSuccessStarted != null) {
        run(t).addTo(reports);
      }
    }
    return reports;
  }

  /** When the next tier is due (a fire time, or a failed tier's retry), or empty if never. */
  public Optional<Instant> nextDue() {
    loadState();
    ZonedDateTime now = ZonedDateTime.ofInstant(options.clock().instant(), options.zone());
    Instant best = null;
    for (Tier t : options.tiers()) {
      Instant next = t.schedule().nextAfter(now).map(ZonedDateTime::toInstant).orElse(null);
      TierState s = state(t.name());
      if (s.lastFailure != null) {
        Instant retry = s.lastFailure.plus(options.retryDelay());
        next = next == null || retry.isBefore(next) ? retry : next;
      }
      if (next != null && (best == null || next.isBefore(best))) {
        best = next;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Runs the missed tiers now (in the background) and then every tier on its schedule, on one daemon
   * thread, until {@link #close()}.
   */
  public synchronized void start() {
    if (scheduler != null) {
      throw new IllegalStateException("already started");
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "litevault-backup-scheduler");
      t.setDaemon(true);
      return t;
    });
    scheduler.execute(this::tick);
  }

  private void tick() {
    try {
      runDue();
    } catch (RuntimeException e) {
      LOG.error("backup scheduler: {}", e.toString());
    }
    Duration sleep = MAX_SLEEP;
    try {
      Optional<Instant> next = nextDue();
      if (next.isPresent()) {
        Duration d = Duration.between(options.clock().instant(), next.get());
        sleep = d.isNegative() ? Duration.ofSeconds(1) : d.compareTo(MAX_SLEEP) > 0 ? MAX_SLEEP : d.plusSeconds(1);
      }
    } catch (RuntimeException e) {
      LOG.error("backup scheduler: {}", e.toString());
    }
    ScheduledExecutorService s = scheduler;
    if (s != null && !s.isShutdown()) {
      s.schedule(this::tick, sleep.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  boolean due(Tier t, Instant now) {
    Optional<ZonedDateTime> last = t.schedule().lastAtOrBefore(ZonedDateTime.ofInstant(now, options.zone()));
    if (last.isEmpty()) {
      return false;
    }
    Instant fire = last.get().toInstant();
    TierState s = state(t.name());
    if (s.lastSuccessStarted != null && !fire.isAfter(s.lastSuccessStarted)) {
      return false;
    }
    return s.lastFailure == null || !s.lastFailure.isAfter(fire) || !now.isBefore(s.lastFailure.plus(options.retryDelay()));
  }

  private RunOutcome run(Tier t) {
    runLock.lock();
    try {
      TierRunReport r;
      BackupRefusedException refused = null;
      try {
        r = new TierRun(options, t, pool).run();
      } catch (BackupRefusedException e) {
        refused = e;
        r = e.report().orElse(null);
        if (r == null) { // nothing ran: another run holds the tier
          state(t.name()).lastFailure = options.clock().instant();
          LOG.warn("tier {} run refused: {}", t.name(), e.getMessage());
          return new RunOutcome(null, e);
        }
      }
      TierState s = state(t.name());
      if (r.status() == RunStatus.SUCCEEDED) {
        s.lastSuccessStarted = r.started();
        s.lastFailure = null;
      } else {
        s.lastFailure = r.started();
      }
      metrics.record(r);
      notifyListener(r);
      LOG.info("{}", r);
      return new RunOutcome(refused == null ? r : null, refused);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("tier " + t.name() + " run interrupted", e);
    } finally {
      runLock.unlock();
    }
  }

  private void notifyListener(TierRunReport r) {
    BackupListener l = options.listener();
    try {
      l.runFinished(r);
      if (r.status() == RunStatus.FAILED || r.status() == RunStatus.REFUSED) {
        l.runFailed(r);
      } else if (r.status() == RunStatus.VERIFICATION_FAILED) {
        l.verificationFailed(r, r.verification());
      }
    } catch (RuntimeException e) {
      LOG.warn("backup listener threw {}", e.toString());
    }
  }

  private void loadState() {
    if (stateLoaded) {
      return;
    }
    runLock.lock();
    try {
      if (stateLoaded) {
        return;
      }
      for (Tier t : options.tiers()) {
        RunManifest.read(options.target(), options.tierPrefix(t.name())).ifPresent(m -> {
          state(t.name()).lastSuccessStarted = m.lastSuccessStarted();
          metrics.known(t.name(), m.lastSuccessFinished(), m.stateAsOf());
        });
      }
      stateLoaded = true;
    } catch (RuntimeException e) {
      // Tried again before the next run; the run itself reports the store's failure.
      LOG.warn("reading the tiers' run manifests failed: {}", e.toString());
    } finally {
      runLock.unlock();
    }
  }

  private TierState state(String tier) {
    return states.computeIfAbsent(tier, k -> new TierState());
  }

  private int depth(Tier t) {
    return t.upstream().map(u -> 1 + depth(options.tier(u))).orElse(0);
  }

  /** Stops the scheduler and the copy threads; a run under way is interrupted. The stores stay open. */
  @Override
  public void close() {
    synchronized (this) {
      if (scheduler != null) {
        scheduler.shutdownNow();
      }
    }
    pool.shutdownNow();
  }

  private static final class TierState {
    volatile Instant lastSuccessStarted;
    volatile Instant lastFailure;
  }
}
