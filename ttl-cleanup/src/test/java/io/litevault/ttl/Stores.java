package io.litevault.ttl;

import io.litevault.store.DatabaseOptions;
import io.litevault.store.SqliteStore;
import java.nio.file.Path;

/** Opens a real store with a {@code ttl} database whose migration runs the given SQL. */
final class Stores {
  private Stores() {}

  static SqliteStore open(Path dir, String... migrations) {
    DatabaseOptions.Builder b = DatabaseOptions.builder();
    for (int i = 0; i < migrations.length; i++) {
      b.migration(i + 1, "m" + (i + 1), migrations[i]);
    }
    return SqliteStore.builder(dir).database("ttl", b.build()).open();
  }

  static long count(io.litevault.store.Database db, String sql) {
    return db.read(c -> {
      try (var s = c.createStatement(); var rs = s.executeQuery(sql)) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }
}
