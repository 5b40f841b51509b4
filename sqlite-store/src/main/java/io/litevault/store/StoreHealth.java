package io.litevault.store;

import java.util.List;

/** Health of every database of a store. */
public record StoreHealth(List<DatabaseHealth> databases) {
  public StoreHealth {
    databases = List.copyOf(databases);
  }

  /** Healthy when every database is. */
  public boolean healthy() {
    return databases.stream().allMatch(DatabaseHealth::healthy);
  }
}
