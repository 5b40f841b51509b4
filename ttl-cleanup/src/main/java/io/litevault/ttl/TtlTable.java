package io.litevault.ttl;

import static io.litevault.store.Names.quoteIdentifier;

import io.litevault.store.Database;
import io.litevault.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Typed access to one registered TTL table: string keys, values of type {@code V} (via a
 * {@link TtlCodec}), each row with an expiry. Get one from {@link TtlCleaner#table}. Thread-safe.
 *
 * <p>A row is live while its expiry is after the clock's now ({@link TtlOptions#clock()}).
 * {@link #get} filters by expiry in its query, so an expired row is never returned, even before a
 * purge deleted it. Writes ({@link #put}, {@link #touch}, {@link #delete}, {@link #take}) are single
 * write tasks on the database's writer thread and return after COMMIT.
 *
 * <p>{@link #take} reads and deletes in ONE write task: the single writer runs tasks one at a time, so
 * of any number of concurrent takes of one key exactly one gets the value — what one-time codes need.
 *
 * <p>Bad input throws {@link InvalidTtlArgumentException} before anything is written: a null or empty
 * key, a key over {@link TtlTableSpec#maxKeyBytes()} UTF-8 bytes, a null value, a null, zero or negative
 * TTL, or an expiry the unit cannot store. Store failures keep their {@link StoreException} types.
 *
 * @param <V> the value type
 */
public final class TtlTable<V> {
  private final RegisteredTable table;
  private final TtlCodec<V> codec;
  private final Clock clock;
  private final ExpiryUnit unit;
  private final String putSql;
  private final String getSql;
  private final String expiresSql;
  private final String touchSql;
  private final String selectAnySql;
  private final String deleteSql;
  private final String countSql;

  TtlTable(RegisteredTable table, TtlCodec<V> codec, Clock clock) {
    this.table = table;
    this.codec = codec;
    this.clock = clock;
    this.unit = table.spec.unit();
    TtlTableSpec s = table.spec;
    String t = quoteIdentifier(s.table());
    String k = quoteIdentifier(s.keyColumn());
    String v = quoteIdentifier(s.valueColumn());
    String e = quoteIdentifier(s.expiryColumn());
    this.putSql = "INSERT INTO " + t + "(" + k + ", " + v + ", " + e + ") VALUES (?, ?, ?) ON CONFLICT(" + k
        + ") DO UPDATE SET " + v + " = excluded." + v + ", " + e + " = excluded." + e;
    this.getSql = "SELECT " + v + " FROM " + t + " WHERE " + k + " = ? AND " + e + " > ?";
    this.expiresSql = "SELECT " + e + " FROM " + t + " WHERE " + k + " = ? AND " + e + " > ?";
    this.touchSql = "UPDATE " + t + " SET " + e + " = ? WHERE " + k + " = ? AND " + e + " > ?";
    this.selectAnySql = "SELECT " + v + ", " + e + " > ? FROM " + t + " WHERE " + k + " = ?";
    this.deleteSql = "DELETE FROM " + t + " WHERE " + k + " = ?";
    this.countSql = "SELECT count(*) FROM " + t + " WHERE " + e + " > ?";
  }

  public TtlTableSpec spec() {
    return table.spec;
  }

  public Database database() {
    return table.db;
  }

  /** Stores {@code value} under {@code key} until now + {@code ttl}, replacing any row; returns after COMMIT. */
  public void put(String key, V value, Duration ttl) {
    table.db.writeAndWait(putTask(key, value, ttl));
  }

  /** Like {@link #put} without waiting; the future completes at COMMIT. Arguments are checked at once. */
  public CompletableFuture<Void> putAsync(String key, V value, Duration ttl) {
    return table.db.write(putTask(key, value, ttl)).thenApply(x -> null);
  }

  private io.litevault.store.WriteTask<Integer> putTask(String key, V value, Duration ttl) {
    checkKey(key);
    Objects.requireNonNull(value, "value");
    String encoded = Objects.requireNonNull(codec.encode(value), "codec.encode returned null");
    Object expiry = expiryIn(ttl);
    return c -> {
      try (PreparedStatement ps = c.prepareStatement(putSql)) {
        ps.setString(1, key);
        ps.setString(2, encoded);
        ps.setObject(3, expiry);
        return ps.executeUpdate();
      }
    };
  }

  /** The live value of {@code key}, or empty when there is none or it has expired. Runs on a pooled reader. */
  public Optional<V> get(String key) {
    checkKey(key);
    Object now = unit.cutoffToSql(clock.instant());
    String stored = table.db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(getSql)) {
        ps.setString(1, key);
        ps.setObject(2, now);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    });
    return stored == null ? Optional.empty() : Optional.of(codec.decode(stored));
  }

  /** When the live row of {@code key} expires, or empty when there is none. */
  public Optional<Instant> expiresAt(String key) {
    checkKey(key);
    Object now = unit.cutoffToSql(clock.instant());
    Object stored = table.db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(expiresSql)) {
        ps.setString(1, key);
        ps.setObject(2, now);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getObject(1) : null;
        }
      }
    });
    return stored == null ? Optional.empty() : Optional.of(unit.fromSql(stored));
  }

  /**
   * Moves the expiry of a LIVE row to now + {@code ttl} (sliding sessions); an expired or missing row
   * stays as it is.
   *
   * @return whether a live row was extended
   */
  public boolean touch(String key, Duration ttl) {
    checkKey(key);
    Object expiry = expiryIn(ttl);
    return table.db.writeAndWait(c -> {
      try (PreparedStatement ps = c.prepareStatement(touchSql)) {
        ps.setObject(1, expiry);
        ps.setString(2, key);
        ps.setObject(3, unit.cutoffToSql(clock.instant()));
        return ps.executeUpdate() > 0;
      }
    });
  }

  /**
   * Deletes the row of {@code key}, live or expired.
   *
   * @return whether a LIVE row was deleted
   */
  public boolean delete(String key) {
    checkKey(key);
    return removeRow(key) != null;
  }

  /**
   * Reads and deletes the row of {@code key} in one write task: of concurrent takes of the same key,
   * exactly one returns the value. An expired row is deleted too, and returns empty.
   */
  public Optional<V> take(String key) {
    checkKey(key);
    String stored = removeRow(key);
    return stored == null ? Optional.empty() : Optional.of(codec.decode(stored));
  }

  /** The live rows of the table (a count on a pooled reader, for reports and tests). */
  public long countLive() {
    Object now = unit.cutoffToSql(clock.instant());
    return table.db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(countSql)) {
        ps.setObject(1, now);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }

  /** SELECT then DELETE on the writer connection, in one task: the value if the row was live, else null. */
  private String removeRow(String key) {
    return table.db.writeAndWait(c -> {
      String value = null;
      boolean found = false;
      try (PreparedStatement ps = c.prepareStatement(selectAnySql)) {
        ps.setObject(1, unit.cutoffToSql(clock.instant()));
        ps.setString(2, key);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            found = true;
            value = rs.getBoolean(2) ? rs.getString(1) : null;
          }
        }
      }
      if (found) {
        try (PreparedStatement ps = c.prepareStatement(deleteSql)) {
          ps.setString(1, key);
          ps.executeUpdate();
        }
      }
      return value;
    });
  }

  private void checkKey(String key) {
    if (key == null || key.isEmpty()) {
      throw new InvalidTtlArgumentException("key must be a non-empty string, got " + (key == null ? "null" : "''")
          + " (table '" + table.table() + "')");
    }
    // Cheap bound first: UTF-8 needs at least one byte per char and at most 3 per UTF-16 unit.
    int bytes = key.length() * 3 <= table.spec.maxKeyBytes() ? key.length() : key.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > table.spec.maxKeyBytes()) {
      throw new InvalidTtlArgumentException("key of " + bytes + " UTF-8 bytes is over the bound of "
          + table.spec.maxKeyBytes() + " bytes of table '" + table.table() + "' (key starts '"
          + io.litevault.store.Names.printable(key.substring(0, Math.min(32, key.length()))) + "'); see TtlTableSpec.Builder.maxKeyBytes");
    }
  }

  private Object expiryIn(Duration ttl) {
    if (ttl == null || ttl.isNegative() || ttl.isZero()) {
      throw new InvalidTtlArgumentException("ttl must be positive, got " + ttl + " (table '" + table.table() + "')");
    }
    Instant expiry;
    try {
      expiry = clock.instant().plus(ttl);
    } catch (DateTimeException | ArithmeticException e) {
      throw new InvalidTtlArgumentException("ttl " + ttl + " is too long: now + ttl overflows (table '" + table.table() + "')");
    }
    return unit.toSql(expiry);
  }

  @Override
  public String toString() {
    return "TtlTable[" + table.id() + "]";
  }
}
