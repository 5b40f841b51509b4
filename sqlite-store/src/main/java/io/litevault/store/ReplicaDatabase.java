package io.litevault.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A read-only database served from a file that something else rewrites between reads: a follower of a
 * replicated database applies the primary's pages to it ({@link #update}) and readers see each update
 * whole, never a half-written one. The read API is {@link Database}'s: {@link #read} on pooled read-only
 * connections and {@link #cached} through the same coherent cache, made stale by every update (pages carry
 * no table names, so an update stales every entry).
 *
 * <p>How readers see the new pages: the file is kept in rollback-journal mode, every update bumps the
 * header's change counter ({@link ReplicaHeader}), which SQLite reads at the start of each read transaction
 * to decide whether its page cache is stale, and every update retires the pooled connections, so none keeps
 * a schema parsed before it (SQLite reparses only when the schema cookie changes) or a read transaction a task
 * left open. An update waits until no read is running and
 * holds new reads meanwhile (a fair read-write lock: a steady stream of reads cannot starve it; a read that
 * runs for a minute delays updates for a minute). Reads are shut out by this object, not by SQLite's file
 * locks: another process reading the file (the {@code sqlite3} shell) may see an update half-written.
 *
 * <p>An update is not made durable (no fsync): a replica file is a cache of the bucket, and its owner
 * rebuilds it after a crash rather than trust it.
 */
