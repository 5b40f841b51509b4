package io.litevault.ttl;

import static io.litevault.store.Names.quoteIdentifier;
import static io.litevault.ttl.InvalidTtlArgumentException.identifier;

import java.util.Objects;

/**
 * Immutable description of one TTL table: its name, its expiry column and unit, and (for the typed
 * {@link TtlTable} API) its key and value columns. Build with {@link #builder(String)}; every setter
 * rejects a bad value at once with an {@link InvalidTtlArgumentException} naming it.
 *
 * <p>The table itself is created by the application's migrations; {@link #createTableSql()} gives the
 * DDL of the standard key/value layout:
 *
 * <pre>{@code
 * TtlTableSpec sessions = TtlTableSpec.builder("session").build();
 * DatabaseOptions.builder().migration(1, "sessions", sessions.createTableSql())...
 * // CREATE TABLE "session"("id" TEXT PRIMARY KEY NOT NULL, "value" TEXT NOT NULL, "expires_at" INTEGER NOT NULL)
 * }</pre>
 *
 * <p>On registration the table must exist, the expiry column must have the type of its unit and be the
 * first column of a (non-partial) index; with {@link Builder#createIndexIfMissing(boolean)} the index
 * {@link #indexName()} is created instead of failing.
 */
public final class TtlTableSpec {
  /** The conventional expiry column name of the standard layout. */
  public static final String DEFAULT_EXPIRY_COLUMN = "expires_at";
  /** Epoch milliseconds: an INTEGER compares fastest and keeps millisecond TTLs exact. */
  public static final ExpiryUnit DEFAULT_UNIT = ExpiryUnit.EPOCH_MILLIS;
  /** Key column of the standard layout ({@code id}: {@code key} is an SQL keyword). */
  public static final String DEFAULT_KEY_COLUMN = "id";
  public static final String DEFAULT_VALUE_COLUMN = "value";
  /**
   * 512 bytes of UTF-8: session tokens and one-time codes are 6–128 bytes; the bound keeps index pages
   * dense and turns a caller that passes a whole payload as key into a clear error.
   */
  public static final int DEFAULT_MAX_KEY_BYTES = 512;
  /** Upper bound of {@link Builder#maxKeyBytes}: SQLite handles more, but such keys are a bug. */
  public static final int MAX_KEY_BYTES_LIMIT = 64 * 1024;

  private final String table;
  private final String expiryColumn;
  private final ExpiryUnit unit;
  private final String keyColumn;
  private final String valueColumn;
  private final int maxKeyBytes;
  private final boolean createIndexIfMissing;

  private TtlTableSpec(Builder b) {
    this.table = b.table;
    this.expiryColumn = b.expiryColumn;
    this.unit = b.unit;
    this.keyColumn = b.keyColumn;
    this.valueColumn = b.valueColumn;
    this.maxKeyBytes = b.maxKeyBytes;
    this.createIndexIfMissing = b.createIndexIfMissing;
  }

  /**
   * Starts a spec for {@code table}.
   *
   * @throws InvalidTtlArgumentException the name is not a plain identifier
   */
  public static Builder builder(String table) {
    return new Builder(table);
  }

  public String table() { return table; }
  public String expiryColumn() { return expiryColumn; }
  public ExpiryUnit unit() { return unit; }
  public String keyColumn() { return keyColumn; }
  public String valueColumn() { return valueColumn; }
  public int maxKeyBytes() { return maxKeyBytes; }
  public boolean createIndexIfMissing() { return createIndexIfMissing; }

  /** The name of the index this module creates on the expiry column: {@code <table>_<column>_ttl}. */
  public String indexName() {
    String name = table + "_" + expiryColumn + "_ttl";
    return name.length() <= io.litevault.store.Names.MAX_IDENTIFIER_LENGTH ? name : "ttl_" + Integer.toHexString(name.hashCode());
  }

  /** {@code CREATE INDEX IF NOT EXISTS} for the expiry column: what registration runs or asks for. */
  public String createIndexSql() {
    return "CREATE INDEX IF NOT EXISTS " + quoteIdentifier(indexName()) + " ON " + quoteIdentifier(table) + "(" + quoteIdentifier(expiryColumn) + ")";
  }

