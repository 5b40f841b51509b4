package io.litevault.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several named WAL-mode SQLite databases in one directory, each behind one writer thread with group
 * commit, a pool of read-only connections and a coherent cache.
 *
 * <pre>{@code
 * try (SqliteStore store = SqliteStore.builder(Path.of("/var/lib/app"))
 *     .database("data", DatabaseOptions.builder()
 *         .migration(1, "posts", "CREATE TABLE post(id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
 *         .build())
 *     .database("ttl")
 *     .open()) {
 *   Database data = store.database("data");
 *   long id = data.writeAndWait(c -> {
 *     try (var ps = c.prepareStatement("INSERT INTO post(body) VALUES (?)")) {
 *       ps.setString(1, "hello");
 *       ps.executeUpdate();
 *     }
 *     return 1L;
 *   });
 * }
 * }</pre>
 *
 * <p>One store per directory: a lock file ({@code .litevault.lock}) refuses a second store, in this
 * process or another, with a {@link StoreLockedException} — at once, or after waiting for the holder to
 * close ({@link Builder#lockWait}, for a successor process during a handover).
 */
public final class SqliteStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SqliteStore.class);
  static final String LOCK_FILE = DirectoryLock.FILE;
  /**
   * How long {@link Builder#open()} waits by default for another store to release the directory: not at
   * all. A second store on a directory is nearly always a mistake (two instances of a service started by
   * accident, a test that forgot to close one), and a boot that hangs on it hides the mistake; a successor
   * process that is meant to wait for its predecessor's handover says so with {@link Builder#lockWait}.
   */
  public static final Duration DEFAULT_LOCK_WAIT = Duration.ZERO;

  private final Path directory;
  private final Map<String, Database> databases;
  private final DirectoryLock lock;
  private final Object closeLock = new Object();
  private boolean closed;

  private SqliteStore(Path directory, Map<String, Database> databases, DirectoryLock lock) {
    this.directory = directory;
    this.databases = Collections.unmodifiableMap(databases);
    this.lock = lock;
  }

  /** Starts building a store on {@code directory} (created if missing). */
  public static Builder builder(Path directory) {
    return new Builder(directory);
  }

  public Path directory() {
    return directory;
  }

  /** The names of the databases, in the order they were added. */
  public Set<String> databaseNames() {
    return databases.keySet();
  }

  /**
   * The database called {@code name}.
   *
   * @throws IllegalArgumentException no database of that name was configured
   */
  public Database database(String name) {
    Database db = databases.get(name);
    if (db == null) {
      throw new IllegalArgumentException("no database '" + name + "' in this store; it has " + databases.keySet());
    }
    return db;
  }

  /** Runs a maintenance window with the {@linkplain MaintenancePlan#defaults() default plan}. */
  public MaintenanceReport maintenance() {
    return maintenance(MaintenancePlan.defaults());
  }

  /**
   * Pauses writes on the plan's databases (the running batches finish; new writes are held in their
   * queues, not failed), runs the plan, and resumes; held writes then commit in order.
   *
   * @throws MaintenanceException a step failed; writes were resumed and the report tells what ran
   */
  public MaintenanceReport maintenance(MaintenancePlan plan) {
    Objects.requireNonNull(plan, "plan");
    List<Database> targets = new ArrayList<>();
    if (plan.databases().isEmpty()) {
      targets.addAll(databases.values());
    } else {
      for (String n : plan.databases()) {
        targets.add(database(n));
      }
    }
    synchronized (closeLock) {
      if (closed) {
        throw new StoreClosedException(targets.isEmpty() ? "?" : targets.get(0).name());
      }
    }
    return Maintenance.run(targets, plan);
  }

  /**
   * The first step of a handover to a successor process: from now on every write to every database is
   * refused with {@link HandedOverException} before anything of it runs (the caller sends it again to
   * the successor), and this waits until every write accepted before has committed. Reads go on. What
   * follows is the caller's: ship what was committed, then {@link #close()}; or, if that cannot be done,
   * {@link #resumeWritesAfterHandover()}.
   *
   * @return each database's last transaction id, every accepted write included
   * @throws StoreException the writes accepted before did not commit within {@code timeout} (a long
   *     write): writes stay refused until {@link #resumeWritesAfterHandover()} or {@link #close()}
   * @throws StoreClosedException the store is closed or closing
   */
  public Map<String, Long> stopWritesForHandover(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    synchronized (closeLock) {
      if (closed) {
        throw new StoreClosedException(databases.keySet().iterator().next());
      }
    }
    Map<String, java.util.concurrent.CompletableFuture<Long>> drained = new LinkedHashMap<>();
    for (Database db : databases.values()) {
      drained.put(db.name(), db.writer().stopForHandover());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Long> last = new LinkedHashMap<>();
    for (Map.Entry<String, java.util.concurrent.CompletableFuture<Long>> e : drained.entrySet()) {
      try {
        last.put(e.getKey(), e.getValue().get(Math.max(0, deadline - System.nanoTime()),
            java.util.concurrent.TimeUnit.NANOSECONDS));
      } catch (java.util.concurrent.TimeoutException ex) {
        throw new StoreException(e.getKey(), "database '" + e.getKey() + "': the writes accepted before the handover "
            + "did not commit within " + timeout.toMillis() + " ms (a long write is running); new writes stay refused "
            + "until the handover is resumed or the store closed", ex);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new StoreException(e.getKey(), "interrupted while waiting for the writes accepted before the handover", ex);
      } catch (java.util.concurrent.ExecutionException ex) {
        throw new StoreException(e.getKey(), "database '" + e.getKey() + "': the writer could not drain for the handover: "
            + WriteFailedException.describe(ex.getCause()), ex.getCause());
      }
    }
    return Collections.unmodifiableMap(last);
  }

  /**
   * Undoes {@link #stopWritesForHandover}: the handover failed before anything was let go (the bucket
   * could not be reached, say), and this process goes on serving writes. No-op once the store is closing.
   */
  public void resumeWritesAfterHandover() {
    for (Database db : databases.values()) {
      db.writer().resumeAfterHandover();
    }
  }

  public StoreHealth health() {
    return new StoreHealth(databases.values().stream().map(Database::health).toList());
  }

  /**
   * Stops accepting writes, commits everything queued, tells listeners ({@link CommitListener}s may
   * ship the last frames), checkpoints where the gates allow, and closes every connection. Idempotent.
   * Writes submitted after this fail with {@link StoreClosedException}.
   */
  @Override
  public void close() {
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    for (Database db : databases.values()) {
      try {
        db.writer().close(() -> {
          for (CommitListener l : db.listeners()) {
            try {
              l.onClose(db.name());
            } catch (RuntimeException e) {
              db.options().errorHandler().handle(db.name(), "commit listener (close)", e);
            }
          }
          db.checkpointer().stopBackground();
          db.checkpointer().checkpoint(CheckpointMode.TRUNCATE, false);
        });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        log.warn("interrupted while closing database '{}'", db.name());
      }
      // The writer connection closed first: read-only connections never checkpoint on close, so a
      // WAL the gates still hold survives for replication to ship after a restart.
      db.readers().close();
      try {
        // Only now, with every connection closed: closing a descriptor drops the process's POSIX locks.
        db.files().close();
        db.writer().closeWalIndex();
      } catch (IOException e) {
        log.warn("database '{}': closing file descriptors", db.name(), e);
      }
    }
    try {
      lock.release();
    } catch (IOException e) {
      log.warn("could not release {}", lock.file(), e);
    }
  }

  /** Configures and opens a {@link SqliteStore}. */
  public static final class Builder {
    private final Path directory;
    private final Map<String, DatabaseOptions> databases = new LinkedHashMap<>();
    private Duration lockWait = DEFAULT_LOCK_WAIT;

    private Builder(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
    }

    /**
     * How long {@link #open()} waits for another store (in this process or another) to release the
     * directory before it fails with {@link StoreLockedException}; default {@link #DEFAULT_LOCK_WAIT}
     * (fail at once). A successor process in a handover waits for its predecessor this way: it opens
     * the moment the predecessor's store has closed.
     */
    public Builder lockWait(Duration wait) {
      Objects.requireNonNull(wait, "lockWait");
      DatabaseOptions.requireArgument(!wait.isNegative(), "lockWait must not be negative, was %s", wait);
      this.lockWait = wait;
      return this;
    }

    /** Adds a database with default options. */
    public Builder database(String name) {
      return database(name, DatabaseOptions.defaults());
    }

    /** Adds a database stored as {@code <directory>/<name>.db}. */
    public Builder database(String name, DatabaseOptions options) {
      Names.requireDatabaseName(name);
      Objects.requireNonNull(options, "options");
      for (String existing : databases.keySet()) {
        // Case-insensitive file systems would map both to one file.
        DatabaseOptions.requireArgument(!existing.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT)),
            "database '%s' is already configured (as '%s'; names are compared ignoring case)", name, existing);
      }
      databases.put(name, options);
      return this;
    }

    /**
     * Opens every database: creates missing files, runs migrations, starts the writers.
     *
     * @throws StoreLockedException another open store held the directory for longer than the lock wait
     * @throws StoreException the directory is unusable, a database cannot be opened
     * @throws MigrationException a migration failed (the database is left as it was)
     */
    public SqliteStore open() {
      DatabaseOptions.requireArgument(!databases.isEmpty(), "a store needs at least one database; call database(name)");
      Path dir = directory.toAbsolutePath().normalize();
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new StoreException(null, "cannot use directory " + dir + " for the store: " + e
            + "; check that it exists (or can be created) and is writable", e);
      }
      DirectoryLock lock = DirectoryLock.acquire(dir, lockWait);
      Map<String, Database> opened = new LinkedHashMap<>();
      try {
        for (Map.Entry<String, DatabaseOptions> e : databases.entrySet()) {
          opened.put(e.getKey(), openDatabase(dir, e.getKey(), e.getValue()));
        }
      } catch (RuntimeException e) {
        for (Database db : opened.values()) {
          try {
            db.writer().close(() -> db.checkpointer().stopBackground());
            db.readers().close();
          } catch (InterruptedException | RuntimeException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        try {
          lock.release();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
      log.info("opened store {} with databases {}", dir, opened.keySet());
      return new SqliteStore(dir, new LinkedHashMap<>(opened), lock);
    }

    /** The WAL end as the files are, after a read transaction has recovered the WAL (if a crash left one). */
    private static WalPosition walAtOpen(Path file, Connection c) throws SQLException, java.io.IOException {
      try (java.sql.Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery("PRAGMA user_version")) {
        rs.next();
      }
      try (WalIndex index = new WalIndex(file)) {
        return index.read().end();
      }
    }

    private static Database openDatabase(Path dir, String name, DatabaseOptions options) {
      Path file = dir.resolve(name + ".db");
      Connection writerConnection;
      try {
        writerConnection = Connections.openWriter(file, options);
      } catch (SQLException e) {
        throw new StoreException(name, "cannot open database '" + name + "' at " + file + ": " + e.getMessage()
            + "; check the file is a SQLite database and the directory is writable", e);
      }
      try {
        // Before the migrations: what the files held when this process took them over (a read has run
        // WAL recovery, so the wal-index describes the WAL a crash left); see ReplicationPort#walAtOpen.
        WalPosition walAtOpen = walAtOpen(file, writerConnection);
        Migrator.migrate(name, writerConnection, options.migrations());
        DatabaseStats stats = new DatabaseStats();
        CoherentCache cache = new CoherentCache(options);
        List<CommitListener> listeners = Database.newListenerList();
        List<CheckpointGate> gates = Database.newGateList();
        if (options.holdWalUntilGate()) {
          gates.add(Database.HOLD_UNTIL_GATE);
        }
        WalIndex walIndex = new WalIndex(file);
        Checkpointer checkpointer = new Checkpointer(name, writerConnection, options, walIndex, gates, listeners, stats);
        Writer writer = new Writer(name, file.toString(), options, writerConnection, walIndex, cache, listeners,
            checkpointer, stats, walAtOpen);
        ReaderPool readers;
        try {
          readers = new ReaderPool(name, file, options);
        } catch (RuntimeException e) {
          throw new StoreException(name, "cannot open the read connections of '" + name + "': " + e.getMessage(), e);
        }
        checkpointer.startBackground(Connections.openCheckpointer(file, options), Connections.openPin(file, options));
        writer.start();
        return new Database(name, file, options, writer, readers, cache, stats, checkpointer, listeners, gates,
            new DatabaseFiles(file));
      } catch (SQLException | IOException e) {
        closeQuietly(writerConnection);
        throw new StoreException(name, "cannot open database '" + name + "' at " + file + ": " + e.getMessage(), e);
      } catch (RuntimeException e) {
        closeQuietly(writerConnection);
        throw e;
      }
    }

    private static void closeQuietly(AutoCloseable c) {
      try {
        c.close();
      } catch (Exception ignored) {
        // already failing; the original error is what matters
      }
    }
  }
}
