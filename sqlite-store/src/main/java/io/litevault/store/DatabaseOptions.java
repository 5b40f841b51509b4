package io.litevault.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Immutable settings of one database of a {@link SqliteStore}. Build with {@link #builder()}; every
 * setter rejects a bad value at once with a message naming it.
 */
public final class DatabaseOptions {

  /** SQLite's default; power loss can lose the last commits but never corrupts the database. */
  public static final Synchronous DEFAULT_SYNCHRONOUS = Synchronous.NORMAL;
  /** SQLite's default page size, and the OS page size: no read-modify-write in the kernel. */
  public static final int DEFAULT_PAGE_SIZE = 4096;
  /** Per connection (the writer and each reader): enough to keep a hot working set of 2,000 pages. */
  public static final int DEFAULT_CACHE_SIZE_KIB = 8 * 1024;
  /**
   * Off: with mmap an I/O error on a mapped page kills the JVM with SIGBUS instead of raising an
   * exception, and the page cache serves reads nearly as fast.
   */
  public static final long DEFAULT_MMAP_SIZE = 0;
  /** Only another process or a checkpoint can make our own connections wait; 5 s reports it clearly. */
  public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);
  /** Two read connections per core, at least 2: SQLite reads are CPU-bound on a warm cache. */
  public static final int DEFAULT_READERS = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
  /** About one second of writes at 10,000 writes/s: absorbs bursts without unbounded memory. */
  public static final int DEFAULT_QUEUE_CAPACITY = 10_000;
  /** 1,000 inserts per transaction already reach ~316k rows/s here; larger batches add latency only. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 1_000;
  /** How long a caller blocks on a full queue before {@link WriteQueueFullException}. */
  public static final Duration DEFAULT_ENQUEUE_TIMEOUT = Duration.ofSeconds(5);
  /** Each task runs exactly once (but for a deferred foreign key failing COMMIT); see {@link TaskIsolation}. */
  public static final TaskIsolation DEFAULT_ISOLATION = TaskIsolation.SAVEPOINT;
  /**
   * A service has a few dozen distinct write statements; compiling one again for every write cost the
   * writer thread more than running it (see {@link StatementCache} and benchmarks/RESULTS.md).
   */
  public static final int DEFAULT_STATEMENT_CACHE_SIZE = 64;
  /** SQLite's own autocheckpoint threshold (and Litestream's): 1,000 pages, ~4 MiB of WAL. */
  public static final int DEFAULT_PASSIVE_CHECKPOINT_PAGES = 1_000;
  /**
   * Past 64 MiB of WAL, start it again from its beginning (when readers allow), so reads do not slow
   * down scanning a long WAL index and the file stays about this size.
   */
  public static final long DEFAULT_RESTART_WAL_BYTES = 64L << 20;
  /**
   * 1 GiB: how far the WAL may grow while a checkpoint gate holds it back (say, the bucket is down)
   * before the store checkpoints anyway and tells the gate that continuity was broken.
   */
  public static final long DEFAULT_HARD_WAL_LIMIT_BYTES = 1L << 30;
  /** An idle database checkpoints once after a minute without writes, like Litestream. */
  public static final Duration DEFAULT_IDLE_CHECKPOINT_AFTER = Duration.ofMinutes(1);
  /** Cache entries per database; 0 turns the cache off. */
  public static final long DEFAULT_CACHE_MAX_ENTRIES = 10_000;
  /** Bounds how long an entry lives even when nothing writes its tables. */
  public static final Duration DEFAULT_CACHE_TTL = Duration.ofMinutes(10);

  private final Synchronous synchronous;
  private final int pageSize;
  private final int cacheSizeKib;
  private final long mmapSize;
  private final Duration busyTimeout;
  private final int readers;
  private final int queueCapacity;
  private final int maxBatchSize;
  private final Duration enqueueTimeout;
  private final TaskIsolation isolation;
  private final int statementCacheSize;
  private final int passiveCheckpointPages;
  private final long restartWalBytes;
  private final long hardWalLimitBytes;
  private final Duration idleCheckpointAfter;
  private final boolean holdWalUntilGate;
  private final long cacheMaxEntries;
  private final Duration cacheTtl;
  private final boolean foreignKeys;
  private final List<Migration> migrations;
  private final WriterErrorHandler errorHandler;
  private final java.time.Clock clock;

  private DatabaseOptions(Builder b) {
    this.synchronous = b.synchronous;
    this.pageSize = b.pageSize;
    this.cacheSizeKib = b.cacheSizeKib;
    this.mmapSize = b.mmapSize;
    this.busyTimeout = b.busyTimeout;
    this.readers = b.readers;
    this.queueCapacity = b.queueCapacity;
    this.maxBatchSize = b.maxBatchSize;
    this.enqueueTimeout = b.enqueueTimeout;
    this.isolation = b.isolation;
    this.statementCacheSize = b.statementCacheSize;
    this.passiveCheckpointPages = b.passiveCheckpointPages;
    this.restartWalBytes = b.restartWalBytes;
    this.hardWalLimitBytes = b.hardWalLimitBytes;
    this.idleCheckpointAfter = b.idleCheckpointAfter;
    this.holdWalUntilGate = b.holdWalUntilGate;
    this.cacheMaxEntries = b.cacheMaxEntries;
    this.cacheTtl = b.cacheTtl;
    this.foreignKeys = b.foreignKeys;
    this.migrations = List.copyOf(b.migrations);
    this.errorHandler = b.errorHandler;
    this.clock = b.clock;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** All defaults. */
  public static DatabaseOptions defaults() {
    return builder().build();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.synchronous = synchronous;
    b.pageSize = pageSize;
    b.cacheSizeKib = cacheSizeKib;
    b.mmapSize = mmapSize;
    b.busyTimeout = busyTimeout;
    b.readers = readers;
    b.queueCapacity = queueCapacity;
    b.maxBatchSize = maxBatchSize;
    b.enqueueTimeout = enqueueTimeout;
    b.isolation = isolation;
    b.statementCacheSize = statementCacheSize;
    b.passiveCheckpointPages = passiveCheckpointPages;
    b.restartWalBytes = restartWalBytes;
    b.hardWalLimitBytes = hardWalLimitBytes;
    b.idleCheckpointAfter = idleCheckpointAfter;
    b.holdWalUntilGate = holdWalUntilGate;
    b.cacheMaxEntries = cacheMaxEntries;
    b.cacheTtl = cacheTtl;
    b.foreignKeys = foreignKeys;
    b.migrations.addAll(migrations);
    b.errorHandler = errorHandler;
    b.clock = clock;
    return b;
  }

  public Synchronous synchronous() { return synchronous; }
  public int pageSize() { return pageSize; }
  public int cacheSizeKib() { return cacheSizeKib; }
  public long mmapSize() { return mmapSize; }
  public Duration busyTimeout() { return busyTimeout; }
  public int readers() { return readers; }
  public int queueCapacity() { return queueCapacity; }
  public int maxBatchSize() { return maxBatchSize; }
  public Duration enqueueTimeout() { return enqueueTimeout; }
  public TaskIsolation isolation() { return isolation; }
  public int statementCacheSize() { return statementCacheSize; }
  public int passiveCheckpointPages() { return passiveCheckpointPages; }
  public long restartWalBytes() { return restartWalBytes; }
  public long hardWalLimitBytes() { return hardWalLimitBytes; }
  public Duration idleCheckpointAfter() { return idleCheckpointAfter; }

  /** Whether checkpoints wait for the first {@link CheckpointGate}; see {@link Builder#holdWalUntilGate}. */
  public boolean holdWalUntilGate() { return holdWalUntilGate; }
  public long cacheMaxEntries() { return cacheMaxEntries; }
  public Duration cacheTtl() { return cacheTtl; }
  public boolean foreignKeys() { return foreignKeys; }
  public List<Migration> migrations() { return migrations; }
  public WriterErrorHandler errorHandler() { return errorHandler; }
  /** The clock commit times are read from ({@link CommitEvent#commitTimeMillis()}). */
  public java.time.Clock clock() { return clock; }

  @Override
  public String toString() {
    return "DatabaseOptions{synchronous=" + synchronous + ", pageSize=" + pageSize
        + ", cacheSizeKib=" + cacheSizeKib + ", mmapSize=" + mmapSize + ", busyTimeout=" + busyTimeout
        + ", readers=" + readers + ", queueCapacity=" + queueCapacity + ", maxBatchSize=" + maxBatchSize
        + ", enqueueTimeout=" + enqueueTimeout + ", isolation=" + isolation
        + ", statementCacheSize=" + statementCacheSize        + ", passiveCheckpointPages=" + passiveCheckpointPages + ", restartWalBytes=" + restartWalBytes
        + ", hardWalLimitBytes=" + hardWalLimitBytes + ", idleCheckpointAfter=" + idleCheckpointAfter
        + ", cacheMaxEntries=" + cacheMaxEntries + ", cacheTtl=" + cacheTtl + ", foreignKeys=" + foreignKeys
        + ", migrations=" + migrations.size() + "}";
  }

  /** Builds {@link DatabaseOptions}; each setter checks its argument at once. */
  public static final class Builder {
    private Synchronous synchronous = DEFAULT_SYNCHRONOUS;
    private int pageSize = DEFAULT_PAGE_SIZE;
    private int cacheSizeKib = DEFAULT_CACHE_SIZE_KIB;
    private long mmapSize = DEFAULT_MMAP_SIZE;
    private Duration busyTimeout = DEFAULT_BUSY_TIMEOUT;
    private int readers = DEFAULT_READERS;
    private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
    private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
    private Duration enqueueTimeout = DEFAULT_ENQUEUE_TIMEOUT;
    private TaskIsolation isolation = DEFAULT_ISOLATION;
    private int statementCacheSize = DEFAULT_STATEMENT_CACHE_SIZE;
    private int passiveCheckpointPages = DEFAULT_PASSIVE_CHECKPOINT_PAGES;
    private long restartWalBytes = DEFAULT_RESTART_WAL_BYTES;
    private long hardWalLimitBytes = DEFAULT_HARD_WAL_LIMIT_BYTES;
    private Duration idleCheckpointAfter = DEFAULT_IDLE_CHECKPOINT_AFTER;
    private boolean holdWalUntilGate;
    private long cacheMaxEntries = DEFAULT_CACHE_MAX_ENTRIES;
    private Duration cacheTtl = DEFAULT_CACHE_TTL;
    private boolean foreignKeys = true;
    private final List<Migration> migrations = new ArrayList<>();
    private WriterErrorHandler errorHandler = Writer.LOGGING_ERROR_HANDLER;
    private java.time.Clock clock = java.time.Clock.systemUTC();

    private Builder() {}

    /** {@code PRAGMA synchronous}; default {@link #DEFAULT_SYNCHRONOUS}. */
    public Builder synchronous(Synchronous value) {
      this.synchronous = Objects.requireNonNull(value, "synchronous");
      return this;
    }

    /** Page size of a NEW database (a power of two from 512 to 65536); ignored for an existing file. */
    public Builder pageSize(int bytes) {
      requireArgument(bytes >= 512 && bytes <= 65536 && Integer.bitCount(bytes) == 1,
          "pageSize must be a power of two from 512 to 65536, got %s", bytes);
      this.pageSize = bytes;
      return this;
    }

    /** Page cache of each connection in KiB (positive). */
    public Builder cacheSizeKib(int kib) {
      requireArgument(kib > 0, "cacheSizeKib must be > 0, got %s", kib);
      this.cacheSizeKib = kib;
      return this;
    }

    /** {@code PRAGMA mmap_size} in bytes, 0 to disable (the default). */
    public Builder mmapSize(long bytes) {
      requireArgument(bytes >= 0, "mmapSize must be >= 0, got %s", bytes);
      this.mmapSize = bytes;
      return this;
    }

    /** {@code PRAGMA busy_timeout} of every connection (0 to 10 minutes). */
    public Builder busyTimeout(Duration value) {
      requireDuration("busyTimeout", value, true);
      this.busyTimeout = value;
      return this;
    }

    /** Number of pooled read-only connections (1 to 256). */
    public Builder readers(int count) {
      requireArgument(count >= 1 && count <= 256, "readers must be between 1 and 256, got %s", count);
      this.readers = count;
      return this;
    }

    /** Writes that may wait in the queue (1 to 10,000,000). */
    public Builder queueCapacity(int writes) {
      requireArgument(writes >= 1 && writes <= 10_000_000,
          "queueCapacity must be between 1 and 10,000,000, got %s", writes);
      this.queueCapacity = writes;
      return this;
    }

    /** The most write tasks committed in one transaction (1 to 100,000). */
    public Builder maxBatchSize(int tasks) {
      requireArgument(tasks >= 1 && tasks <= 100_000, "maxBatchSize must be between 1 and 100,000, got %s", tasks);
      this.maxBatchSize = tasks;
      return this;
    }

    /** How long {@code write} blocks on a full queue before failing (0 fails at once). */
    public Builder enqueueTimeout(Duration value) {
      requireDuration("enqueueTimeout", value, true);
      this.enqueueTimeout = value;
      return this;
    }

    /** How a failing task is isolated from its batch; default {@link TaskIsolation#SAVEPOINT}. */
    public Builder isolation(TaskIsolation value) {
      this.isolation = Objects.requireNonNull(value, "isolation");
      return this;
    }

    /**
     * Prepared statements of the writer connection kept across write tasks (0 to 10,000; 0 turns the
     * cache off). A statement a task gets from {@code prepareStatement(String)} is then valid until the
     * task returns (its {@code close()} hands it back for the next task).
     */
    public Builder statementCacheSize(int value) {
      requireArgument(value >= 0 && value <= 10_000, "statementCacheSize must be in [0, 10000], got %s", value);
      this.statementCacheSize = value;
      return this;
    }

    /** WAL pages written since the last checkpoint that trigger a PASSIVE checkpoint (>= 1). */
    public Builder passiveCheckpointPages(int pages) {
      requireArgument(pages >= 1, "passiveCheckpointPages must be >= 1, got %s", pages);
      this.passiveCheckpointPages = pages;
      return this;
    }

    /**
     * WAL size that triggers a RESTART checkpoint on the writer thread (>= 64 KiB): the next write starts
     * the WAL again from its beginning, and the file stays about this size (it is truncated at close and
     * by maintenance).
     */
    public Builder restartWalBytes(long bytes) {
      requireArgument(bytes >= 64 * 1024, "restartWalBytes must be >= 65536, got %s", bytes);
      this.restartWalBytes = bytes;
      return this;
    }

    /** WAL size past which the store checkpoints even when a gate holds it back (>= 64 KiB). */
    public Builder hardWalLimitBytes(long bytes) {
      requireArgument(bytes >= 64 * 1024, "hardWalLimitBytes must be >= 65536, got %s", bytes);
      this.hardWalLimitBytes = bytes;
      return this;
    }

    /**
     * Holds every checkpoint from the moment the database opens until the first {@link CheckpointGate}
     * is added (a replicator attaching), as if a gate had released nothing: what is written before then
     * (migrations at open, writes after a crash before the replicator started) stays in the WAL for the
     * replicator to ship, instead of moving the file past what the bucket has. The hard WAL limit still
     * applies. Set it for a replicated database. Default false: a store without replication
     * checkpoints freely.
     */
    public Builder holdWalUntilGate(boolean value) {
      this.holdWalUntilGate = value;
      return this;
    }

    /** Idle time after which the writer runs a PASSIVE checkpoint; zero disables it. */
    public Builder idleCheckpointAfter(Duration value) {
      requireDuration("idleCheckpointAfter", value, true);
      this.idleCheckpointAfter = value;
      return this;
    }

    /** Most entries in the read-through cache; 0 disables caching (every cached read loads). */
    public Builder cacheMaxEntries(long entries) {
      requireArgument(entries >= 0, "cacheMaxEntries must be >= 0, got %s", entries);
      this.cacheMaxEntries = entries;
      return this;
    }

    /** Time after writing an entry when it expires (positive). */
    public Builder cacheTtl(Duration value) {
      requireDuration("cacheTtl", value, false);
      this.cacheTtl = value;
      return this;
    }

    /**
     * {@code PRAGMA foreign_keys} on the writer; default true. A deferred foreign key a write leaves
     * violated fails that write alone, with {@link WriteFailedException} (result code 787,
     * SQLITE_CONSTRAINT_FOREIGNKEY), though the other tasks of its batch then run twice (see
     * {@link TaskIsolation#SAVEPOINT}).
     */
    public Builder foreignKeys(boolean enabled) {
      this.foreignKeys = enabled;
      return this;
    }

    /** Adds a migration; versions must end up 1, 2, 3, … with no gap or repeat. */
    public Builder migration(int version, String description, String sql) {
      return migration(new Migration(version, description, sql));
    }

    /** Adds a migration; versions must end up 1, 2, 3, … with no gap or repeat. */
    public Builder migration(Migration migration) {
      Objects.requireNonNull(migration, "migration");
      requireArgument(migration.version() == migrations.size() + 1,
          "migration versions must be 1, 2, 3, … in order; expected %s, got %s",
          migrations.size() + 1, migration.version());
      migrations.add(migration);
      return this;
    }

    /** Where writer-thread errors no future can carry are reported; default logs at ERROR. */
    public Builder errorHandler(WriterErrorHandler handler) {
      this.errorHandler = Objects.requireNonNull(handler, "errorHandler");
      return this;
    }

    /**
     * The clock commit times come from (default the system's UTC clock). Replication stamps each
     * transaction with it, so point-in-time restores by time and compaction windows follow it: a test can
     * simulate days of history with a clock it moves.
     */
    public Builder clock(java.time.Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    public DatabaseOptions build() {
      requireArgument(hardWalLimitBytes >= restartWalBytes,
          "hardWalLimitBytes (%s) must be >= restartWalBytes (%s)", hardWalLimitBytes, restartWalBytes);
      return new DatabaseOptions(this);
    }

    private static void requireDuration(String name, Duration value, boolean zeroAllowed) {
      Objects.requireNonNull(value, name);
      requireArgument(!value.isNegative() && (zeroAllowed || !value.isZero()) && value.compareTo(Duration.ofDays(1)) <= 0,
          "%s must be %s and at most 1 day, got %s", name, zeroAllowed ? ">= 0" : "> 0", value);
    }
  }

  static void requireArgument(boolean ok, String template, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(template, args));
    }
  }
}