  /**
   * DDL of the standard layout: a TEXT primary key, a TEXT value, the expiry column, and its index (two
   * statements separated by {@code ;}, suitable for one store migration).
   */
  public String createTableSql() {
    return "CREATE TABLE IF NOT EXISTS " + quoteIdentifier(table) + "(" + quoteIdentifier(keyColumn) + " TEXT PRIMARY KEY NOT NULL, "
        + quoteIdentifier(valueColumn) + " TEXT NOT NULL, " + quoteIdentifier(expiryColumn) + " " + unit.expectedType() + " NOT NULL);\n"
        + createIndexSql();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TtlTableSpec s && table.equals(s.table) && expiryColumn.equals(s.expiryColumn)
        && unit == s.unit && keyColumn.equals(s.keyColumn) && valueColumn.equals(s.valueColumn)
        && maxKeyBytes == s.maxKeyBytes && createIndexIfMissing == s.createIndexIfMissing;
  }

  @Override
  public int hashCode() {
    return Objects.hash(table, expiryColumn, unit, keyColumn, valueColumn, maxKeyBytes, createIndexIfMissing);
  }

  @Override
  public String toString() {
    return "TtlTableSpec{table=" + table + ", expiry=" + expiryColumn + " " + unit + ", key=" + keyColumn
        + ", value=" + valueColumn + ", maxKeyBytes=" + maxKeyBytes + ", createIndexIfMissing=" + createIndexIfMissing + "}";
  }

  /** Builds a {@link TtlTableSpec}; each setter checks its argument at once. */
  public static final class Builder {
    private final String table;
    private String expiryColumn = DEFAULT_EXPIRY_COLUMN;
    private ExpiryUnit unit = DEFAULT_UNIT;
    private String keyColumn = DEFAULT_KEY_COLUMN;
    private String valueColumn = DEFAULT_VALUE_COLUMN;
    private int maxKeyBytes = DEFAULT_MAX_KEY_BYTES;
    private boolean createIndexIfMissing;

    private Builder(String table) {
      this.table = identifier("table name", table);
    }

    /** The expiry column and how it stores instants; default {@code expires_at}, epoch millis. */
    public Builder expiry(String column, ExpiryUnit unit) {
      this.expiryColumn = identifier("expiry column name", column);
      this.unit = Objects.requireNonNull(unit, "unit");
      return this;
    }

    /** Key and value columns used by {@link TtlTable}; default {@code id} and {@code value}. */
    public Builder keyValue(String keyColumn, String valueColumn) {
      this.keyColumn = identifier("key column name", keyColumn);
      this.valueColumn = identifier("value column name", valueColumn);
      InvalidTtlArgumentException.check(!keyColumn.equalsIgnoreCase(valueColumn),
          "key and value columns must differ, got '%s' for both", keyColumn);
      return this;
    }

    /** Longest key {@link TtlTable} accepts, in UTF-8 bytes (1 to 65536); default {@value #DEFAULT_MAX_KEY_BYTES}. */
    public Builder maxKeyBytes(int bytes) {
      InvalidTtlArgumentException.check(bytes >= 1 && bytes <= MAX_KEY_BYTES_LIMIT,
          "maxKeyBytes must be between 1 and %s, got %s", MAX_KEY_BYTES_LIMIT, bytes);
      this.maxKeyBytes = bytes;
      return this;
    }

    /** Create the expiry index on registration when it is missing, instead of failing; default false. */
    public Builder createIndexIfMissing(boolean create) {
      this.createIndexIfMissing = create;
      return this;
    }

    public TtlTableSpec build() {
      InvalidTtlArgumentException.check(!expiryColumn.equalsIgnoreCase(keyColumn) && !expiryColumn.equalsIgnoreCase(valueColumn),
          "the expiry column '%s' must differ from the key and value columns", expiryColumn);
      return new TtlTableSpec(this);
    }
  }
}
