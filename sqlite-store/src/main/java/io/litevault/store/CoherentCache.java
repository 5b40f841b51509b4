package io.litevault.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read-through cache that can never serve a value older than the last commit that touched its
 * tables.
 *
 * <p>Every table has a version, taken from one counter each time a commit changes it. An entry is stamped with
 * the version of its tables taken BEFORE its loader ran, and is served only while that version is
 * still current. The writer bumps the versions after COMMIT and before completing the write's future,
 * so (1) a read after a completed write never sees an older value, and (2) a read whose snapshot
 * predates a commit can put its value back afterwards, but that value carries the older stamp and is
 * never served. Entries are invalidated lazily on lookup; size and TTL bound the memory.
 */
final class CoherentCache {
  private record Key(List<String> tables, Object key) {}

  private record Entry(Object value, long stamp) {}

  private final Cache<Key, Entry> cache;
  private final ConcurrentHashMap<String, Long> tableVersions = new ConcurrentHashMap<>();
  private final AtomicLong clock = new AtomicLong();
  /** The version of the last change that could not be attributed to tables: it stales everything. */
  private final AtomicLong globalVersion = new AtomicLong();

  CoherentCache(DatabaseOptions options) {
    this.cache = Caffeine.newBuilder()
        .maximumSize(options.cacheMaxEntries())
        .expireAfterWrite(options.cacheTtl())
        .recordStats()
        .build();
  }

  /** Normalizes a namespace: lower-case table names, sorted, no duplicates. */
  static List<String> namespace(Set<String> tables) {
    if (tables.isEmpty()) {
      throw new IllegalArgumentException("a cached read needs at least one table name");
    }
    return tables.stream().map(t -> Names.tableKey(Names.requireIdentifier("table name", t)))
        .distinct().sorted().toList();
  }

  /** The value cached for {@code key} in {@code tables}, or a fresh one from {@code loader}. */
  @SuppressWarnings("unchecked")
  <V> V get(List<String> tables, Object key, Loader<V> loader) throws Exception {
    Objects.requireNonNull(key, "key");
    Key k = new Key(tables, key);
    long stamp = stamp(tables);
    Entry e = cache.getIfPresent(k);
    if (e != null) {
      if (e.stamp == stamp) {
        return (V) e.value;
      }
      cache.asMap().remove(k, e);
    }
    V value = loader.load();
    // A commit between our stamp and now makes this value suspect: return it, don't keep it.
    if (stamp(tables) == stamp) {
      cache.asMap().merge(k, new Entry(value, stamp), (old, neu) -> old.stamp >= neu.stamp ? old : neu);
    }
    return value;
  }

  /**
   * {@link #get}, with a failure of the loader (not a {@link StoreException}) reported as a
   * {@link ReadFailedException} of {@code database}.
   */
  <V> V getOrRead(String database, List<String> tables, Object key, Loader<V> loader) {
    try {
      return get(tables, key, loader);
    } catch (StoreException e) {
      throw e;
    } catch (Exception e) {
      throw new ReadFailedException(database, e);
    }
  }

  /** Called by the writer after COMMIT, before futures complete. */
  void committed(Set<String> tables, boolean unattributedChanges) {
    if (unattributedChanges) {
      invalidateAll();
      return;
    }
    if (!tables.isEmpty()) {
      long v = clock.incrementAndGet();
      for (String t : tables) {
        tableVersions.merge(Names.tableKey(t), v, Math::max);
      }
    }
  }

  /** Makes every entry of {@code table} stale (for changes made outside the writer). */
  void invalidateTable(String table) {
    tableVersions.merge(Names.tableKey(table), clock.incrementAndGet(), Math::max);
  }

  /** Makes every entry stale (a schema change, or changes the update hook cannot see). */
  void invalidateAll() {
    globalVersion.accumulateAndGet(clock.incrementAndGet(), Math::max);
    cache.invalidateAll();
  }

  CacheStats stats() {
    return cache.stats();
  }

  long size() {
    return cache.estimatedSize();
  }

  private long stamp(List<String> tables) {
    long s = globalVersion.get();
    for (String t : tables) {
      Long v = tableVersions.get(t);
      if (v != null && v > s) {
        s = v;
      }
    }
    return s;
  }

  @FunctionalInterface
  interface Loader<V> {
    V load() throws Exception;
  }
}
