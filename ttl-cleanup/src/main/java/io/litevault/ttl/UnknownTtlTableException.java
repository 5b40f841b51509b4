package io.litevault.ttl;

/** A table was used through a {@link TtlCleaner} that has not registered it (in that database). */
public final class UnknownTtlTableException extends TtlException {
  private static final long serialVersionUID = 1L;
  private final String table;

  public UnknownTtlTableException(String database, String table, Iterable<String> registered) {
    super(database, "table '" + table + "' of database '" + database + "' is not a registered TTL table"
        + " (registered: " + registered + "); register it with TtlCleaner.register first");
    this.table = table;
  }

  public String table() {
    return table;
  }
}
