package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
  @TempDir Path dir;

  @Test
  void writesReadsAndEvents() throws Exception {
    List<CommitEvent> events = new ArrayList<>();
    try (SqliteStore store = SqliteStore.builder(dir)
        .database("data", DatabaseOptions.builder().migration(1, "t", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").build())
        .open()) {
      Database db = store.database("data");
      db.addCommitListener(events::add);
      List<CompletableFuture<Long>> fs = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        int n = i;
        fs.add(db.write(c -> {
          try (var ps = c.prepareStatement("INSERT INTO t(v) VALUES (?)")) {
            ps.setString(1, "v" + n);
            ps.executeUpdate();
          }
          return (long) n;
        }));
      }
      for (var f : fs) f.join();
      long count = db.read(c -> {
        try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM t")) {
          rs.next();
          return rs.getLong(1);
        }
      });
      assertEquals(1000, count);
      System.out.println(events.size() + " events; last " + events.get(events.size() - 1));
      System.out.println(db.health());
    }
  }
}
