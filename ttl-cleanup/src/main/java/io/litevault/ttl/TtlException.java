package io.litevault.ttl;

import io.litevault.store.StoreException;

/**
 * Base of the failures of this module that are not bad arguments: a table that does not fit TTL use
 * ({@link TtlSchemaException}) or was never registered ({@link UnknownTtlTableException}). Bad
 * arguments throw {@link InvalidTtlArgumentException}; failures of the store itself (a write that
 * failed, a closed store) keep their own {@link StoreException} types.
 */
public class TtlException extends StoreException {
  private static final long serialVersionUID = 1L;

  public TtlException(String database, String message, Throwable cause) {
    super(database, message, cause);
  }

  public TtlException(String database, String message) {
    super(database, message, null);
  }
}
