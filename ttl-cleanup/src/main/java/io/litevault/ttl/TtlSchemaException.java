package io.litevault.ttl;

/**
 * A table cannot be used as a TTL table as it is: it does not exist, lacks the expiry, key or value
 * column, a column has the wrong type for its unit, the expiry column has no index, or the key column
 * is not unique. The message names the table and column and says how to fix it (for a missing index,
 * the {@code CREATE INDEX} statement to add, or {@link TtlTableSpec.Builder#createIndexIfMissing}).
 */
public final class TtlSchemaException extends TtlException {
  private static final long serialVersionUID = 1L;

  public TtlSchemaException(String database, String message) {
    super(database, message);
  }
}