public final class ReplicaDatabase implements AutoCloseable {
  private final String name;
  private final Path path;
  private final DatabaseOptions options;
  private final ReaderPool readers;
  private final CoherentCache cache;
  private final java.util.Map<String, List<String>> singleTableNamespaces = new java.util.concurrent.ConcurrentHashMap<>();
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);
  private final FileChannel file;
  private int changeCounter;
  /** The primary's header the file holds (as the updates wrote it), and the replica's rewrite of it. */
  private ReplicaHeader.Rewrite header;
  private java.nio.ByteBuffer primaryHeader;
  private long updates;
  /** Why the last update failed (the file may be half-written), or null: reads are refused meanwhile. */
  private Throwable damage;
  private volatile boolean closed;
  /** Odd while an update writes the file: a connection that opened across a change of it is not current. */
  private final java.util.concurrent.atomic.AtomicLong updateSeq = new java.util.concurrent.atomic.AtomicLong();
  /**
   * Each reader connection's {@link #updateSeq} when it opened, or -1 when an update ran meanwhile; emptied of
   * older stamps at each update, so it holds only connections opened since the last one (a connection with no
   * entry is not current). Concurrent: every read looks here.
   */
  private final java.util.Map<java.sql.Connection, Long> opened = new java.util.concurrent.ConcurrentHashMap<>();

  private ReplicaDatabase(String name, Path path, DatabaseOptions options, FileChannel file, int changeCounter,
      ReplicaHeader.Rewrite header, java.util.function.UnaryOperator<javax.sql.DataSource> pooled) {
    this.name = name;
    this.header = header;
    this.primaryHeader = header.found();
    this.path = path;
    this.options = options;
    this.file = file;
    this.changeCounter = changeCounter;
    this.cache = new CoherentCache(options);
    this.readers = ReaderPool.forReplica(name, pooled.apply(new StampedOpen(Connections.replicaReaders(path, options))),
        options);
  }

  /**
   * Serves the SQLite database in {@code file} (which must exist) read-only, with the readers and cache
   * {@code options} give (their writer settings do not apply). Switches the file to rollback-journal mode;
   * any {@code -wal} beside it is not read: the file must be whole on its own.
   *
   * @throws InvalidNameException a bad database name
   * @throws StoreException the file is missing or not a SQLite database, or the readers cannot open it
   */
  public static ReplicaDatabase open(String name, Path file, DatabaseOptions options) {
    return open(name, file, options, java.util.function.UnaryOperator.identity());
  }

  /** For tests: {@code pooled} wraps what the reader pool opens connections through (to time an open). */
  static ReplicaDatabase open(String name, Path file, DatabaseOptions options,
      java.util.function.UnaryOperator<javax.sql.DataSource> pooled) {
    Names.requireDatabaseName(name);
    Objects.requireNonNull(options, "options");
    Path path = file.toAbsolutePath().normalize();
    FileChannel channel = null;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
      int counter = ReplicaHeader.changeCounter(ReplicaHeader.read(channel, path)) + 1;
      ReplicaHeader.Rewrite header = ReplicaHeader.write(channel, counter, path);
      return new ReplicaDatabase(name, path, options, channel, counter, header, pooled);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      if (e instanceof StoreException se) {
        throw se;
      }
      throw new StoreException(name, "cannot serve " + path + " as replica database '" + name + "': " + e.getMessage()
          + (e instanceof java.nio.file.NoSuchFileException ? " (no such file)" : ""), e);
    }
  }

  public String name() {
    return name;
  }

  public Path path() {
    return path;
  }

  public DatabaseOptions options() {
    return options;
  }

  /**
   * Runs a read on a pooled read-only connection; it sees no update start or end while it runs.
   *
   * @throws ReplicaDamagedException the last update failed part-way; retry once the owner has rebuilt the file
   */
  public <T> T read(ReadTask<T> task) {
    Objects.requireNonNull(task, "task");
    lock.readLock().lock();
    try {
      requireOpen();
      if (damage != null) {
        throw new ReplicaDamagedException(name, damage);
      }
      return readers.read(this::current, task);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Whether {@code c} opened while no update ran and after the last one: it then holds no schema or page
   * parsed from other bytes. Asked under the read lock, where no update can start.
   */
  private boolean current(java.sql.Connection c) throws java.sql.SQLException {
    Long stamp = opened.get(c.unwrap(org.sqlite.SQLiteConnection.class));
    return stamp != null && stamp == updateSeq.get();
  }

  /**
   * A read-through cached read, as {@link Database#cached(String, Object, ReadTask)}: never older than the
   * last update that completed before the call.
   */
  public <V> V cached(String table, Object key, ReadTask<V> loader) {
    Objects.requireNonNull(table, "table");
    List<String> namespace = singleTableNamespaces.get(table);
    if (namespace == null) {
      namespace = CoherentCache.namespace(Set.of(table)); // validates once per table name, as Database does
      if (singleTableNamespaces.size() < 10_000) {
        singleTableNamespaces.put(table, namespace);
      }
    }
    return cachedIn(namespace, key, loader);
  }

  /** Like {@link #cached(String, Object, ReadTask)} for a loader that reads several tables. */
  public <V> V cached(Set<String> tables, Object key, ReadTask<V> loader) {
    return cachedIn(CoherentCache.namespace(tables), key, loader);
  }

  private <V> V cachedIn(List<String> namespace, Object key, ReadTask<V> loader) {
    Objects.requireNonNull(loader, "loader");
    Objects.requireNonNull(key, "key");
    requireOpen();
    if (options.cacheMaxEntries() == 0) {
      return read(loader);
    }
    return cache.getOrRead(name, namespace, key, () -> read(loader));
  }

  /** What an update does to the file. */
  @FunctionalInterface
  public interface FileUpdate {
    /** Writes (and may truncate or extend) {@code file}; runs while no read is running. */
    void apply(FileChannel file) throws IOException;
  }

  /**
   * Runs {@code update} on the file while no read runs, then makes readers see it: the header rewritten
   * ({@link ReplicaHeader}) and the cache made stale. Never call it from inside a read (it would wait for
   * itself). When {@code update} throws, the file may be half-written: reads fail with
   * {@link ReplicaDamagedException} until an update succeeds (one that rewrites the whole file, say).
   *
   * @throws IOException what {@code update} or the header write threw
   * @throws StoreClosedException after {@link #close}
   */
  public void update(FileUpdate update) throws IOException {
    Objects.requireNonNull(update, "update");
    lock.writeLock().lock();
    try {
      requireOpen();
      // Before anything changes: a cache hit takes no lock, so an entry must not outlive the start of an
      // update (a waiter told of the new position while it runs must not be served an older value).
      cache.invalidateAll();
      updateSeq.incrementAndGet();
      try {
        update.apply(file);
        changeCounter++;
        ReplicaHeader.Rewrite next = ReplicaHeader.write(file, changeCounter, path);
        if (!next.found().equals(header.rewritten())) {
          primaryHeader = next.found(); // the update wrote page 1 (a primary's header never equals a rewrite: WAL mode)
        }
        header = next;
      } catch (IOException | RuntimeException | Error e) {
        damage = e;
        throw e;
      }
      damage = null;
      updates++;
    } finally {
      // No connection keeps what it read before: a schema parsed from the old pages (SQLite re-reads it only
      // when the schema cookie at offset 40 changes, and two versions may share a cookie), or a read
      // transaction a task left open (a metadata ResultSet), which never looks at the header again.
      long current = updateSeq.incrementAndGet();
      opened.values().removeIf(stamp -> stamp != current);
      readers.retireAll();
      cache.invalidateAll(); // also after a failure: whatever the file holds now, no older value is served
      lock.writeLock().unlock();
    }
  }

  /** How many updates completed since open. */
  public long updates() {
    lock.readLock().lock();
    try {
      return updates;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Makes every cached entry stale. */
  public void invalidateAll() {
    cache.invalidateAll();
  }

  /** Closes the readers (after the reads running now) and the file; later calls fail with {@link StoreClosedException}. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      readers.close();
      closeQuietly(file);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Closes the replica (as {@link #close}) and puts back the header bytes the last update wrote: the file is
   * then byte for byte what the updates made it (in a primary's pages, WAL mode and its own change counter),
   * for a writer that takes it over. Refused after a failed update: the file may be half-written.
   *
   * @throws ReplicaDamagedException the last update failed
   * @throws IOException the header could not be written (the file is closed either way)
   */
  public void detach() throws IOException {
    lock.writeLock().lock();
    try {
      requireOpen();
      if (damage != null) {
        throw new ReplicaDamagedException(name, damage);
      }
      closed = true;
      readers.close();
      try {
        ReplicaHeader.put(file, primaryHeader);
        file.force(true);
      } finally {
        closeQuietly(file);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "ReplicaDatabase[" + name + " at " + path + "]";
  }

  /**
   * Opens connections without any lock and stamps each with the update it saw ({@link #updateSeq}),
   * {@code query_only} set before the pool sees them: SQLite reads the schema as a connection runs its first
   * pragmas, so one that opened while an update wrote the file is stamped -1 and never used. Taking the read
   * lock here instead would deadlock: the pool opens connections on its own thread, behind an update queued
   * after a reader that holds the lock and waits for that very connection.
   */
  private final class StampedOpen implements javax.sql.DataSource {
    private final javax.sql.DataSource connections;

    StampedOpen(javax.sql.DataSource connections) {
      this.connections = connections;
    }

    @Override
    public java.sql.Connection getConnection() throws java.sql.SQLException {
      long before = updateSeq.get();
      java.sql.Connection c = connections.getConnection();
      try (java.sql.Statement s = c.createStatement()) {
        s.execute("PRAGMA query_only = 1");
      } catch (java.sql.SQLException e) {
        c.close();
        throw e;
      }
      boolean whole = before % 2 == 0 && updateSeq.get() == before;
      opened.put(c.unwrap(org.sqlite.SQLiteConnection.class), whole ? before : -1L);
      return c;
    }

    @Override
    public java.sql.Connection getConnection(String user, String password) throws java.sql.SQLException {
      return getConnection();
    }

    @Override
    public java.io.PrintWriter getLogWriter() throws java.sql.SQLException {
      return connections.getLogWriter();
    }

    @Override
    public void setLogWriter(java.io.PrintWriter out) throws java.sql.SQLException {
      connections.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws java.sql.SQLException {
      connections.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws java.sql.SQLException {
      return connections.getLoginTimeout();
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws java.sql.SQLFeatureNotSupportedException {
      return connections.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws java.sql.SQLException {
      return connections.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws java.sql.SQLException {
      return connections.isWrapperFor(iface);
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new StoreClosedException(name);
    }
  }

  private static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // nothing written is lost: the file is a rebuildable copy
      }
    }
  }
}
