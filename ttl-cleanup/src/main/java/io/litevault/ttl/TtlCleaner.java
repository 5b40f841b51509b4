package io.litevault.ttl;

import io.litevault.store.Database;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers TTL tables and purges their expired rows, on demand or on a schedule.
 *
 * <pre>{@code
 * TtlTableSpec codes = TtlTableSpec.builder("one_time_code").build();
 * // the store's "ttl" database has a migration running codes.createTableSql()
 * try (TtlCleaner cleaner = TtlCleaner.create(TtlOptions.builder().clock(clock).interval(Duration.ofMinutes(5)).build())) {
 *   TtlTable<String> table = cleaner.table(store.database("ttl"), codes);
 *   table.put("493817", "user-42", Duration.ofMinutes(10));
 *   cleaner.start();                     // purges on the cron schedule and/or the interval
 *   Optional<String> user = table.take("493817");   // usable exactly once
 *   PurgeReport r = cleaner.purgeNow();  // or wait for the schedule; listeners and metrics() get each run
 * }
 * }</pre>
 *
 * <p>A purge run takes the clock's now as its cutoff {@code T} and, table by table, deletes the rows
 * with expiry {@code <= T} in batches of at most {@link TtlOptions#batchSize()} rows, each batch one
 * write task through the database's writer queue; the next batch is queued only after the previous
 * committed, so ordinary writes run between batches. Runs never overlap. Cached reads of a purged table
 * are invalidated. Each run produces a {@link PurgeReport} for the listeners and {@link #metrics()}.
 *
 * <p>Thread-safe. {@link #start()} starts one daemon thread that reads the clock every
 * {@link TtlOptions#pollInterval()}; {@link #stop()} (or {@link #close()}) ends it, letting a running
 * purge finish its current batch. Closing the cleaner does not close the store.
 */
public final class TtlCleaner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TtlCleaner.class);

  private final TtlOptions options;
  private final TtlMetrics metrics = new TtlMetrics();
  private final List<RegisteredTable> tables = new CopyOnWriteArrayList<>();
  private final ReentrantLock runLock = new ReentrantLock();
  private final Object stateLock = new Object();
  private ScheduledExecutorService scheduler;
  private volatile boolean stopRequested;
  private volatile Instant nextDue;

  private TtlCleaner(TtlOptions options) {
    this.options = options;
  }

  public static TtlCleaner create(TtlOptions options) {
    return new TtlCleaner(Objects.requireNonNull(options, "options"));
  }

  public TtlOptions options() {
    return options;
  }

  /**
   * Registers {@code spec}'s table of {@code db} for purging. Checks that the table exists and that
   * the expiry column has its unit's type and an index; creates the index (a write task) when it is
   * missing and {@link TtlTableSpec#createIndexIfMissing()} is set. Registering the same spec again is
   * a no-op.
   *
   * @throws TtlSchemaException the table does not fit (the message says how to fix it)
   * @throws InvalidTtlArgumentException the table is already registered with another spec
   */
  public void register(Database db, TtlTableSpec spec) {
    registerChecked(db, spec, false);
  }

  /** Registers {@code spec} (see {@link #register}) and returns its typed API with string values. */
  public TtlTable<String> table(Database db, TtlTableSpec spec) {
    return table(db, spec, TtlCodec.string());
  }

  /**
   * Registers {@code spec} (see {@link #register}), also checking its key column (TEXT, unique) and
   * value column, and returns its typed API.
   */
  public <V> TtlTable<V> table(Database db, TtlTableSpec spec, TtlCodec<V> codec) {
    Objects.requireNonNull(codec, "codec");
    return new TtlTable<>(registerChecked(db, spec, true), codec, options.clock());
  }

  private RegisteredTable registerChecked(Database db, TtlTableSpec spec, boolean typed) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(spec, "spec");
    synchronized (stateLock) {
      TableSchema schema = TableSchema.read(db, spec.table());
      if (schema == null) {
        throw new TtlSchemaException(db.name(), "database '" + db.name() + "' has no table '" + spec.table()
            + "'; create it in a migration, e.g. " + spec.createTableSql());
      }
      boolean indexed = schema.checkExpiry(db.name(), spec);
      if (typed) {
        schema.checkKeyValue(db.name(), spec);
      }
      RegisteredTable existing = find(db.name(), spec.table());
      if (existing != null) {
        InvalidTtlArgumentException.check(existing.spec.equals(spec) && existing.db == db,
            "table '%s' of database '%s' is already registered with %s", spec.table(), db.name(), existing.spec);
        return existing;
      }
      if (!indexed) {
        if (!spec.createIndexIfMissing()) {
          throw new TtlSchemaException(db.name(), "expiry column '" + spec.table() + "." + spec.expiryColumn()
              + "' of database '" + db.name() + "' has no index, so every purge would scan the whole table; add it "
              + "in a migration: " + spec.createIndexSql() + " (or set TtlTableSpec.Builder.createIndexIfMissing(true))");
        }
        String sql = spec.createIndexSql();
        db.writeAndWait(c -> {
          try (var s = c.createStatement()) {
            s.execute(sql);
          }
          return null;
        });
        log.info("created index {} on '{}.{}' for TTL purges", spec.indexName(), db.name(), spec.table());
      }
      RegisteredTable registered = new RegisteredTable(db, spec, schema);
      tables.add(registered);
      metrics.register(db.name(), spec.table());
      return registered;
    }
  }

  /** The registered tables as {@code database.table}, in registration order. */
  public List<String> registeredTables() {
    return tables.stream().map(t -> t.database() + "." + t.table()).toList();
  }

  /**
   * Purges every registered table now, to the clock's current instant, and waits for it (after a
   * scheduled run in progress, if any).
   */
  public PurgeReport purgeNow() {
    return run(PurgeReport.Trigger.ON_DEMAND, List.copyOf(tables));
  }

  /**
   * Purges one registered table now.
   *
   * @throws UnknownTtlTableException the table is not registered in that database
   */
  public PurgeReport purgeNow(Database db, String table) {
    Objects.requireNonNull(db, "db");
    InvalidTtlArgumentException.identifier("table name", table);
    RegisteredTable t = find(db.name(), table);
    if (t == null || t.db != db) {
      throw new UnknownTtlTableException(db.name(), table, registeredTables());
    }
    return run(PurgeReport.Trigger.ON_DEMAND, List.of(t));
  }

  /**
   * Starts purging on the schedule of the options (cron and/or interval, read on the clock). The first
   * run is at the first due instant after now.
   *
   * @throws IllegalStateException already started or stopped, or the options schedule nothing
   */
  public TtlCleaner start() {
    synchronized (stateLock) {
      if (scheduler != null || stopRequested) {
        throw new IllegalStateException("this TtlCleaner was already " + (stopRequested ? "stopped" : "started")
            + "; create a new one to start again");
      }
      if (!options.schedulesSomething()) {
        throw new IllegalStateException("nothing to schedule: the options have neither a cron expression nor an "
            + "interval; set one, or call purgeNow() yourself");
      }
      nextDue = options.nextDueAfter(options.clock().instant());
      scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "litevault-ttl-cleaner");
        t.setDaemon(true);
        return t;
      });
      long pollNanos = options.pollInterval().toNanos();
      scheduler.scheduleWithFixedDelay(this::tick, pollNanos, pollNanos, TimeUnit.NANOSECONDS);
      log.info("TTL cleaner started for {}; next purge due at {}", registeredTables(), nextDue);
      return this;
    }
  }

  /** Whether the schedule is running. */
  public boolean running() {
    synchronized (stateLock) {
      return scheduler != null && !stopRequested;
    }
  }

  /** When the next scheduled purge is due on the clock, or null when not started. */
  public Instant nextDue() {
    return running() ? nextDue : null;
  }

  /**
   * Stops the schedule: a running purge stops after its current batch (its report says
   * {@code complete=false}). Waits up to 30 s for it. Idempotent. {@link #purgeNow()} still works.
   */
  public void stop() {
    ScheduledExecutorService s;
    synchronized (stateLock) {
      stopRequested = true;
      s = scheduler;
    }
    if (s == null) {
      return;
    }
    s.shutdownNow();
    try {
      if (!s.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("TTL cleaner thread did not stop within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  /** Counters since creation. */
  public TtlMetrics metrics() {
    return metrics;
  }

  private void tick() {
    try {
      Instant now = options.clock().instant();
      Instant due = nextDue;
      if (due == null || now.isBefore(due) || stopRequested) {
        return;
      }
      // Next due from this run's instant (not from "now" after it), set before listeners hear of the run.
      nextDue = options.nextDueAfter(now);
      run(PurgeReport.Trigger.SCHEDULED, List.copyOf(tables));
      log.debug("next TTL purge due at {}", nextDue);
    } catch (Throwable t) {
      // Never let an exception end the scheduler: it would silently stop every later purge.
      log.error("scheduled TTL purge failed; the schedule goes on", t);
    }
  }

  private PurgeReport run(PurgeReport.Trigger trigger, List<RegisteredTable> targets) {
    runLock.lock();
    try {
      Instant cutoff = options.clock().instant();
      Instant started = Instant.now();
      long t0 = System.nanoTime();
      List<PurgeReport.TableReport> reports = new ArrayList<>(targets.size());
      for (RegisteredTable t : targets) {
        reports.add(TablePurger.purge(t, cutoff, options,
            () -> trigger == PurgeReport.Trigger.SCHEDULED && (stopRequested || Thread.currentThread().isInterrupted())));
      }
      PurgeReport report = new PurgeReport(trigger, cutoff, started, Duration.ofNanos(System.nanoTime() - t0), reports);
      metrics.record(report);
      if (report.rowsPurged() > 0 || !report.complete()) {
        log.info("TTL purge ({}) to {}: {} rows in {} ms {}", trigger, cutoff, report.rowsPurged(),
            report.duration().toMillis(), report.complete() ? "" : "(INCOMPLETE)");
      }
      for (PurgeListener l : options.listeners()) {
        try {
          l.onPurge(report);
        } catch (RuntimeException e) {
          log.warn("purge listener {} failed", l, e);
        }
      }
      return report;
    } finally {
      runLock.unlock();
    }
  }

  private RegisteredTable find(String database, String table) {
    String id = RegisteredTable.id(database, table);
    for (RegisteredTable t : tables) {
      if (t.id().equals(id)) {
        return t;
      }
    }
    return null;
  }
}
